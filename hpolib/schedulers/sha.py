"""Successive halving (Jamieson and Talwalkar 2016; Li et al. 2018, Algorithm 1's inner loop).

A bracket starts ``n`` configurations at budget ``r``; when every trial of
rung ``i`` has ended, the best ``floor(n / eta^(i+1))`` of them go on to rung
``i + 1`` at ``eta`` times the budget (:func:`rung_budgets`: counted down
from ``max_budget``, which the last rung reaches). A promoted trial
names its predecessor as parent, so an objective that saves checkpoints
continues from it instead of training again from zero.

This is the synchronous algorithm: a rung waits for all its trials. When
every open bracket waits and a worker is free, a new bracket opens (as
HpBandSter does), so workers never idle. :class:`~hpolib.schedulers.ASHA`
promotes asynchronously instead.
"""

from __future__ import annotations

import math

from .._checks import check_budget, check_positive, check_whole
from .base import Launch, Scheduler

__all__ = ["SuccessiveHalving", "Bracket", "rung_budgets"]


def rung_budgets(min_budget: float, max_budget: float, eta: int) -> list[float]:
    """Hyperband's budgets: ``max_budget * eta^-k`` for ``k = s_max, ..., 1, 0``, ``s_max`` the most steps of
    ``eta`` that fit between ``min_budget`` and ``max_budget`` (Li et al. 2018: ``r = R eta^-s``; HpBandSter's
    budgets too). The largest is ``max_budget`` itself and the smallest is at least ``min_budget``: counting up
    from ``min_budget`` instead, 3 to 12 epochs at ``eta = 3`` gave rungs of 3 and 9 epochs, and no trial ever
    trained for 12. Ints, each rounded to the nearest, when ``min_budget`` is an int, so that an objective can
    train ``range(budget)`` epochs.

    Checks its arguments: positive budgets, ``max_budget >= min_budget``, ``eta`` a whole number >= 2.

    >>> rung_budgets(1, 27, 3), rung_budgets(0.5, 2, 2), rung_budgets(3, 12, 3), rung_budgets(10, 40, 3)
    ([1, 3, 9, 27], [0.5, 1.0, 2.0], [4, 12], [13, 40])
    """
    whole = isinstance(min_budget, int)
    min_budget, max_budget = check_budget("min_budget", min_budget), check_positive("max_budget", max_budget)
    if max_budget < min_budget:
        raise ValueError(f"max_budget must be >= min_budget={min_budget!r}, got {max_budget!r}")
    eta = check_whole("eta", eta, 2)
    s_max = int(math.floor(math.log(max_budget / min_budget, eta) + 1e-9))
    budgets = [max_budget * float(eta) ** -k for k in range(s_max, -1, -1)]
    return [int(round(b)) for b in budgets] if whole else budgets


