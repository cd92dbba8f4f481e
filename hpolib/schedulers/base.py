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

Losses are minimised: the study negates the metric of a study that
maximises. Everything a scheduler knows comes from these calls, and what it
decides about a trial it writes into the launch's ``info`` (bracket, rung,
member), so a resumed study rebuilds it by replaying its stored trials
through the same calls (:meth:`Scheduler.restore`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..trial import Trial

__all__ = ["Launch", "Scheduler"]


@dataclass
class Launch:
    """A trial to start: its configuration, budget, the trial it continues from, and the scheduler's notes."""

    config: dict
    budget: float | None = None
    parent: int | None = None
    info: dict = field(default_factory=dict)


class Scheduler:
    """Base class: every trial runs at ``budget`` and none is stopped (the plain study).

    Attributes
    ----------
    budget : float or None
        Budget of the trials it starts from fresh configurations.
    continues_trials : bool
        Whether it launches trials that continue from another's checkpoint;
        the study then keeps a checkpoint folder per trial.
    seed : int or None
        Seed of the scheduler's own random choices (where it has any).
    """

    budget: float | None = None
    continues_trials: bool = False

    def next(self, sample) -> Launch | None:
        return Launch(sample(), self.budget)

    def on_launch(self, trial: Trial) -> None:
        pass

    def on_report(self, trial: Trial, step: float, loss: float) -> bool:
        return True

    def on_finish(self, trial: Trial, loss: float | None) -> None:
        pass

    def restore(self, events: list[tuple]) -> None:
        """Replay a stored study: ``("launch", trial)``, ``("report", trial, step, loss)`` and
        ``("finish", trial, loss)`` events in the order they happened."""
        for kind, trial, *rest in events:
            if kind == "launch":
                self.on_launch(trial)
            elif kind == "report":
                self.on_report(trial, *rest)
            else:
                self.on_finish(trial, *rest)

    def __repr__(self):
        return f"{type(self).__name__}()"
