"""Learning-rate schedules run side by side on one network and one dataset: the AutoLRS chapter's harness.

A *label* names a run: ``"constant 0.03"``, ``"step 0.1"``, ``"cosine 0.1"``
or ``"onecycle 0.1"`` (a fixed schedule at that peak rate, see
:func:`~hpolib.dl.lr.run_schedule`), or the name of an AutoLRS variant.
:class:`ScheduleRuns` trains a label on a seed from a fresh trainer, so every
label of a seed starts from the same network and sees the same batches, and
keeps the record in a folder with :func:`~hpolib.storage.stored`, keyed by
all it depends on (AutoLRS's code included): a stopped comparison resumes
where it stopped, and a changed setting reruns only what it changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from ..._checks import check_whole
from ...storage import code_version, stored
from ..training import SCHEDULES, Diverged, MultiStep
from . import autolrs as autolrs_module
from .autolrs import AutoLRS, LRRun, Trainer, run_schedule

__all__ = ["ScheduleRuns"]


class ScheduleRuns:
    """Train labelled learning-rate schedules, once per seed each, and keep every record.

    Parameters
    ----------
    trainer : callable
        ``trainer(seed)``: a fresh :class:`~hpolib.dl.lr.Trainer` of that seed.
    steps : int
        Training steps of every run (AutoLRS's exploration comes on top).
    folder : str or path
        Where the records are kept, one JSON file per label and seed.
    key : dict
        What every run depends on besides its schedule and seed (data, network, optimiser settings).
    autolrs : mapping
        AutoLRS's variants: label -> :class:`~hpolib.dl.lr.AutoLRS`'s settings. Each is built here, so a bad
        variant stops the comparison before any training.
    milestones : sequence of float
        The step schedule's milestones, as shares of the run (:class:`~hpolib.dl.training.MultiStep`).
    eval_every : int or None
        Steps between AutoLRS's validation records (default: once per epoch).
    """

    def __init__(self, trainer: Callable[[int], Trainer], steps: int, folder: str | Path, key: dict, *,
                 autolrs: Mapping[str, Mapping] | None = None, milestones: Sequence[float] = (0.5, 0.75),
                 eval_every: int | None = None):
        self.trainer, self.steps, self.folder, self.key = trainer, check_whole("steps", steps), Path(folder), key
        self.autolrs = {label: dict(settings) for label, settings in (autolrs or {}).items()}
        for settings in self.autolrs.values():
            AutoLRS(**settings)
        self.step_schedule = MultiStep(milestones)
        self.milestones = list(milestones)
        self.eval_every = eval_every
        self.code = code_version(autolrs_module)

    def plan(self, label: str) -> tuple[dict, Callable[[Trainer], LRRun]]:
        """What the run ``label`` depends on, and how it trains a trainer."""
        if label in self.autolrs:
            settings = self.autolrs[label]
            return settings | {"code": self.code}, \
                lambda t: AutoLRS(**settings, eval_every=self.eval_every, seed=t.seed).run(t, self.steps)
        name, _, lr = label.partition(" ")
        if name not in SCHEDULES or not lr:
            raise ValueError(f"label must be an AutoLRS variant ({', '.join(self.autolrs) or 'none'}) or "
                             f"'<schedule> <lr>' with a schedule of {list(SCHEDULES)}, got {label!r}")
        shape = self.step_schedule if name == "step" else name
        key = {"schedule": name, "lr": float(lr)} | ({"milestones": self.milestones} if name == "step" else {})
        return key, lambda t: run_schedule(t, float(lr), shape, self.steps)

    def record(self, label: str, seed: int) -> dict:
        """The run of ``label`` on ``seed``: trained now, or read back where an equal run is kept.

        A finished run's record holds its steps, exploration steps, last learning rate, validation and test
        accuracy, seconds and the run itself (:meth:`LRRun.to_dict`); a run that diverged holds ``diverged``.
        """
        settings, train = self.plan(label)

        def make() -> dict:
            t, started = self.trainer(seed), time.perf_counter()
            try:
                run = train(t)
            except Diverged as error:
                return {"schedule": label, "seed": seed, "diverged": str(error)[:80],
                        "seconds": time.perf_counter() - started}
            seconds = time.perf_counter() - started
            test_loss, test_accuracy = t.accuracy(t.data.test)
            return {"schedule": label, "seed": seed, "steps": len(run.lrs), "explore_steps": run.explore_steps,
                    "final_lr": run.lrs[-1], "val_accuracy": run.validation[-1]["val_accuracy"],
                    "test_accuracy": test_accuracy, "seconds": seconds, "run": run.to_dict(digits=5)}

        name = label.replace(" ", "_").replace("/", "-").replace(":", "")
        return stored(self.folder / f"{name}-seed{seed}.json", self.key | {"run": settings, "seed": seed}, make)
