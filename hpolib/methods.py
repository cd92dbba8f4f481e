"""The methods the study compares, by name: one registry for the chapters and the benchmarks.

An *optimiser* is made by :func:`make_optimizer` ``(name, space, seed)``; a
*method* is an optimiser with, for the multi-fidelity ones, its scheduler
(:func:`method_factories`). The settings are the study's: PSO with the LeNet
report's S = 5, phi_l = phi_g = 2, w = 0.5; everything else at its defaults.
Given the number of evaluations ``n_trials`` a search will get, the
model-based optimisers size their start-up to it (TPE's random start-up and
the GA's population a quarter of it, at least 3 and 4), so that a short
search still spends most of its evaluations on the model.

>>> from hpolib import Float, Space
>>> space = Space({"x": Float(0, 1)})
>>> make_optimizer("tpe", space, seed=0, n_trials=20)
TPE(multivariate, n_startup=5, seed=0)
>>> sorted(method_factories(1, 9))
['asha', 'bohb', 'cmaes', 'ga', 'gp', 'grid', 'hyperband', 'pso', 'random', 'tpe']
"""

from __future__ import annotations

from collections.abc import Callable

from ._checks import check_whole
from .optimizers import BOHB, CMAES, PSO, TPE, GeneticAlgorithm, GPOptimizer, GridSearch, Optimizer, RandomSearch
from .schedulers import ASHA, Hyperband, Scheduler
from .space import Space

__all__ = ["OPTIMIZERS", "make_optimizer", "method_factories"]

OPTIMIZERS = ("random", "pso", "ga", "tpe", "gp", "cmaes")


def make_optimizer(name: str, space: Space, seed: int, n_trials: int | None = None) -> Optimizer:
    """The optimiser ``name`` (one of :data:`OPTIMIZERS`) with the study's settings, seeded with ``seed``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"name must be one of {list(OPTIMIZERS)}, got {name!r}")
    if n_trials is not None:
        check_whole("n_trials", n_trials, 1)
    if name == "random":
        return RandomSearch(space, seed=seed)
    if name == "pso":
        return PSO(space, n_particles=5, phi_local=2.0, phi_global=2.0, inertia=0.5, seed=seed)
    if name == "ga":
        return GeneticAlgorithm(space, seed=seed) if n_trials is None else \
            GeneticAlgorithm(space, population_size=max(4, n_trials // 4), seed=seed)
    if name == "tpe":
        return TPE(space, seed=seed) if n_trials is None else TPE(space, n_startup=max(3, n_trials // 4), seed=seed)
    if name == "cmaes":
        return CMAES(space, seed=seed)
    return GPOptimizer(space, seed=seed)


def method_factories(min_budget: float, max_budget: float, eta: int = 3, grid_resolution: int = 2,
                     n_trials: int | None = None,
                     ) -> dict[str, Callable[[Space, int], tuple[Optimizer, Scheduler | None]]]:
    """The study's methods by name, each ``method(space, seed) -> (optimizer, scheduler)``: grid
    (``grid_resolution`` values per axis, shuffled), the :data:`OPTIMIZERS` (sized for ``n_trials``
    evaluations, see :func:`make_optimizer`), and Hyperband, BOHB and ASHA between ``min_budget`` and
    ``max_budget``."""
    methods: dict[str, Callable] = {
        "grid": lambda space, seed: (GridSearch(space, resolution=grid_resolution, shuffle=True, seed=seed), None)}
    for name in OPTIMIZERS:
        methods[name] = lambda space, seed, name=name: (make_optimizer(name, space, seed, n_trials), None)
    methods["hyperband"] = lambda space, seed: (RandomSearch(space, seed=seed), Hyperband(min_budget, max_budget, eta))
    methods["bohb"] = lambda space, seed: (BOHB(space, seed=seed), Hyperband(min_budget, max_budget, eta))
    methods["asha"] = lambda space, seed: (RandomSearch(space, seed=seed), ASHA(min_budget, max_budget, eta))
    return methods
