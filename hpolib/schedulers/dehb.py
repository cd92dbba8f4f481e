"""DEHB: differential evolution over Hyperband's brackets (Awad, Mallik and Hutter, IJCAI 2021).

DEHB runs Hyperband's brackets (the same ``n_i`` configurations at budgets
``r_i``, rung after rung) but makes the configurations of a rung by
differential evolution instead of sampling or promoting them:

- one *subpopulation* per budget, as large as the most configurations any
  bracket of one Hyperband iteration evaluates at that budget; each slot holds
  a configuration and its loss;
- the first bracket's first rung is Hyperband's: random configurations (from
  the study's optimiser, random search by default), which fill the smallest
  budget's subpopulation;
- in the first Hyperband iteration, a rung above a bracket's first *promotes*
  as successive halving does: the best configurations of the lower budget's
  subpopulation that the higher one does not hold yet, evaluated afresh;
- every other trial is a DE offspring for the next slot of its budget's
  subpopulation (the *target*, taken in turn): rand/1 mutation
  ``v = x_r1 + F (x_r2 - x_r3)`` with three distinct parents, binomial
  crossover with the target (each coordinate from ``v`` with probability
  ``CR``, one at least), and each coordinate that left the unit cube drawn
  afresh. The parents come from the *parent pool*: for a bracket's first rung
  its own budget's subpopulation, or the lower budget's while its own is not
  yet full; for a higher rung the best ``n_i`` of the lower budget's
  subpopulation (what successive halving would promote). A pool of fewer than
  three (the target left out) is filled from all subpopulations, then with
  random points;
- selection: a finished trial replaces its target when its loss is no worse
  (an empty slot takes any finished trial; a failed trial replaces nothing).

Configurations live in the unit cube of :meth:`Space.to_unit <hpolib.Space.to_unit>`
(log scales, integers and categories by equal slices, as the reference does);
each slot keeps the configuration itself, so a resumed study rebuilds the
subpopulations exactly from its stored trials. Every trial trains from
scratch at its budget, as in the paper (no checkpoint is continued). Bracket
sizes are :class:`~hpolib.schedulers.Hyperband`'s (Li et al.'s ``ceil``; the
``dehb`` package floors them, so its second bracket is smaller).

Why a scheduler and not an optimiser as BOHB's model is: DE makes the
configurations of every rung, at a budget it must know, and only a scheduler
decides budgets and rungs. Use it as ``Study(space, scheduler=DEHB(space, 1,
27, seed=0), seed=0)``; the study's optimiser only draws the first bracket.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from .._checks import check_in, check_whole
from ..space import Space
from .base import Launch
from .hyperband import Hyperband
from .sha import Bracket

__all__ = ["DEHB"]

MIN_PARENTS = 3  # rand/1 draws three distinct parents


class _Rungs(Bracket):
    """A Hyperband bracket whose every rung, once the rung below has ended, is filled by DEHB's proposals."""

    def next(self, propose) -> Launch | None:
        for rung in range(len(self.rungs)):
            if len(self.rungs[rung]) >= self.sizes[rung]:
                continue
            if rung > 0 and not self._ended(rung - 1):
                return None
            return propose(self, rung)
        return None

    def _blocked(self, rung: int) -> bool:
        return len(self.rungs[rung]) >= self.sizes[rung]

    def end(self, number: int, loss: float | None) -> None:
        self.losses[number] = np.inf if loss is None else loss


