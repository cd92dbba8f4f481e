"""Optimisers: propose configurations with ``ask()``, learn from ``tell()``."""

from .base import Optimizer, SpaceExhausted
from .grid import GridSearch
from .random import RandomSearch

__all__ = ["Optimizer", "SpaceExhausted", "GridSearch", "RandomSearch"]
