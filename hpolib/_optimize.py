"""The loop of :meth:`hpolib.Study.optimize`: launch trials while the stop rule allows, take back the ended ones."""

from __future__ import annotations

import inspect
import sys
import time

from ._checks import check_budget
from ._results import budget_or_one
from .optimizers import SpaceExhausted
from .trial import Trial, TrialState, is_finite_number


class StopRule:
    """When a study stops launching trials, and the budget it has spent.

    ``n_trials`` counts the study's trials, ``total_budget`` its spend (the
    :attr:`~hpolib.trial.Trial.cost` of every finished trial, added once when it
    ends, a resumed study's stored trials included, plus what running trials may
    still spend), ``timeout`` the seconds since this rule was made.
    """

    def __init__(self, trials: list[Trial], n_trials: int | None = None, total_budget: float | None = None,
                 timeout: float | None = None):
        for label, limit in (("n_trials", n_trials), ("total_budget", total_budget), ("timeout", timeout)):
            if limit is not None and not (is_finite_number(limit) and limit > 0):
                raise ValueError(f"{label} must be a positive number or None, got {limit!r}")
        if n_trials is not None and n_trials != int(n_trials):
            raise ValueError(f"n_trials must be a whole number, got {n_trials!r}")
        self.n_trials, self.total_budget, self.timeout = n_trials, total_budget, timeout
        self.spent = 0.0
        for trial in trials:
            if trial.state.finished:
                self.add(trial)
        self.started = time.monotonic()

    @property
    def bounded(self) -> bool:
        """Whether any criterion is set."""
        return not (self.n_trials is None and self.total_budget is None and self.timeout is None)

    def add(self, trial: Trial) -> None:
        """Count a finished trial's cost."""
        self.spent += trial.cost

    def timed_out(self) -> bool:
        return self.timeout is not None and time.monotonic() - self.started >= self.timeout

    def allows(self, n_trials: int, running_cost: float) -> bool:
        """Whether a new trial may start with ``n_trials`` in the study and ``running_cost`` still to be spent."""
        if self.timed_out() or (self.n_trials is not None and n_trials >= self.n_trials):
            return False
        return self.total_budget is None or self.spent + running_cost < self.total_budget


def optimize(study, objective, stop: StopRule, trial_budget: float | None, callbacks: list,
             progress: bool | None) -> None:
    """Run ``study``'s trials of ``objective`` until ``stop`` holds and none is running, calling each callback
    with the study and a copy of each trial that ends.

    Trials left running by a dead driver run again first (they are not new
    trials, so only the timeout holds them back).
    """
    from tqdm.auto import tqdm

    _check(study, objective, stop, callbacks)
    trials = study._trials
    show = sys.stderr.isatty() if progress is None else bool(progress)
    bar = tqdm(total=stop.n_trials, initial=sum(t.state.finished for t in trials), disable=not show,
               desc=study.name, unit="trial", dynamic_ncols=True)
    failed = sum(t.state is TrialState.FAILED for t in trials)
    exhausted = False
    study.executor.start(objective, study._on_report)
    try:
        while True:
            while study.executor.idle() > 0 and not stop.timed_out():
                trial = study._rerun()
                if trial is None:
                    if not stop.allows(len(trials), running_cost(study)) or (
                            exhausted and study.scheduler is None and not study._queue):
                        break
                    try:
                        trial = study._launch(trial_budget, exhausted)
                    except SpaceExhausted:  # the queue may still hold some; a scheduler may still promote
                        exhausted = True
                        if study.scheduler is None:
                            continue
                        break
                    if trial is None:  # the scheduler waits for running trials
                        break
                study._submit(trial)
            if not study._in_flight:
                break
            for outcome in study.executor.wait(timeout=0.5):
                trial = study._finish(outcome)
                stop.add(trial)
                failed += trial.state is TrialState.FAILED
                bar.update(1)
                if show:
                    best = f"{study._incumbent.value:.5g}" if study._incumbent.value is not None else "-"
                    bar.set_postfix_str(f"best={best}, failed={failed}", refresh=False)
                for callback in callbacks:
                    callback(study, trial.copy())
    finally:
        study._in_flight.clear()
        study.executor.close()
        bar.close()


def checked_budget(name: str, budget, scheduler) -> float | None:
    """``budget`` for the trials of a study without a scheduler (an int stays an int); a ValueError naming ``name``
    unless it is a positive number or None, or where a scheduler sets the budgets."""
    if budget is None:
        return None
    if scheduler is not None:
        raise ValueError(f"{name} is set by the scheduler {scheduler!r}; leave it None")
    return check_budget(name, budget)


def _check(study, objective, stop: StopRule, callbacks: list) -> None:
    """One clear error for arguments ``optimize`` cannot run with, before any trial."""
    if not callable(objective):
        raise ValueError(f"objective must be callable, got {objective!r}")
    try:
        inspect.signature(objective).bind(None, None, None)
    except TypeError:
        raise ValueError(f"objective must take (config, budget, report), as objective(config, budget, report) is "
                         f"called; {objective!r} takes {inspect.signature(objective)}") from None
    except ValueError:  # no signature to read (a function written in C): called as it is
        pass
    for callback in callbacks:
        if not callable(callback):
            raise ValueError(f"callbacks must be callables callback(study, trial), got {callback!r}")
    if not stop.bounded and study.optimizer.size is None and not (study.scheduler and study.scheduler.finite):
        raise ValueError("give n_trials, total_budget or timeout: this optimizer never runs out of proposals")


def running_cost(study) -> float:
    """What ``study``'s running trials will cost at most (each one's ``cost`` once finished): its budget less
    the step it continues from, its parent's last, when it restores the parent's checkpoint."""
    trials, total = study._trials, 0.0
    for trial in (trials[n] for n in study._in_flight):
        start = trials[trial.parent].budget_used if trial.parent is not None and study.checkpoint_dir else 0
        total += max(budget_or_one(trial.budget) - start, 0.0)
    return total
