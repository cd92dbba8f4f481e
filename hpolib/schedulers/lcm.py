"""Learning-curve matching, LCM (the MNIST/CIFAR-10 study's Algorithms 1 and 3).

Every trial trains with the full budget and reports its curve. A trial that
completes leaves its curve, read at the *accumulation points* ``A``, and its
final loss in a store. At each *checkpoint* ``c`` in ``C`` a running trial's
curve so far (its values at the accumulation points up to ``c``) is compared,
with the distance ``d``, to the same stretch of every stored curve. Each of
its ``k`` nearest stored curves forecasts its final loss as the stored final
loss shifted by the gap between the two curves at the checkpoint (with
``offset=False``, unshifted); the forecast is their mean. (Shifting lets a
curve better than every stored one be forecast better than all of them,
where a plain nearest-neighbour mean could only forecast the best stored
value or worse, and so would stop every new best.) The trial is
stopped when the forecast is worse than the best final loss so far by more
than the margin the *early-stopping rate* ``s`` allows::

    stop  if  forecast > best + (1 - s) * |best|

(``s = 1`` stops every trial forecast to lose; for an accuracy, ``s = 0.95``
stops those forecast below 95 % of the best accuracy). Matching starts only
once ``ceil(n * r)`` trials have completed (``r`` the *split rate*), so the
store first fills with unstopped curves.

Asynchronous LCM (Algorithm 3) is this same rule applied as reports arrive:
workers send their curves at checkpoints to the study (the supervisor) and
receive stop or go, through any executor, and every completed curve joins the
store at once. ``synchronous=True`` gives Algorithm 1's rounds instead:
``batch_size`` trials start together, the next round waits for all of them,
and their curves join the store at the end of the round.
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_budget, check_in, check_positive, check_whole
from .base import Launch, Scheduler

__all__ = ["LearningCurveMatching", "DISTANCES"]

DISTANCES = {
    "euclidean": lambda a, b: float(np.sqrt(np.sum((a - b) ** 2))),
    "manhattan": lambda a, b: float(np.sum(np.abs(a - b))),
    "chebyshev": lambda a, b: float(np.max(np.abs(a - b))),
}


class LearningCurveMatching(Scheduler):
    """Stop trials whose curve so far matches the curves of trials that ended worse than the best.

    Parameters
    ----------
    checkpoints : sequence of float
        Steps ``C`` at which a running trial is compared (e.g. epochs 2, 4, 6).
    accumulation_points : sequence of float or None
        Steps ``A`` at which stored curves are read (default: every step up
        to the last checkpoint that a complete trial reported).
    n_trials : int
        The number of trials planned (``n``).
    split_rate : float
        Matching starts once ``ceil(n_trials * split_rate)`` trials are complete, in (0, 1].
    early_stopping_rate : float
        ``s`` in (0, 1]: the fraction of the best value a forecast must reach to go on.
    n_neighbours : int
        Stored curves the forecast averages (``k``).
    distance : {"euclidean", "manhattan", "chebyshev"} or callable
        ``d(a, b)`` between two equally long arrays.
    offset : bool
        Shift each neighbour's final loss by the gap between the curves at the checkpoint.
    synchronous : bool
        Algorithm 1's rounds of ``batch_size`` trials instead of the asynchronous rule.
    batch_size : int
        Trials per round (synchronous only).
    budget : int, float or None
        Budget given to every trial.
    """

    def __init__(self, checkpoints, accumulation_points=None, *, n_trials: int, split_rate: float = 0.2,
                 early_stopping_rate: float = 1.0, n_neighbours: int = 3, distance="euclidean",
                 offset: bool = True, synchronous: bool = False, batch_size: int = 1, budget: float | None = None):
        self.checkpoints = sorted(check_positive("checkpoints[...]", c) for c in checkpoints)
        if not self.checkpoints:
            raise ValueError("checkpoints must hold at least one step")
        self.accumulation_points = (None if accumulation_points is None else
                                    sorted(check_positive("accumulation_points[...]", a)
                                           for a in accumulation_points))
        self.n_trials = check_whole("n_trials", n_trials, 1)
        self.split_rate = check_in("split_rate", split_rate, "(0, 1]")
        self.early_stopping_rate = check_in("early_stopping_rate", early_stopping_rate, "(0, 1]")
        self.n_neighbours = check_whole("n_neighbours", n_neighbours, 1)
        if callable(distance):
            self.distance = distance
        elif distance in DISTANCES:
            self.distance = DISTANCES[distance]
        else:
            raise ValueError(f"distance must be one of {sorted(DISTANCES)} or a callable, got {distance!r}")
        self.offset = bool(offset)
        self.synchronous, self.batch_size = bool(synchronous), check_whole("batch_size", batch_size, 1)
        self.budget = None if budget is None else check_budget("budget", budget)
        self.warmup = int(math.ceil(self.n_trials * self.split_rate - 1e-9))
        self.curves: dict[int, dict[float, float]] = {}
        self.store: list[tuple[dict[float, float], float]] = []  # (curve, final loss) of complete trials
        self.decisions: list[dict] = []  # every comparison made: for plots and checks
        self._round: list[int] = []
        self._pending: list[tuple[dict[float, float], float]] = []
        self._running: set[int] = set()

    def __repr__(self):
        return (f"LearningCurveMatching(checkpoints={self.checkpoints}, n_trials={self.n_trials}, "
                f"split_rate={self.split_rate:g}, early_stopping_rate={self.early_stopping_rate:g})")

    @property
    def best(self) -> float:
        return min(final for _, final in self.store)

    def next(self, sample):
        if self.synchronous and len(self._round) >= self.batch_size:
            if self._running:
                return None  # the round is not over
            self._round, self.store = [], self.store + self._pending  # end of round: its curves join the store
            self._pending = []
        return Launch(sample(), self.budget)

    def on_launch(self, trial):
        self._round.append(trial.number)
        self._running.add(trial.number)

    def on_report(self, trial, step, loss):
        curve = self.curves.setdefault(trial.number, {})
        checked = [c for c in self.checkpoints if max(curve, default=0.0) < c <= step]
        curve[step] = loss
        if not checked or len(self.store) < max(self.warmup, 1):
            return True
        forecast, neighbours = self.forecast(curve, step)
        if forecast is None:
            return True
        best = self.best
        stop = forecast > best + (1.0 - self.early_stopping_rate) * abs(best)
        self.decisions.append({"trial": trial.number, "step": step, "forecast": forecast, "best": best,
                               "neighbours": neighbours, "stopped": stop})
        return not stop

    def forecast(self, curve: dict[float, float], step: float) -> tuple[float | None, list[float]]:
        """Forecast final loss of ``curve`` from the ``k`` stored curves nearest to it up to ``step``,
        and their distances."""
        points = self._points(step)
        if not points:
            return None, []
        mine = _read(curve, points)
        scored = []
        for stored, final in self.store:
            theirs = _read(stored, points)
            shift = mine[-1] - theirs[-1] if self.offset else 0.0
            scored.append((self.distance(mine, theirs), final + shift))
        nearest = sorted(scored)[:self.n_neighbours]
        return float(np.mean([final for _, final in nearest])), [d for d, _ in nearest]

    def _points(self, step: float) -> list[float]:
        if self.accumulation_points is not None:
            return [a for a in self.accumulation_points if a <= step]
        steps = set().union(*(stored for stored, _ in self.store)) if self.store else set()
        return sorted(s for s in steps if s <= step)

    def on_finish(self, trial, loss):
        self._running.discard(trial.number)
        curve = self.curves.get(trial.number)
        if trial.state.value != "complete" or loss is None or not curve:
            return
        (self._pending if self.synchronous else self.store).append((dict(curve), loss))


def _read(curve: dict[float, float], points: list[float]) -> np.ndarray:
    """The curve's values at ``points``: the last value reported at or before each point."""
    steps = sorted(curve)
    values = []
    for p in points:
        earlier = [s for s in steps if s <= p]
        values.append(curve[earlier[-1]] if earlier else curve[steps[0]])
    return np.array(values, dtype=float)
