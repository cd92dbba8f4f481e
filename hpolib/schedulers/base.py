"""The scheduler protocol: which trial starts next at which budget, and which running trial stops.

An optimiser proposes configurations; a scheduler decides what to do with
them. The study drives a scheduler through four calls:

- ``next(sample) -> Launch | None``: the next trial to start, or ``None`` when
  nothing can start until a running trial ends (or nothing ever will).
  ``sample()`` returns a fresh configuration from the study's queue or
  optimiser; a promotion or a PBT copy reuses a configuration instead and
  names its ``parent``, whose checkpoint the new trial continues from.
- ``on_launch(trial)``: the trial made from the launch, with its number.
- ``on_report(trial, step, loss) -> bool``: one reported step; ``False`` stops
  the trial there.
- ``on_finish(trial, loss)``: the trial ended; ``loss`` is ``None`` if it
  failed.

Budgets keep the type they are given in: a scheduler built from ints (epochs)
hands out int budgets, so that an objective may train ``range(1, budget + 1)``
(:func:`hpolib._checks.check_budget`).

Losses are minimised: the study negates the metric of a study that
maximises. Everything a scheduler knows comes from these calls, and what it
decides about a trial it writes into the launch's ``info`` (bracket, rung,
member), so a resumed study rebuilds it by replaying its stored trials
through the same calls (:meth:`Scheduler.restore`).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

from ..trial import Trial

__all__ = ["Launch", "Scheduler", "Launched", "Reported", "Finished"]


@dataclass
class Launch:
    """A trial to start: its configuration, budget, the trial it continues from, and the scheduler's notes."""

    config: dict
    budget: float | None = None
    parent: int | None = None
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Launched:
    """A stored trial started (replayed as ``on_launch``)."""

    trial: Trial

    def replay(self, scheduler: Scheduler) -> None:
        scheduler.on_launch(self.trial)


@dataclass(frozen=True)
class Reported:
    """A stored trial reported ``loss`` at ``step`` (replayed as ``on_report``)."""

    trial: Trial
    step: float
    loss: float

    def replay(self, scheduler: Scheduler) -> None:
        scheduler.on_report(self.trial, self.step, self.loss)


@dataclass(frozen=True)
class Finished:
    """A stored trial ended with ``loss`` (``None``: failed; replayed as ``on_finish``)."""

    trial: Trial
    loss: float | None

    def replay(self, scheduler: Scheduler) -> None:
        scheduler.on_finish(self.trial, self.loss)


class Scheduler(abc.ABC):
    """Base class: a subclass decides launches (:meth:`next`) and may watch reports and ends.

    Attributes
    ----------
    budget : float or None
        Budget of the trials it starts from fresh configurations.
    continues_trials : bool
        Whether it launches trials that continue from another's checkpoint;
        the study then keeps a checkpoint folder per trial.
    finite : bool
        Whether it ends the study by itself (``next`` returns ``None`` for
        good once its plan is done, as PBT's generations do), so that
        ``optimize`` needs no other stop criterion.
    seed : int or None
        Seed of the scheduler's own random choices (where it has any).
    """

    budget: float | None = None
    continues_trials: bool = False
    finite: bool = False

    @abc.abstractmethod
    def next(self, sample) -> Launch | None:
        """The next trial to start (``sample()`` gives a fresh configuration), or ``None`` to wait."""

    def on_launch(self, trial: Trial) -> None:
        """``trial`` was made from the last launch."""

    def on_report(self, trial: Trial, step: float, loss: float) -> bool:
        """One reported step of a running trial; ``False`` stops it there."""
        return True

    def on_finish(self, trial: Trial, loss: float | None) -> None:
        """``trial`` ended; ``loss`` is ``None`` if it failed."""

    def restore(self, events: list[Launched | Reported | Finished]) -> None:
        """Replay a stored study's events, in the order they happened."""
        for event in events:
            event.replay(self)

    def __repr__(self):
        return f"{type(self).__name__}()"
