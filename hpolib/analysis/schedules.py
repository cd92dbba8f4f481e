"""Learning-rate schedules compared on the AutoLRS paper's terms: accuracy at equal steps, steps to a target.

The rows these functions take are one per (schedule, seed) run, with the
keys ``schedule``, ``seed``, ``test_accuracy`` and ``val_accuracy`` (missing
or NaN for a run that diverged), and for the steps-to-target measure the
run's ``validation`` records (``step``, ``total_steps`` with exploration,
``val_accuracy``) as :class:`hpolib.dl.lr.LRRun` keeps them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["gaps", "steps_to_target", "smoothed", "tuned_constant", "tuning_cost"]


def tuned_constant(rows: pd.DataFrame, seeds: int = 1) -> str | None:
    """The constant learning rate with the best validation accuracy (its mean over the seeds it ran on), or None.

    Only constants run on at least ``seeds`` seeds compete, so a grid tuned on two seeds is not won by a rate
    that ran on one.

    >>> rows = pd.DataFrame({"schedule": ["constant 0.1", "constant 0.01", "cosine 0.1"], "seed": 0,
    ...                      "val_accuracy": [0.7, 0.6, 0.8]})
    >>> tuned_constant(rows)
    'constant 0.1'
    """
    constants = rows[rows.schedule.str.startswith("constant ")].dropna(subset=["val_accuracy"])
    constants = constants.groupby("schedule").filter(lambda runs: runs.seed.nunique() >= seeds)
    if constants.empty:
        return None
    return str(constants.groupby("schedule").val_accuracy.mean().idxmax())


def gaps(rows: pd.DataFrame, subject: str = "AutoLRS") -> pd.DataFrame:
    """Test-accuracy gap of ``subject`` against every other schedule, per seed both ran on (percentage points).

    One row per other schedule: its gap on each seed (``seed <n>`` columns),
    their mean, and the number of seeds; a positive gap means ``subject``
    tested better.

    >>> rows = pd.DataFrame({"schedule": ["AutoLRS", "step", "AutoLRS", "step"], "seed": [0, 0, 1, 1],
    ...                      "test_accuracy": [0.80, 0.81, 0.82, 0.80]})
    >>> gaps(rows).round(2).to_dict("records")
    [{'against': 'step', 'seed 0': -1.0, 'seed 1': 2.0, 'mean': 0.5, 'seeds': 2}]
    """
    wide = rows.pivot_table(index="seed", columns="schedule", values="test_accuracy", aggfunc="first")
    out = []
    for other in [c for c in wide.columns if c != subject]:
        both = wide[[subject, other]].dropna() if subject in wide else pd.DataFrame()
        if both.empty:
            continue
        gap = 100 * (both[subject] - both[other])
        out.append({"against": other, **{f"seed {seed}": value for seed, value in gap.items()},
                    "mean": float(gap.mean()), "seeds": len(gap)})
    return pd.DataFrame(out)


def smoothed(validation: list[dict], window: int = 1) -> list[float]:
    """The validation accuracy of each record, as the running mean over the last ``window`` records (fewer at the
    start), so one lucky evaluation does not count as reaching a target.

    >>> smoothed([{"val_accuracy": a} for a in (0.5, 0.7, 0.6)], window=2)
    [0.5, 0.6, 0.65]
    """
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a whole number >= 1, got {window!r}")
    accuracy = pd.Series([r["val_accuracy"] for r in validation], dtype=float)
    return accuracy.rolling(window, min_periods=1).mean().round(12).tolist()


def steps_to_target(validation: list[dict], target: float, window: int = 1) -> dict:
    """The training steps and total steps (with exploration) of the first record whose :func:`smoothed` accuracy
    is at or above ``target``.

    Both are NaN when the run never reached it.

    >>> records = [{"step": 10, "total_steps": 20, "val_accuracy": 0.5}, {"step": 20, "total_steps": 30,
    ...            "val_accuracy": 0.7}, {"step": 30, "total_steps": 40, "val_accuracy": 0.72}]
    >>> steps_to_target(records, 0.6)
    {'steps': 20, 'total_steps': 30}
    >>> steps_to_target(records, 0.7, window=2)
    {'steps': 30, 'total_steps': 40}
    """
    curve = smoothed(validation, window)
    reached = next((r for r, a in zip(validation, curve) if a >= target), None)
    if reached is None:
        return {"steps": np.nan, "total_steps": np.nan}
    return {"steps": reached["step"], "total_steps": reached["total_steps"]}


def tuning_cost(rows: pd.DataFrame, steps: int, subject: str = "AutoLRS") -> pd.DataFrame:
    """Per seed, what ``subject`` cost in training steps (its exploration included) beside what tuning a constant
    learning rate by the grid of ``rows`` cost: one run of ``steps`` per constant tried on that seed.

    >>> rows = pd.DataFrame({"schedule": ["constant 0.1", "constant 0.01", "AutoLRS"], "seed": 0,
    ...                      "steps": [100, 100, 100], "explore_steps": [0, 0, 30]})
    >>> tuning_cost(rows, 100).to_dict("records")
    [{'seed': 0, 'AutoLRS steps': 130, 'constants tried': 2, 'grid steps': 200, 'grid / AutoLRS': 1.54}]
    """
    out = []
    for seed, runs in rows.groupby("seed"):
        own = runs[runs.schedule == subject]
        tried = int(runs.schedule.str.startswith("constant ").sum())
        if own.empty or not tried:
            continue
        cost = int(own.steps.iloc[0] + own.explore_steps.iloc[0])
        out.append({"seed": seed, f"{subject} steps": cost, "constants tried": tried, "grid steps": tried * steps,
                    "grid / AutoLRS": round(tried * steps / cost, 2)})
    return pd.DataFrame(out)
