"""Optimisers: propose configurations with ``ask()``, learn from ``tell()``. One algorithm per module.

:class:`TPE`, :class:`BOHB`, :class:`GPOptimizer` and :class:`CMAES` need SciPy (the GP
scikit-learn too, CMA-ES the ``cmaes`` package), which takes most of a second to import: their modules are
imported when one of them is first used (``hpolib.TPE``, ``from
hpolib.optimizers import TPE``), so that ``import hpolib`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .base import Optimizer, SpaceExhausted
from .ga import GeneticAlgorithm
from .grid import GridSearch
from .pso import PSO
from .random import RandomSearch

if TYPE_CHECKING:
    from .bohb import BOHB
    from .cmaes import CMAES
    from .gp import GPOptimizer
    from .tpe import TPE

__all__ = ["Optimizer", "SpaceExhausted", "GridSearch", "RandomSearch", "TPE", "GPOptimizer", "PSO",
           "GeneticAlgorithm", "BOHB", "CMAES"]

# imported at first use: they need SciPy
LAZY = {"TPE": ".tpe", "GPOptimizer": ".gp", "BOHB": ".bohb", "CMAES": ".cmaes"}


def __getattr__(name: str):
    if name in LAZY:
        return getattr(importlib.import_module(LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
