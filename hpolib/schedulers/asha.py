"""Asynchronous successive halving, ASHA (Li et al. 2020, Algorithm 2).

Rungs ``k = 0, 1, ...`` at budgets ``min_budget * eta^k`` up to ``max_budget``.
Whenever a worker is free: look from the top rung down for a trial among the
best ``floor(|rung k| / eta)`` ended trials of rung ``k`` that has not been
promoted yet, and promote it to rung ``k + 1``; if there is none, start a new
configuration in rung 0. No rung ever waits for another, so no worker idles;
the price is that a promotion may turn out, later, not to have been among
the rung's best.
"""

from __future__ import annotations

import math

from .base import Launch, Scheduler
from .sha import rung_budgets

__all__ = ["ASHA"]


class ASHA(Scheduler):
    """Asynchronous successive halving with promotions.

    Parameters
    ----------
    min_budget, max_budget : int or float
        Budget of rung 0 and the largest a trial gets (with an int ``min_budget`` every budget is an int).
    eta : int
        Reduction factor (>= 2).

    Examples
    --------
    >>> from hpolib import Study
    >>> from hpolib.problems import Branin
    >>> f = Branin(max_budget=9)
    >>> study = Study(f.space, seed=0, scheduler=ASHA(1, 9, eta=3))
    >>> [t.info["rung"] for t in study.optimize(f, n_trials=12, progress=False).trials]
    [0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1]
    """

    continues_trials = True

    def __init__(self, min_budget: float, max_budget: float, eta: int = 3):
        self.budgets = rung_budgets(min_budget, max_budget, eta)
        self.min_budget, self.max_budget, self.eta = self.budgets[0], float(max_budget), int(eta)
        self.ended: list[dict[int, float]] = [{} for _ in self.budgets]  # rung -> {trial: loss}
        self.configs: dict[int, dict] = {}
        self.rung_of: dict[int, int] = {}
        self.promoted: set[int] = set()

    def __repr__(self):
        return f"ASHA(min_budget={self.min_budget:g}, max_budget={self.max_budget:g}, eta={self.eta})"

    def next(self, sample):
        for rung in range(len(self.budgets) - 2, -1, -1):
            ranked = sorted((loss, t) for t, loss in self.ended[rung].items() if math.isfinite(loss))
            top = ranked[:len(self.ended[rung]) // self.eta]
            for _, t in top:
                if t not in self.promoted:
                    return Launch(dict(self.configs[t]), self.budgets[rung + 1], parent=t, info={"rung": rung + 1})
        return Launch(sample(), self.budgets[0], info={"rung": 0})

    def on_launch(self, trial):
        self.configs[trial.number] = dict(trial.config)
        self.rung_of[trial.number] = trial.info["rung"]
        if trial.parent is not None:
            self.promoted.add(trial.parent)

    def on_finish(self, trial, loss):
        self.ended[self.rung_of[trial.number]][trial.number] = math.inf if loss is None else loss
