"""The study loop: an optimiser proposes, an executor evaluates, storage remembers.

An objective is any callable ``objective(config, budget, report) -> float | dict``:
``config`` is a dict of hyperparameters, ``budget`` what the study grants it
(epochs, a fidelity; ``None`` for its own full budget), and
``report(step, value)`` is called once per step (epoch) with the metric so
far. It returns the metric, or a dict of metrics holding the study's
``metric``.

``study.ask()`` and ``study.tell(trial, value)`` drive the same loop by hand,
one trial at a time, as Optuna's ask-and-tell interface does.

Resuming: a :class:`Study` opened with the name and storage of an earlier
one takes its trials back, rebuilds the optimiser from them, and
``optimize`` goes on until the same stop criteria hold for the whole study.
Trials that were running when the earlier driver died (or asked and never
told) are re-run first, under their own numbers, from scratch (or from their
parent's checkpoint).
Configurations enqueued again that the study already evaluated are skipped,
so the script that made a study resumes it by running again; on one worker
it then makes the trials, and spends the budget, of an uninterrupted run.

With a :class:`~hpolib.schedulers.Scheduler` (successive halving, Hyperband,
ASHA, median stopping, learning-curve matching, PBT) the scheduler decides
each trial's budget and may stop running trials at a report; the optimiser
still proposes every fresh configuration.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
import uuid
import warnings
from collections import Counter, deque
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import _optimize
from ._checks import check_json, check_number
from ._results import record_outcome
from .direction import Direction, Incumbent
from .executors import Executor, Job, Outcome, SerialExecutor
from .optimizers import Optimizer, RandomSearch, SpaceExhausted
from .optimizers.base import config_key
from .schedulers.base import Finished, Launch, Launched, Reported, Scheduler
from .space import Space
from .storage import Storage, open_storage
from .trial import Trial, TrialState

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Study", "ResumedTrialWarning"]


class ResumedTrialWarning(UserWarning):
    """A trial left running when its study's last driver stopped is run again from scratch."""

    SAID = "was running when its driver stopped; running it again"
    """How the warning's message ends."""


