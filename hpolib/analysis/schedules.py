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

__all__ = ["gaps", "steps_to_target", "tuned_constant"]


def tuned_constant(rows: pd.DataFrame) -> str | None:
    """The constant learning rate with the best validation accuracy (its mean over the seeds it ran on), or None.

    >>> rows = pd.DataFrame({"schedule": ["constant 0.1", "constant 0.01", "cosine 0.1"], "seed": 0,
    ...                      "val_accuracy": [0.7, 0.6, 0.8]})
    >>> tuned_constant(rows)
    'constant 0.1'
    """
    constants = rows[rows.schedule.str.startswith("constant ")].dropna(subset=["val_accuracy"])
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


def steps_to_target(validation: list[dict], target: float) -> dict:
    """The training steps and total steps (with exploration) of the first record at or above ``target``.

    Both are NaN when the run never reached it.

    >>> records = [{"step": 10, "total_steps": 20, "val_accuracy": 0.5}, {"step": 20, "total_steps": 30,
    ...            "val_accuracy": 0.7}]
    >>> steps_to_target(records, 0.6)
    {'steps': 20, 'total_steps': 30}
    """
    reached = next((r for r in validation if r["val_accuracy"] >= target), None)
    if reached is None:
        return {"steps": np.nan, "total_steps": np.nan}
    return {"steps": reached["step"], "total_steps": reached["total_steps"]}
