"""The median stopping rule (Golovin et al. 2017, "Google Vizier", section 3.2.2).

A running trial is stopped at step ``t`` when its best value so far is worse
than the median, over the complete trials, of their running averages of the
curve up to step ``t``. It needs no model and no parameters beyond a grace
period, which makes it the baseline every early-stopping rule should beat.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_budget, check_positive, check_whole
from .base import Launch, Scheduler

__all__ = ["MedianStopping"]


class MedianStopping(Scheduler):
    """Stop a trial whose best so far is worse than the median running average of the complete trials.

    Parameters
    ----------
    n_startup : int
        Complete trials needed before any trial is stopped.
    min_step : float
        No trial is stopped before this step (grace period).
    budget : int, float or None
        Budget given to every trial.
    """

    def __init__(self, n_startup: int = 5, min_step: float = 1, budget: float | None = None):
        self.n_startup = check_whole("n_startup", n_startup, 1)
        self.min_step = check_positive("min_step", min_step)
        self.budget = None if budget is None else check_budget("budget", budget)
        self.curves: dict[int, list[tuple[float, float]]] = {}
        self.complete: list[int] = []

    def __repr__(self):
        return f"MedianStopping(n_startup={self.n_startup}, min_step={self.min_step:g})"

    def next(self, sample):
        return Launch(sample(), self.budget)

    def on_report(self, trial, step, loss):
        curve = self.curves.setdefault(trial.number, [])
        curve.append((step, loss))
        if len(self.complete) < self.n_startup or step < self.min_step:
            return True
        averages = [np.mean([v for s, v in self.curves[t] if s <= step] or [self.curves[t][0][1]])
                    for t in self.complete]
        return min(v for _, v in curve) <= float(np.median(averages))

    def on_finish(self, trial, loss):
        if loss is not None and trial.state.value == "complete" and self.curves.get(trial.number):
            self.complete.append(trial.number)