class Study:
    """Optimise an objective over a space, durably and resumably.

    Parameters
    ----------
    space : Space
        The search space.
    optimizer : Optimizer or None
        What proposes configurations (default :class:`RandomSearch` with ``seed``).
    direction : {"minimize", "maximize"}
    metric : str
        Name of the optimised metric when the objective returns a dict.
    name : str or None
        Study name; an existing study of that name in ``storage`` is resumed.
        ``None`` makes a new, unique name.
    storage : Storage, str, path or None
        Where the trials are kept. ``None`` (the default, as in Optuna) or
        ``":memory:"``: in this process only, nothing written to disk. A
        SQLite file path (e.g. ``"runs/mlp.db"``) makes the study durable:
        each event is committed as it happens, and a study opened again
        with the same name and path resumes. Or a :class:`Storage`. A study
        has one driver: while this one is open (until :meth:`close`, the end
        of a ``with`` block, or of the process), another process that opens
        it gets :class:`~hpolib.storage.StudyLocked`; see
        :class:`~hpolib.storage.SQLiteStorage` for taking over after a crash.
    executor : Executor or None
        Where trials run (default :class:`SerialExecutor`).
    seed : int or None
        Seed of the default optimiser (with an explicit optimiser, seed that instead).
    scheduler : Scheduler or None
        What decides budgets and early stops (default: every trial runs at
        ``optimize``'s ``trial_budget``, none is stopped).
    checkpoint_dir : str, path or None
        Folder of the trials' checkpoint folders (one per trial, named by
        its number). By default checkpoints are kept only when the scheduler
        continues trials from others': beside a SQLite file in
        ``checkpoints/<study name>``, else in a temporary folder.

    Examples
    --------
    >>> from hpolib import Study, Space, Float
    >>> study = Study(Space({"x": Float(-2, 2)}), seed=0)
    >>> best = study.optimize(lambda c, b, r: (c["x"] - 1) ** 2, n_trials=30, progress=False).best
    >>> abs(best.config["x"] - 1) < 0.2
    True
    """

    def __init__(self, space: Space, optimizer: Optimizer | None = None, *, direction: str = "minimize",
                 metric: str = "value", name: str | None = None, storage: Storage | str | os.PathLike | None = None,
                 executor: Executor | None = None, seed: int | None = None, scheduler: Scheduler | None = None,
                 checkpoint_dir: str | None = None):
        direction = Direction.of(direction)
        optimizer = _checked_parts(space, optimizer, metric, executor, seed, scheduler)
        self.space, self.optimizer, self.direction, self.metric = space, optimizer, direction, metric
        self.scheduler = scheduler
        self.name = name or f"study-{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        self.storage = open_storage(storage)
        self._owns_storage = self.storage is not storage  # opened here from a path: close() closes it
        self.executor = executor if executor is not None else SerialExecutor()
        try:  # one driver per study: StudyLocked while another process drives it
            self.storage.open_study(self.name, direction.value, metric, repr(space))
        except BaseException:
            if self._owns_storage:
                self.storage.close()
            raise
        self._trials: list[Trial] = self.storage.trials(self.name)
        self._stale = deque(t.number for t in self._trials if t.state is TrialState.RUNNING)  # its driver stopped
        self._asked: set[int] = set()
        self._queue: deque = deque()
        self._enqueued: Counter = Counter()  # config key -> times enqueued
        self._stop_reasons: dict[int, str] = {}
        self._attempts: dict[int, object] = {}  # trial -> the attempt whose reports are stored (retried tasks)
        self._in_flight: set[int] = set()
        self._incumbent = Incumbent(direction)
        for trial in self._trials:
            self._update_best(trial)
        self.optimizer.restore(sum(t.source == "optimizer" for t in self._trials),
                               [self._outcome_for_optimizer(t) for t in self._trials if t.state.finished])
        if self.scheduler is not None:
            self.scheduler.restore(_events(self._trials, self.direction))
        self.checkpoint_dir = self._checkpoint_root(checkpoint_dir)

    def __repr__(self):
        return f"Study({self.name!r}, {len(self._trials)} trials, {self.direction}, optimizer={self.optimizer!r})"

    def close(self) -> None:
        """Stop driving the study, so that another process may, and close the file opened for it (also at
        garbage collection and at exit). What was read stays readable: ``trials``, ``best``, ``to_dataframe()``.
        ``with Study(...) as study:`` closes it at the end of the block."""
        if self._owns_storage:
            self.storage.close()
        else:
            self.storage.release(self.name)

    def __enter__(self) -> Study:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _checkpoint_root(self, given) -> Path | None:
        if given is not None:
            return Path(given)
        if self.scheduler is None or not self.scheduler.continues_trials:
            return None
        path = getattr(self.storage, "path", None)
        if path is not None:
            return Path(path).parent / "checkpoints" / self.name
        self._tempdir = tempfile.TemporaryDirectory(prefix="hpolib-checkpoints-")  # removed with the study
        return Path(self._tempdir.name)

    # ---------------------------------------------------------------- results

    @property
    def trials(self) -> list[Trial]:
        """Every trial so far, by number (copies: changing one changes nothing in the study)."""
        return [trial.copy() for trial in self._trials]

    @property
    def best(self) -> Trial:
        """The complete trial with the best value at the largest budget any complete trial reached (a copy).

        (Without a scheduler every trial has the same budget, so this is the
        best complete trial; with Hyperband it is the incumbent of the
        highest rung, as in HpBandSter, not a lucky low-budget value.)
        """
        if self._incumbent.item is None:
            raise ValueError(f"study {self.name!r} has no complete trial yet")
        return self._incumbent.item.copy()

    @property
    def best_params(self) -> dict:
        """The configuration of :attr:`best`."""
        return self.best.config

    @property
    def best_value(self) -> float:
        """The value of :attr:`best`."""
        value = self.best.value
        assert value is not None  # a complete trial has a value
        return value

    def _update_best(self, trial: Trial) -> None:
        if trial.state is TrialState.COMPLETE:
            self._incumbent.offer(trial, trial.value, trial.budget)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per trial: number, state, value, budgets, cost, times, worker, error, parent, the
        scheduler's notes (bracket, rung, member...), then the config, metrics and user attributes."""
        import pandas as pd

        return pd.DataFrame([_row(t, self.metric) for t in self._trials])

    def enqueue(self, config: dict) -> None:
        """Evaluate ``config`` before asking the optimiser for more (warm starts, known good settings).

        What the study already holds is not evaluated again: the ``k``-th enqueue of a configuration is
        skipped when the study has ``k`` trials of it from its queue, so the script that enqueued it can
        be run again to resume the study, and enqueuing a configuration twice still evaluates it twice.
        """
        config = self.space.validate(config)
        key = config_key(config)
        self._enqueued[key] += 1
        if self._enqueued[key] > sum(t.source == "queue" and config_key(t.config) == key for t in self._trials):
            self._queue.append(config)

    # ------------------------------------------------------------------- loop

    def optimize(self, objective, n_trials: int | None = None, *, total_budget: float | None = None,
                 timeout: float | None = None, trial_budget: float | None = None,
                 callbacks: Sequence[Callable[[Study, Trial], object]] = (), progress: bool | None = None,
                 max_budget: float | None = None) -> Study:
        """Run trials until a stop criterion holds, then return the study.

        Parameters
        ----------
        objective : callable
            ``objective(config, budget, report) -> float | dict``.
        n_trials : int or None
            Stop launching once the study holds this many trials (earlier
            runs of a resumed study count).
        total_budget : float or None
            Stop launching once the budget spent (the finished trials'
            :attr:`~hpolib.trial.Trial.cost`, earlier runs of a resumed study
            included) plus what running trials may still spend reaches this
            (e.g. total epochs).
        timeout : float or None
            Stop launching after this many seconds of this call; running
            trials are allowed to finish.
        trial_budget : int, float or None
            The budget handed to every objective call (without a scheduler;
            a scheduler sets each trial's budget itself).
        callbacks : sequence of callables
            Each is called as ``callback(study, trial)`` after every trial
            that ends, in order, with a copy of the trial; one that raises
            stops ``optimize`` (after closing the executor).
        progress : bool or None
            Show a progress bar (default: when stderr is a terminal).
        max_budget : float or None
            Deprecated name of ``total_budget`` (schedulers use ``max_budget`` for the largest budget of one
            trial).
        """
        if max_budget is not None:
            if total_budget is not None:
                raise ValueError("give total_budget only (max_budget is its deprecated name)")
            warnings.warn("optimize(max_budget=...) is renamed total_budget", DeprecationWarning, stacklevel=2)
            total_budget = max_budget
        trial_budget = _optimize.checked_budget("trial_budget", trial_budget, self.scheduler)
        stop = _optimize.StopRule(self._trials, n_trials, total_budget, timeout)
        _optimize.optimize(self, objective, stop, trial_budget, list(callbacks), progress)
        return self

    def ask(self, budget: float | None = None) -> Trial:
        """The next trial to evaluate, stored as running (a copy): evaluate its ``config`` at its ``budget``,
        then :meth:`tell` the result. The loop of :meth:`optimize`, driven by hand.

        A trial left running when the study's last driver stopped (asked and never told, or cut off in
        ``optimize``) comes first, from scratch, under its own number; then the queue, then the optimiser.
        ``budget`` is the trial's budget without a scheduler; a scheduler sets it (and may hand out a
        promotion, whose ``parent`` names the trial it continues). Raises
        :class:`~hpolib.optimizers.SpaceExhausted` when the optimiser has nothing left to propose, and a
        RuntimeError when the scheduler has nothing to start until an asked trial is told.
        """
        budget = _optimize.checked_budget("budget", budget, self.scheduler)
        trial = self._rerun() or self._launch(budget, False)
        if trial is None:
            waiting = f"until trials {sorted(self._asked)} are told" if self._asked else "any more"
            raise RuntimeError(f"the scheduler {self.scheduler!r} has no trial to start {waiting}")
        self._asked.add(trial.number)
        return trial.copy()

    def tell(self, trial: Trial | int, value=None, *, error: str | None = None) -> Trial:
        """Record how an asked trial ended, as :meth:`optimize` records an objective's result; return it (a copy).

        ``value`` is what an objective returns: a number, or a dict of metrics holding the study's ``metric``
        (one that is not a finite number fails the trial); or ``error`` says why the trial failed. The
        ``user_attrs`` of the asked trial given back are stored with it.
        """
        number = trial.number if isinstance(trial, Trial) else trial
        if number not in self._asked:
            raise ValueError(f"trial {number!r} is not an asked trial of study {self.name!r} that awaits its result "
                             "(tell each trial from ask() once)")
        if (value is None) == (error is None):
            raise ValueError(f"tell trial {number} its value, or error=... (why it failed), not both or neither")
        attrs = check_json("trial.user_attrs", trial.user_attrs) if isinstance(trial, Trial) else {}
        self._asked.discard(number)
        status = TrialState.COMPLETE if error is None else TrialState.FAILED
        return self._finish(Outcome(number, status, result=value, error=error, user_attrs=attrs)).copy()

    def _fresh(self, exhausted: bool) -> tuple[dict, str]:
        """A fresh configuration and where it came from: the queue first, then the optimiser."""
        if self._queue:
            return self._queue.popleft(), "queue"
        if exhausted:
            raise SpaceExhausted
        return self.optimizer.ask(), "optimizer"  # validated once, in _launch, with whatever the scheduler launches

    def _launch(self, budget, exhausted: bool) -> Trial | None:
        """Create the next trial (``None`` when the scheduler waits for running ones)."""
        sources = []

        def sample() -> dict:
            config, source = self._fresh(exhausted)
            sources.append(source)
            return config

        launch = Launch(sample(), budget) if self.scheduler is None else self.scheduler.next(sample)
        if launch is None:
            return None
        source = "scheduler" if launch.parent is not None or not sources else sources[-1]
        trial = self.storage.create_trial(self.name, self.space.validate(launch.config), launch.budget, source,
                                          launch.parent, launch.info)
        self._trials.append(trial)
        if self.scheduler is not None:
            self.scheduler.on_launch(trial)
        return trial

    def _rerun(self) -> Trial | None:
        """The next trial left running when the study's last driver stopped, running again from scratch; ``None``
        when there is none left."""
        if not self._stale:
            return None
        number = self._stale.popleft()
        warnings.warn(f"trial {number} of study {self.name!r} {ResumedTrialWarning.SAID}", ResumedTrialWarning,
                      stacklevel=3)
        self._trials[number] = self.storage.restart_trial(self.name, number)
        return self._trials[number]

    def _submit(self, trial: Trial) -> None:
        """Hand the trial to the executor, with a fresh checkpoint folder and its parent's, if any."""
        job = Job(trial.number, trial.config, trial.budget)
        if self.checkpoint_dir is not None:
            folder = self.checkpoint_dir / f"{trial.number:06d}"
            shutil.rmtree(folder, ignore_errors=True)  # a re-run trial starts clean
            folder.mkdir(parents=True)
            restore = None if trial.parent is None else str(self.checkpoint_dir / f"{trial.parent:06d}")
            job = Job(trial.number, trial.config, trial.budget, str(folder), restore)
        self.executor.submit(job)
        self._in_flight.add(trial.number)

    def _on_report(self, number: int, step, value, attempt=None) -> bool:
        """Store one report; answer whether the trial may go on. ``attempt`` tells the tries of a trial that an
        executor runs again apart: the first report of a new one drops the reports of the last."""
        trial = self._trials[number]
        if attempt is not None and self._attempts.setdefault(number, attempt) != attempt:
            self._retried(trial, attempt)
        try:
            step, value = check_number("step", step, finite=False), check_number("value", value, finite=False)
        except ValueError:
            self._stop_reasons[number] = f"report(step, value) needs two numbers, got ({step!r}, {value!r})"
            return False
        self.storage.add_report(self.name, number, step, value)
        trial.steps.append((step, value))
        if not math.isfinite(value):
            self._stop_reasons[number] = f"reported a non-finite value ({value}) at step {step:g}"
            return False
        return self.scheduler is None or bool(self.scheduler.on_report(trial, step, self.direction.loss(value)))

    def _retried(self, trial: Trial, attempt) -> None:
        """The executor runs ``trial`` again from scratch (Dask retries a task whose worker died): what the last
        attempt reported goes, so that storage ends with what one clean attempt stores."""
        self._attempts[trial.number] = attempt
        self._stop_reasons.pop(trial.number, None)
        trial.started = self.storage.restart_trial(self.name, trial.number).started
        trial.steps.clear()

    def _finish(self, outcome: Outcome) -> Trial:
        """Record how a trial ended, and tell the optimiser and the scheduler."""
        self._in_flight.discard(outcome.number)
        trial = self._trials[outcome.number]
        trial.worker, trial.finished = outcome.worker, time.time()
        parent_step = None if trial.parent is None else self._trials[trial.parent].budget_used
        record_outcome(trial, outcome, self.metric, self._stop_reasons.pop(outcome.number, None), parent_step)
        self.storage.finish_trial(self.name, trial)
        self._update_best(trial)
        self.optimizer.tell(*self._outcome_for_optimizer(trial))
        if self.scheduler is not None:
            self.scheduler.on_finish(trial, self._loss(trial))
        return trial

    def _outcome_for_optimizer(self, trial: Trial) -> tuple[dict, float | None, float | None]:
        """(config, loss, budget) as the optimiser is told: a stopped trial at the budget it used."""
        budget = trial.budget if trial.state is TrialState.COMPLETE else trial.budget_used
        return trial.config, self._loss(trial), budget

    def _loss(self, trial: Trial) -> float | None:
        return _trial_loss(trial, self.direction)


