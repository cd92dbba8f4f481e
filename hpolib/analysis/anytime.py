"""What a search had found by the time it had spent a given cost: incumbent traces and cost to reach a target.

A search is a sequence of evaluations, each with a cost (seconds, epochs,
pixel-epochs) and a value; the incumbent after ``k`` evaluations is the best
value among the first ``k``. An evaluation whose value does not count, such
as a failed one or one of an increasing-image-sizes stage below the full
resolution (its validation error is not comparable), adds its cost but
cannot become the incumbent.

>>> trace = incumbent_trace([0.5, None, 0.7, 0.6], [2.0, 1.0, 3.0, 1.0])
>>> trace.to_dict("list")
{'spent': [2.0, 3.0, 6.0, 7.0], 'best': [0.5, 0.5, 0.7, 0.7]}
>>> cost_to_reach(trace, 0.7), cost_to_reach(trace, 0.8)
(6.0, nan)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..direction import Direction, Incumbent

__all__ = ["incumbent_trace", "cost_to_reach"]


def incumbent_trace(values: Sequence[float | None], costs: Sequence[float], direction: str = "maximize",
                    ) -> pd.DataFrame:
    """Cumulative cost (``spent``) and incumbent value (``best``, NaN before the first) after each evaluation.

    ``values[i]`` is ``None`` (or NaN) where evaluation ``i`` does not count.
    """
    best = Incumbent(direction)
    if len(values) != len(costs):
        raise ValueError(f"costs must have one entry per value, got {len(costs)} for {len(values)}")
    rows = []
    for value, spent in zip(values, np.cumsum(np.asarray(costs, dtype=float))):
        best.offer(None, value)
        rows.append((float(spent), math.nan if best.value is None else best.value))
    return pd.DataFrame(rows, columns=["spent", "best"])


def cost_to_reach(trace: pd.DataFrame, target: float, direction: str = "maximize") -> float:
    """The cost spent when the incumbent first reached ``target`` (at or past it), NaN if it never did."""
    direction = Direction.of(direction)
    reached: pd.Series = direction.loss(trace.best) <= direction.loss(target)
    return float(trace.spent[reached].iloc[0]) if reached.any() else math.nan
