"""Optimisers: propose configurations with ``ask()``, learn from ``tell()``. One algorithm per module."""

from .base import Optimizer, SpaceExhausted
from .bohb import BOHB
from .ga import GeneticAlgorithm
from .gp import GPOptimizer
from .grid import GridSearch
from .pso import PSO
from .random import RandomSearch
from .tpe import TPE

__all__ = ["Optimizer", "SpaceExhausted", "GridSearch", "RandomSearch", "TPE", "GPOptimizer", "PSO",
           "GeneticAlgorithm", "BOHB"]