def _checked_parts(space, optimizer, metric, executor, seed, scheduler) -> Optimizer:
    """The study's optimiser (the default one if ``optimizer`` is None), once every part is checked."""
    if not isinstance(space, Space):
        raise ValueError(f"space must be a hpolib Space, got {type(space).__name__}")
    if not isinstance(metric, str) or not metric:
        raise ValueError(f"metric must be a non-empty string, got {metric!r}")
    if optimizer is None:
        optimizer = RandomSearch(space, seed=seed)
    elif not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be an Optimizer instance, e.g. TPE(space, seed=0), got {optimizer!r}")
    elif seed is not None:
        raise ValueError(f"seed={seed!r} only seeds the default optimizer; seed {type(optimizer).__name__} "
                         "itself (e.g. TPE(space, seed=0)) and leave the study's seed None")
    if optimizer.space != space:
        raise ValueError("the optimizer was built for another search space than the study's")
    if executor is not None and not isinstance(executor, Executor):
        raise ValueError(f"executor must be a hpolib Executor, got {executor!r}")
    if scheduler is not None and not isinstance(scheduler, Scheduler):
        raise ValueError(f"scheduler must be a hpolib Scheduler, got {scheduler!r}")
    return optimizer


def _trial_loss(trial: Trial, direction: Direction) -> float | None:
    """What the optimiser and the scheduler are told: the trial's value as a loss; None if it failed."""
    if trial.state not in (TrialState.COMPLETE, TrialState.STOPPED) or trial.value is None:
        return None
    return direction.loss(trial.value)