class DEHB(Hyperband):
    """DEHB over ``space``: Hyperband's brackets between ``min_budget`` and ``max_budget``, configurations by DE.

    Parameters
    ----------
    space : Space
        The study's space (DE works in its unit cube).
    min_budget, max_budget : int or float
        ``r_min`` and ``R`` of Hyperband (with an int ``r_min`` every budget is an int).
    eta : int
        Hyperband's reduction factor (>= 2).
    mutation_factor : float
        ``F`` of rand/1 mutation, in (0, 2].
    crossover_prob : float
        ``CR`` of binomial crossover, in [0, 1].
    seed : int or None
        Seed of the mutations and crossovers.

    Examples
    --------
    >>> from hpolib import Study
    >>> from hpolib.problems import Branin
    >>> f = Branin(max_budget=9)
    >>> study = Study(f.space, scheduler=DEHB(f.space, 1, 9, eta=3, seed=0), seed=0)
    >>> trials = study.optimize(f, total_budget=200, progress=False).trials
    >>> sorted({t.info["origin"] for t in trials})
    ['mutation', 'promotion', 'random']
    """

    continues_trials = False

    def __init__(self, space: Space, min_budget: float, max_budget: float, eta: int = 3, *,
                 mutation_factor: float = 0.5, crossover_prob: float = 0.5, seed: int | None = None):
        if not isinstance(space, Space):
            raise ValueError(f"space must be a hpolib Space, got {type(space).__name__}")
        super().__init__(min_budget, max_budget, eta)
        self.space = space
        self.mutation_factor = check_in("mutation_factor", mutation_factor, "(0, 2]")
        self.crossover_prob = check_in("crossover_prob", crossover_prob, "[0, 1]")
        self.seed = int(cast(int, np.random.SeedSequence().entropy)) if seed is None else check_whole("seed", seed, 0)
        self.capacity = self._subpopulation_sizes()
        self.subpopulations: dict[float, list[tuple[dict, float] | None]] = {
            budget: [None] * size for budget, size in self.capacity.items()}
        self.next_slot = {budget: 0 for budget in self.capacity}
        self._launched = 0

    def __repr__(self):
        return (f"DEHB(min_budget={self.min_budget:g}, max_budget={self.max_budget:g}, eta={self.eta}, "
                f"mutation_factor={self.mutation_factor:g}, crossover_prob={self.crossover_prob:g})")

    def _subpopulation_sizes(self) -> dict[float, int]:
        """The most configurations one Hyperband iteration evaluates at each budget."""
        sizes: dict[float, int] = {}
        for _, counts, budgets in self.table():
            for n, budget in zip(counts, budgets):
                sizes[budget] = max(n, sizes.get(budget, 0))
        return dict(sorted(sizes.items()))

    def bracket(self, index: int) -> Bracket:
        plain = super().bracket(index)
        return _Rungs(index, plain.sizes[0], plain.budgets, self.eta)

    # ------------------------------------------------------------------ the scheduler's calls

    def next(self, sample):
        def propose(bracket: Bracket, rung: int) -> Launch:
            return self._propose(bracket, rung, sample)

        for bracket in self.brackets:
            if not bracket.done:
                launch = bracket.next(propose)
                if launch is not None:
                    return launch
        return self.bracket(len(self.brackets)).next(propose)

    def on_launch(self, trial):
        super().on_launch(trial)
        budget, slot = trial.budget, trial.info["slot"]
        self.next_slot[budget] = (slot + 1) % self.capacity[budget]
        self._launched += 1

    def on_finish(self, trial, loss):
        super().on_finish(trial, loss)
        if loss is None:
            return
        members, slot = self.subpopulations[trial.budget], trial.info["slot"]
        if members[slot] is None or loss <= members[slot][1]:
            members[slot] = (dict(trial.config), float(loss))

    # ------------------------------------------------------------------ proposals

    def _propose(self, bracket: Bracket, rung: int, sample) -> Launch:
        budget = bracket.budgets[rung]
        info = {"bracket": bracket.index, "rung": rung, "slot": self.next_slot[budget]}
        first_iteration = bracket.index < len(self.cycle)
        if bracket.index == 0 and rung == 0:
            return Launch(sample(), budget, info={**info, "origin": "random"})
        if first_iteration and rung > 0:
            promoted = self._promotion(bracket, rung)
            if promoted is not None:
                return Launch(promoted, budget, info={**info, "origin": "promotion"})
        rng = np.random.default_rng([self.seed, self._launched])
        return Launch(self._offspring(bracket, rung, rng), budget, info={**info, "origin": "mutation"})

    def _lower(self, budget: float) -> float | None:
        """The budget below ``budget`` (``None`` for the smallest)."""
        budgets = list(self.capacity)
        index = budgets.index(budget)
        return budgets[index - 1] if index > 0 else None

    def _ranked(self, budget: float | None) -> list[dict]:
        """The configurations of ``budget``'s subpopulation, best first (none for ``None``)."""
        if budget is None:
            return []
        members = [m for m in self.subpopulations[budget] if m is not None]
        return [config for config, _ in sorted(members, key=lambda m: m[1])]

    def _promotion(self, bracket: Bracket, rung: int) -> dict | None:
        """The best configuration of the lower budget's subpopulation that is neither in this budget's nor launched
        in this rung yet (the best of all when every one is); ``None`` when the lower budget holds none."""
        budget = bracket.budgets[rung]
        ranked = self._ranked(self._lower(budget))
        taken = self._ranked(budget) + [bracket.configs[t] for t in bracket.rungs[rung]]
        fresh = [config for config in ranked if config not in taken]
        return dict(fresh[0]) if fresh else dict(ranked[0]) if ranked else None

    def _parent_pool(self, bracket: Bracket, rung: int) -> list[dict]:
        budget = bracket.budgets[rung]
        if rung > 0:
            return self._ranked(bracket.budgets[rung - 1])[:bracket.sizes[rung]]
        own = self.subpopulations[budget]
        lower = self._lower(budget)
        return self._ranked(budget if all(m is not None for m in own) or lower is None else lower)

    def _offspring(self, bracket: Bracket, rung: int, rng: np.random.Generator) -> dict:
        """A rand/1/bin offspring of the next target of the rung's budget."""
        budget, dim = bracket.budgets[rung], len(self.space)
        target_member = self.subpopulations[budget][self.next_slot[budget]]
        target = rng.random(dim) if target_member is None else self.space.to_unit(target_member[0])
        pool = self._filled(self._parent_pool(bracket, rung), target, rng)
        r1, r2, r3 = (pool[i] for i in rng.choice(len(pool), MIN_PARENTS, replace=False))
        mutant = r1 + self.mutation_factor * (r2 - r3)
        cross = rng.random(dim) < self.crossover_prob
        cross[rng.integers(dim)] = True
        child = np.where(cross, mutant, target)
        outside = (child < 0) | (child > 1)
        child[outside] = rng.random(int(outside.sum()))
        return self.space.from_unit(child.tolist())

    def _filled(self, configs: list[dict], target: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
        """The parent pool as points, the target left out, filled up to three from all subpopulations, then with
        random points."""
        def others(points, taken):
            return [x for x in points if not any(np.array_equal(x, y) for y in taken)]

        pool = others([self.space.to_unit(c) for c in configs], [target])
        if len(pool) < MIN_PARENTS:
            everyone = others([self.space.to_unit(c) for b in self.capacity for c in self._ranked(b)], [target, *pool])
            pool += [everyone[i] for i in rng.permutation(len(everyone))[:MIN_PARENTS - len(pool)]]
        return pool + [rng.random(len(target)) for _ in range(MIN_PARENTS - len(pool))]