class Bracket:
    """One run of successive halving: ``sizes[i]`` trials at ``budgets[i]`` for each rung ``i``.

    Parameters
    ----------
    index : int
        The bracket's number in its study (written into each trial's ``info``).
    n : int
        Configurations in the first rung.
    budgets : list of int or float
        Budget of each rung.
    eta : int
        Each rung keeps the best ``1 / eta`` of the one before.
    """

    def __init__(self, index: int, n: int, budgets: list[float], eta: int):
        self.index, self.budgets = index, list(budgets)
        self.sizes = [max(1, int(math.floor(n / eta ** i + 1e-9))) for i in range(len(budgets))]
        self.rungs: list[list[int]] = [[] for _ in budgets]
        self.losses: dict[int, float] = {}  # ended trials: loss, +inf when failed
        self.configs: dict[int, dict] = {}
        self.promoted: set[int] = set()

    def __repr__(self):
        table = ", ".join(f"{n}x{r:g}" for n, r in zip(self.sizes, self.budgets))
        return f"Bracket({self.index}: {table})"

    @property
    def done(self) -> bool:
        """Every rung has started all its trials (or all it could promote) and they have all ended."""
        last = max((i for i, rung in enumerate(self.rungs) if rung), default=-1)
        return last >= 0 and self._ended(last) and (last == len(self.rungs) - 1 or self._blocked(last + 1))

    def _ended(self, rung: int) -> bool:
        return len(self.rungs[rung]) == self.sizes[rung] and all(t in self.losses for t in self.rungs[rung])

    def _candidates(self, rung: int) -> list[int]:
        """Trials of ``rung - 1`` that earn a place in ``rung`` and have not been promoted yet, best first."""
        below = sorted((self.losses[t], t) for t in self.rungs[rung - 1] if math.isfinite(self.losses[t]))
        return [t for _, t in below[:self.sizes[rung]] if t not in self.promoted]

    def _blocked(self, rung: int) -> bool:
        """Nothing more can start in ``rung``: full, or the rung below has ended with no more candidates."""
        return len(self.rungs[rung]) >= self.sizes[rung] or (self._ended(rung - 1) and not self._candidates(rung))

    def next(self, sample) -> Launch | None:
        """The next trial of this bracket, or ``None`` while it waits (or when it is done)."""
        if len(self.rungs[0]) < self.sizes[0]:
            return Launch(sample(), self.budgets[0], info={"bracket": self.index, "rung": 0})
        for rung in range(1, len(self.rungs)):
            if len(self.rungs[rung]) >= self.sizes[rung]:
                continue
            if not self._ended(rung - 1):
                return None
            candidates = self._candidates(rung)
            if not candidates:
                return None
            best = candidates[0]
            return Launch(dict(self.configs[best]), self.budgets[rung], parent=best,
                          info={"bracket": self.index, "rung": rung})
        return None

    def add(self, trial) -> None:
        rung = trial.info["rung"]
        self.rungs[rung].append(trial.number)
        self.configs[trial.number] = dict(trial.config)
        if trial.parent is not None:
            self.promoted.add(trial.parent)

    def end(self, number: int, loss: float | None) -> None:
        self.losses[number] = math.inf if loss is None else loss
        for rung in range(1, len(self.rungs)):  # too few rung i-1 survivors: rung i shrinks to what it got
            if self._ended(rung - 1) and len(self.rungs[rung]) < self.sizes[rung] and not self._candidates(rung):
                self.sizes[rung] = len(self.rungs[rung])


class SuccessiveHalving(Scheduler):
    """Successive halving, repeated: brackets of ``n_configs`` configurations from ``min_budget`` up.

    Parameters
    ----------
    min_budget, max_budget : int or float
        Budget of the first and of the last rung (epochs, a fidelity); with an int ``min_budget`` every
        budget is an int.
    eta : int
        Reduction factor: each rung keeps ``1 / eta`` of the trials at
        ``eta`` times the budget (>= 2).
    n_configs : int or None
        Configurations per bracket (default ``eta ** (rungs - 1)``: one
        survivor reaches ``max_budget``).

    Examples
    --------
    >>> from hpolib import Study, Space, Float
    >>> from hpolib.problems import Branin
    >>> f = Branin(max_budget=9)
    >>> study = Study(f.space, seed=0, scheduler=SuccessiveHalving(1, 9, eta=3))
    >>> trials = study.optimize(f, n_trials=13, progress=False).trials
    >>> [(t.info["rung"], t.budget) for t in trials][8:]
    [(0, 1), (1, 3), (1, 3), (1, 3), (2, 9)]
    """

    continues_trials = True

    def __init__(self, min_budget: float, max_budget: float, eta: int = 3, n_configs: int | None = None):
        self.budgets = rung_budgets(min_budget, max_budget, eta)
        self.min_budget, self.max_budget, self.eta = self.budgets[0], float(max_budget), int(eta)
        self.n_configs = (self.eta ** (len(self.budgets) - 1) if n_configs is None
                          else check_whole("n_configs", n_configs, 1))
        self.brackets: list[Bracket] = []
        self._bracket_of: dict[int, Bracket] = {}

    def __repr__(self):
        return (f"{type(self).__name__}(min_budget={self.min_budget:g}, max_budget={self.max_budget:g}, "
                f"eta={self.eta})")

    def bracket(self, index: int) -> Bracket:
        """The ``index``-th bracket of the study (all alike here; Hyperband varies them)."""
        return Bracket(index, self.n_configs, self.budgets, self.eta)

    def next(self, sample):
        for bracket in self.brackets:
            if not bracket.done:
                launch = bracket.next(sample)
                if launch is not None:
                    return launch
        return self.bracket(len(self.brackets)).next(sample)  # every open bracket waits: open another

    def on_launch(self, trial):
        index = trial.info["bracket"]
        while len(self.brackets) <= index:
            self.brackets.append(self.bracket(len(self.brackets)))
        self.brackets[index].add(trial)
        self._bracket_of[trial.number] = self.brackets[index]

    def on_finish(self, trial, loss):
        self._bracket_of[trial.number].end(trial.number, loss)