def _events(trials: list[Trial], direction: Direction) -> list[Launched | Reported | Finished]:
    """Stored trials as scheduler events (launch, reports, finish), in the order they happened. A trial still
    running is only launched: it runs again, reports and all."""
    events: list[tuple[float, int, int, Launched | Reported | Finished]] = []
    for t in trials:
        events.append((t.started or 0.0, 0, t.number, Launched(t)))
        if t.state.finished:
            events.extend((t.started or 0.0, 1, t.number, Reported(t, step, direction.loss(value)))
                          for step, value in t.steps if math.isfinite(value))
            events.append((t.finished or 0.0, 2, t.number, Finished(t, _trial_loss(t, direction))))
    return [event for *_, event in sorted(events, key=lambda e: e[:3])]


def _row(trial: Trial, metric: str) -> dict:
    """A trial as a row of :meth:`Study.to_dataframe`."""
    row = {"number": trial.number, "state": trial.state.value, "value": trial.value, "budget": trial.budget,
           "budget_used": trial.budget_used, "cost": trial.cost, "duration": trial.duration, "worker": trial.worker,
           "error": trial.error, "parent": trial.parent, "cpu_seconds": trial.cpu_seconds}
    row.update(trial.info)
    row.update(trial.config)
    row.update({f"metric_{k}": v for k, v in trial.metrics.items() if k != metric})
    row.update({f"user_attrs_{k}": v for k, v in trial.user_attrs.items()})
    return row
