"""How a study reads what a trial's objective gave back: the one place a trial's end state is decided."""

from __future__ import annotations

import math

from ._checks import check_json, check_number
from .executors import Outcome
from .trial import Trial, TrialState


def parse_result(result, metric: str) -> tuple[float | None, dict, str | None]:
    """``(value, metrics, error)`` from what an objective returned: a number, or a dict holding ``metric``.

    >>> parse_result({"acc": 0.9, "loss": 0.3}, "acc")
    (0.9, {'acc': 0.9, 'loss': 0.3}, None)
    >>> parse_result(float("nan"), "value")[2]
    'the objective returned a non-finite value (nan)'
    """
    metrics, returned = {}, "the objective returned"
    if isinstance(result, dict):
        metrics = {str(k): _plain(v) for k, v in result.items()}
        if metric not in result:
            return None, metrics, f"the objective returned a dict without the metric {metric!r}: keys {sorted(metrics)}"
        result, returned = result[metric], f"the objective's {metric!r} was"
    try:
        value = check_number("result", result, finite=False)
    except ValueError:
        return None, metrics, f"{returned} {result!r} ({type(result).__name__}), not a number"
    if not math.isfinite(value):
        return None, metrics, f"the objective returned a non-finite value ({value})"
    return value, metrics, None


def record_outcome(trial: Trial, outcome: Outcome, metric: str, stop_reason: str | None,
                   parent_step: float | None) -> None:
    """Set ``trial``'s end state, value, metrics, user attributes, error, budget used, GPU (``info["device"]``) and
    CPU time from its ``outcome``.

    ``stop_reason`` is why the study refused one of its reports (it then
    failed); ``parent_step`` the last step of the trial it continued from, if any.
    """
    try:
        trial.user_attrs = check_json("report.user_attrs", outcome.user_attrs)
    except ValueError as exc:
        stop_reason = stop_reason or str(exc)
    if stop_reason is not None:
        trial.state, trial.error = TrialState.FAILED, stop_reason
    elif outcome.status is TrialState.FAILED:
        trial.state, trial.error = TrialState.FAILED, outcome.error
    elif outcome.status is TrialState.STOPPED:
        trial.state, trial.value = TrialState.STOPPED, trial.last_value
    else:
        trial.value, trial.metrics, trial.error = parse_result(outcome.result, metric)
        trial.state = TrialState.COMPLETE if trial.error is None else TrialState.FAILED
    if trial.steps:
        trial.budget_used = trial.steps[-1][0]
    elif trial.state is TrialState.COMPLETE:
        trial.budget_used = budget_or_one(trial.budget)
    if parent_step is not None and trial.steps:
        trial.start_step = parent_step if trial.steps[0][0] > parent_step else 0.0
    if outcome.device is not None:
        trial.info["device"] = outcome.device
    trial.cpu_seconds = outcome.cpu_seconds


def budget_or_one(budget: float | None) -> float:
    """What a trial spends at most: its budget, or 1 (one evaluation) when it has none."""
    return 1.0 if budget is None else float(budget)


def _plain(value):
    """A JSON-friendly copy of a metric value."""
    if isinstance(value, (str, bool)) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return repr(value)
