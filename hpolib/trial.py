"""What a study remembers about one evaluation of the objective."""

from __future__ import annotations

import copy
import dataclasses
import enum
import math
from dataclasses import dataclass, field


class TrialState(str, enum.Enum):
    """Life cycle of a trial: ``running`` until it is ``complete``, ``failed`` or ``stopped``.

    ``stopped`` means a scheduler ended it early on purpose (its last reported
    value is kept); ``failed`` means the objective raised, returned a
    non-finite value, or its worker or driver process died.
    """

    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    STOPPED = "stopped"

    @property
    def finished(self) -> bool:
        return self is not TrialState.RUNNING


class TrialStopped(Exception):
    """Raised inside ``report(step, value)`` when the study stops the trial early (Optuna's ``TrialPruned``).

    Objectives need not catch it: the study records the trial as ``stopped``
    with its reports so far. An objective that wants to clean up can catch it,
    tidy, and re-raise.
    """


@dataclass
class Trial:
    """One evaluation: a configuration, the budget it got and what came of it.

    Attributes
    ----------
    number : int
        Position in the study, from 0.
    config : dict
        The hyperparameters.
    state : TrialState
    budget : float or None
        Budget the objective was given (``None``: its own full budget).
    value : float or None
        The optimised metric: the objective's return value, or the named
        entry of the dict it returned; ``None`` unless complete (or stopped
        after a report).
    metrics : dict
        Everything a dict-returning objective returned.
    steps : list of (step, value)
        Every ``report(step, value)``, in order.
    budget_used : float
        The last reported step if the trial reported, else its budget if it
        completed (1 when the budget was ``None``), else 0.
    started, finished : float or None
        Unix times.
    worker : str or None
        Where it ran (``"serial"``, ``"process-<pid>"``, a Dask worker address).
    error : str or None
        Why it failed.
    source : str
        ``"optimizer"`` (asked), ``"queue"`` (enqueued by hand) or
        ``"scheduler"`` (a promotion or a PBT copy made by the scheduler).
    parent : int or None
        The trial this one continues from (its checkpoint is the objective's
        starting point): the same configuration promoted to a larger budget,
        or a PBT member's earlier segment or the member it copied.
    start_step : float
        The step this trial continued from: its parent's last step when the
        objective resumed from the parent's checkpoint (its first report
        came after it), else 0.
    info : dict
        What the scheduler noted about the trial (bracket, rung, member...),
        and ``device``, the GPU it had, where the executor hands out GPUs.
    user_attrs : dict
        What the objective noted about the trial in ``report.user_attrs``, or
        the caller of :meth:`~hpolib.Study.tell` in the asked trial's (JSON
        values, stored with the trial's end).
    cpu_seconds : float or None
        CPU seconds the objective's process spent on the trial, all its
        threads together; ``None`` where its worker ran other trials
        meanwhile, for a trial told by hand, or one stored before they were
        recorded. Unlike :attr:`duration`, a pause of the machine adds
        nothing to them, and other processes' work little.
    """

    number: int
    config: dict
    state: TrialState = TrialState.RUNNING
    budget: float | None = None
    value: float | None = None
    metrics: dict = field(default_factory=dict)
    steps: list = field(default_factory=list)
    budget_used: float = 0.0
    started: float | None = None
    finished: float | None = None
    worker: str | None = None
    error: str | None = None
    source: str = "optimizer"
    parent: int | None = None
    start_step: float = 0.0
    info: dict = field(default_factory=dict)
    user_attrs: dict = field(default_factory=dict)
    cpu_seconds: float | None = None

    def copy(self) -> Trial:
        """A copy to hand out: what is changed in it, its dicts and lists included, changes nothing in the study."""
        return dataclasses.replace(self, config=dict(self.config), metrics=dict(self.metrics), steps=list(self.steps),
                                   info=dict(self.info), user_attrs=copy.deepcopy(self.user_attrs))

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, ``None`` while running."""
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started

    @property
    def cost(self) -> float:
        """Budget this trial spent itself: ``budget_used`` less the step it continued from."""
        return self.budget_used - self.start_step

    @property
    def last_value(self) -> float | None:
        """The value of the last report, ``None`` if it never reported."""
        return self.steps[-1][1] if self.steps else None


def is_finite_number(value) -> bool:
    """True for an ``int``/``float`` (numpy or Python, not ``bool``) that is finite."""
    try:
        return not isinstance(value, bool) and math.isfinite(value)
    except TypeError:
        return False
