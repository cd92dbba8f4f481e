"""The study loop: an optimiser proposes, an executor evaluates, storage remembers.

An objective is any callable ``objective(config, budget, report) -> float | dict``:
``config`` is a dict of hyperparameters, ``budget`` what the study grants it
(epochs, a fidelity; ``None`` for its own full budget), and
``report(step, value)`` is called once per step (epoch) with the metric so
far. It returns the metric, or a dict of metrics holding the study's
``metric``.

Resuming: a :class:`Study` opened with the name and storage of an earlier
one takes its trials back, rebuilds the optimiser from them, and
``optimize`` goes on until the same stop criteria hold for the whole study.
Trials that were running when the earlier driver died are re-run first,
under their own numbers, from scratch (or from their parent's checkpoint).
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
import shutil
import sys
import tempfile
import time
import uuid
import warnings
from collections import Counter, deque
from datetime import datetime
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from ._checks import check_number
from .executors import Executor, Job, Outcome, SerialExecutor
from .optimizers import Optimizer, RandomSearch, SpaceExhausted
from .optimizers.base import config_key
from .schedulers.base import Launch, Scheduler
from .space import Space
from .storage import DEFAULT_STORAGE, Storage, open_storage
from .trial import Trial, TrialState, is_finite_number

__all__ = ["Study"]


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
        A SQLite file path (default ``runs/hpolib.db``), ``None`` or
        ``":memory:"`` for memory only, or a :class:`Storage`. A study has
        one driver: while this one is open (until :meth:`close`, the end of
        a ``with`` block, or of the process), another process that opens it
        gets :class:`~hpolib.storage.StudyLocked`; see
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
    >>> study = Study(Space({"x": Float(-2, 2)}), storage=None, seed=0)
    >>> best = study.optimize(lambda c, b, r: (c["x"] - 1) ** 2, n_trials=30, progress=False).best
    >>> abs(best.config["x"] - 1) < 0.2
    True
    """

    def __init__(self, space: Space, optimizer: Optimizer | None = None, *, direction: str = "minimize",
                 metric: str = "value", name: str | None = None, storage: Storage | str | None = DEFAULT_STORAGE,
                 executor: Executor | None = None, seed: int | None = None, scheduler: Scheduler | None = None,
                 checkpoint_dir: str | None = None):
        if not isinstance(space, Space):
            raise ValueError(f"space must be a hpolib Space, got {type(space).__name__}")
        if direction not in ("minimize", "maximize"):
            raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
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
        self.space, self.optimizer, self.direction, self.metric = space, optimizer, direction, metric
        self.scheduler = scheduler
        self.name = name or f"study-{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        self.storage = open_storage(storage)
        self._owns_storage = self.storage is not storage  # opened here from a path: close() closes it
        self.executor = executor if executor is not None else SerialExecutor()
        try:  # one driver per study: StudyLocked while another process drives it
            self.storage.open_study(self.name, direction, metric, repr(space))
        except BaseException:
            if self._owns_storage:
                self.storage.close()
            raise
        self._trials: list[Trial] = self.storage.trials(self.name)
        self._queue: deque = deque()
        self._enqueued: Counter = Counter()  # config key -> times enqueued
        self._stop_reasons: dict[int, str] = {}
        self._attempts: dict[int, object] = {}  # trial -> the attempt whose reports are stored (retried tasks)
        self._in_flight: set[int] = set()
        self._best: Trial | None = None
        for trial in self._trials:
            self._update_best(trial)
        self.optimizer.restore(sum(t.source == "optimizer" for t in self._trials),
                               [self._outcome_for_optimizer(t) for t in self._trials if t.state.finished])
        if self.scheduler is not None:
            self.scheduler.restore(self._events())
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

    def _events(self) -> list[tuple]:
        """The stored trials as scheduler events (launch, reports, finish), in the order they happened.

        A trial still running is only launched: it is run again from scratch, reports and all.
        """
        events = []
        for t in self._trials:
            events.append((t.started or 0.0, 0, t.number, ("launch", t)))
            if t.state.finished:
                events.extend((t.started or 0.0, 1, t.number, ("report", t, step, self._sign * value))
                              for step, value in t.steps if math.isfinite(value))
                events.append((t.finished or 0.0, 2, t.number, ("finish", t, self._loss(t))))
        return [event for *_, event in sorted(events, key=lambda e: e[:3])]

    @property
    def _sign(self) -> float:
        return 1.0 if self.direction == "minimize" else -1.0

    # ---------------------------------------------------------------- results

    @property
    def trials(self) -> list[Trial]:
        """Every trial so far, by number."""
        return list(self._trials)

    @property
    def best(self) -> Trial:
        """The complete trial with the best value at the largest budget any complete trial reached.

        (Without a scheduler every trial has the same budget, so this is the
        best complete trial; with Hyperband it is the incumbent of the
        highest rung, as in HpBandSter, not a lucky low-budget value.)
        """
        if self._best is None:
            raise ValueError(f"study {self.name!r} has no complete trial yet")
        return self._best

    def _update_best(self, trial: Trial) -> None:
        if trial.state is TrialState.COMPLETE and (self._best is None or self._rank(trial) < self._rank(self._best)):
            self._best = trial

    def _rank(self, trial: Trial) -> tuple[float, float]:
        return -(math.inf if trial.budget is None else trial.budget), self._loss(trial)

    def to_dataframe(self) -> pd.DataFrame:
        """One row per trial: number, state, value, budgets, cost, times, worker, error, parent, the
        scheduler's notes (bracket, rung, member...), then the config and metrics."""
        rows = []
        for t in self._trials:
            row = {"number": t.number, "state": t.state.value, "value": t.value, "budget": t.budget,
                   "budget_used": t.budget_used, "cost": t.cost, "duration": t.duration, "worker": t.worker,
                   "error": t.error, "parent": t.parent}
            row.update(t.info)
            row.update(t.config)
            row.update({f"metric_{k}": v for k, v in t.metrics.items() if k != self.metric})
            rows.append(row)
        return pd.DataFrame(rows)

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

    def optimize(self, objective, n_trials: int | None = None, *, max_budget: float | None = None,
                 timeout: float | None = None, trial_budget: float | None = None,
                 progress: bool | None = None) -> Study:
        """Run trials until a stop criterion holds, then return the study.

        Parameters
        ----------
        objective : callable
            ``objective(config, budget, report) -> float | dict``.
        n_trials : int or None
            Stop launching once the study holds this many trials (earlier
            runs of a resumed study count).
        max_budget : float or None
            Stop launching once the budget spent (the finished trials'
            :attr:`~hpolib.trial.Trial.cost`, earlier runs of a resumed study
            included) plus what running trials may still spend reaches this
            (e.g. total epochs).
        timeout : float or None
            Stop launching after this many seconds of this call; running
            trials are allowed to finish.
        trial_budget : float or None
            The budget handed to every objective call (without a scheduler;
            a scheduler sets each trial's budget itself).
        progress : bool or None
            Show a progress bar (default: when stderr is a terminal).
        """
        if not callable(objective):
            raise ValueError(f"objective must be callable, got {objective!r}")
        for label, limit in (("n_trials", n_trials), ("max_budget", max_budget), ("timeout", timeout),
                             ("trial_budget", trial_budget)):
            if limit is not None and not (is_finite_number(limit) and limit > 0):
                raise ValueError(f"{label} must be a positive number or None, got {limit!r}")
        if n_trials is not None and n_trials != int(n_trials):
            raise ValueError(f"n_trials must be a whole number, got {n_trials!r}")
        if n_trials is None and max_budget is None and timeout is None and self.optimizer.size is None \
                and not getattr(self.scheduler, "finite", False):
            raise ValueError("give n_trials, max_budget or timeout: this optimizer never runs out of proposals")
        if trial_budget is not None and self.scheduler is not None:
            raise ValueError(f"trial_budget is set by the scheduler {self.scheduler!r}; leave it None")

        rerun = deque(t for t in self._trials if t.state is TrialState.RUNNING)
        for trial in rerun:
            warnings.warn(f"trial {trial.number} of study {self.name!r} was running when its driver stopped; "
                          "running it again", stacklevel=2)
        exhausted = False
        started = time.monotonic()
        spent = _Spent(self._trials)
        failed = sum(t.state is TrialState.FAILED for t in self._trials)
        show = sys.stderr.isatty() if progress is None else bool(progress)
        bar = tqdm(total=n_trials, initial=sum(t.state.finished for t in self._trials), disable=not show,
                   desc=self.name, unit="trial", dynamic_ncols=True)

        def may_launch() -> bool:
            if timeout is not None and time.monotonic() - started >= timeout:
                return False
            if rerun:
                return True
            if n_trials is not None and len(self._trials) >= n_trials:
                return False
            if max_budget is not None:
                running = sum(self._planned_cost(self._trials[n]) for n in self._in_flight)
                if spent.total + running >= max_budget:
                    return False
            return self.scheduler is not None or bool(self._queue) or not exhausted

        self.executor.start(objective, self._on_report)
        try:
            while True:
                while self.executor.idle() > 0 and may_launch():
                    if rerun:
                        trial = self._restart(rerun.popleft())
                    else:
                        try:
                            trial = self._launch(trial_budget, exhausted)
                        except SpaceExhausted:
                            exhausted = True
                            if self.scheduler is None:
                                continue
                            break
                        if trial is None:  # the scheduler waits for running trials
                            break
                    self.executor.submit(self._job(trial))
                    self._in_flight.add(trial.number)
                if not self._in_flight:
                    break
                for outcome in self.executor.wait(timeout=0.5):
                    trial = self._finish(outcome)
                    spent.add(trial)
                    failed += trial.state is TrialState.FAILED
                    bar.update(1)
                    if show:
                        best = f"{self._best.value:.5g}" if self._best is not None else "-"
                        bar.set_postfix_str(f"best={best}, failed={failed}", refresh=False)
        finally:
            self._in_flight.clear()
            self.executor.close()
            bar.close()
        return self

    def _launch(self, budget, exhausted: bool) -> Trial | None:
        sources = []

        def sample() -> dict:
            if self._queue:
                sources.append("queue")
                return self._queue.popleft()
            if exhausted:
                raise SpaceExhausted
            sources.append("optimizer")
            return self.optimizer.ask()  # validated once, below, with whatever the scheduler launches

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

    def _restart(self, trial: Trial) -> Trial:
        fresh = self.storage.restart_trial(self.name, trial.number)
        self._trials[trial.number] = fresh
        return fresh

    def _job(self, trial: Trial) -> Job:
        """What the executor runs: the trial with a fresh checkpoint folder and its parent's, if any."""
        if self.checkpoint_dir is None:
            return Job(trial.number, trial.config, trial.budget)
        folder = self.checkpoint_dir / f"{trial.number:06d}"
        shutil.rmtree(folder, ignore_errors=True)  # a re-run trial starts clean
        folder.mkdir(parents=True)
        restore = None if trial.parent is None else str(self.checkpoint_dir / f"{trial.parent:06d}")
        return Job(trial.number, trial.config, trial.budget, str(folder), restore)

    def _planned_cost(self, trial: Trial) -> float:
        """What a running trial will cost at most (its ``cost`` once finished): its budget less the step it
        continues from, its parent's last, when it restores the parent's checkpoint."""
        start = self._trials[trial.parent].budget_used if trial.parent is not None and self.checkpoint_dir else 0.0
        return max(_budget_or_one(trial.budget) - start, 0.0)

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
        return self.scheduler is None or bool(self.scheduler.on_report(trial, step, self._sign * value))

    def _retried(self, trial: Trial, attempt) -> None:
        """The executor runs ``trial`` again from scratch (Dask retries a task whose worker died): what the last
        attempt reported goes, so that storage ends with what one clean attempt stores."""
        self._attempts[trial.number] = attempt
        self._stop_reasons.pop(trial.number, None)
        trial.started = self.storage.restart_trial(self.name, trial.number).started
        trial.steps.clear()

    def _finish(self, outcome: Outcome) -> Trial:
        self._in_flight.discard(outcome.number)
        trial = self._trials[outcome.number]
        trial.worker, trial.finished = outcome.worker, time.time()
        reason = self._stop_reasons.pop(outcome.number, None)
        if reason is not None:
            trial.state, trial.error = TrialState.FAILED, reason
        elif outcome.status == "failed":
            trial.state, trial.error = TrialState.FAILED, outcome.error
        elif outcome.status == "stopped":
            trial.state, trial.value = TrialState.STOPPED, trial.last_value
        else:
            trial.value, trial.metrics, trial.error = self._parse(outcome.result)
            trial.state = TrialState.COMPLETE if trial.error is None else TrialState.FAILED
        if trial.steps:
            trial.budget_used = trial.steps[-1][0]
        elif trial.state is TrialState.COMPLETE:
            trial.budget_used = _budget_or_one(trial.budget)
        if trial.parent is not None and trial.steps:
            resumed_at = self._trials[trial.parent].budget_used
            trial.start_step = resumed_at if trial.steps[0][0] > resumed_at else 0.0
        self.storage.finish_trial(self.name, trial)
        self._update_best(trial)
        self.optimizer.tell(*self._outcome_for_optimizer(trial))
        if self.scheduler is not None:
            self.scheduler.on_finish(trial, self._loss(trial))
        return trial

    def _parse(self, result) -> tuple[float | None, dict, str | None]:
        """(value, metrics, error) from what the objective returned."""
        metrics, returned = {}, "the objective returned"
        if isinstance(result, dict):
            metrics = {str(k): _plain(v) for k, v in result.items()}
            if self.metric not in result:
                return None, metrics, f"the objective returned a dict without the metric {self.metric!r}: " \
                                      f"keys {sorted(metrics)}"
            result, returned = result[self.metric], f"the objective's {self.metric!r} was"
        try:
            value = check_number("result", result, finite=False)
        except ValueError:
            return None, metrics, f"{returned} {result!r} ({type(result).__name__}), not a number"
        if not math.isfinite(value):
            return None, metrics, f"the objective returned a non-finite value ({value})"
        return value, metrics, None

    def _outcome_for_optimizer(self, trial: Trial) -> tuple[dict, float | None, float | None]:
        """(config, loss, budget) as the optimiser is told: a stopped trial at the budget it used."""
        budget = trial.budget if trial.state is TrialState.COMPLETE else trial.budget_used
        return trial.config, self._loss(trial), budget

    def _loss(self, trial: Trial) -> float | None:
        """The value the optimiser minimises: the trial's value, negated when maximising; None if failed."""
        if trial.state not in (TrialState.COMPLETE, TrialState.STOPPED) or trial.value is None:
            return None
        return self._sign * trial.value


class _Spent:
    """The budget a study has spent: the :attr:`~hpolib.trial.Trial.cost` of every finished trial, added once.

    One definition for a study resumed from storage and for the trials it finishes itself, so a trial that
    continued from its parent's checkpoint counts only the steps it added, before and after a resume alike.
    """

    def __init__(self, trials: list[Trial]):
        self.total = 0.0
        for trial in trials:
            if trial.state.finished:
                self.add(trial)

    def add(self, trial: Trial) -> None:
        """Count a finished trial's cost."""
        self.total += trial.cost


def _budget_or_one(budget: float | None) -> float:
    """What a running trial will spend at most: its budget, or 1 (one evaluation) when it has none."""
    return 1.0 if budget is None else float(budget)


def _plain(value):
    """A JSON-friendly copy of a metric value."""
    if isinstance(value, (str, bool)) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return repr(value)
