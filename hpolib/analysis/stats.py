"""Paired comparisons over seeds: what a difference between two methods rests on.

Two methods run on the same seeds give paired results. :func:`paired` reports
the mean difference, on how many seeds the first was ahead, and the p-value
of a one-sided Wilcoxon signed-rank test (exact for small samples). With
``n`` seeds the smallest p it can give is ``2 ** -n`` (0.125 with three
seeds, 0.031 with five): too few seeds cannot show a difference however
large, and the report says so rather than calling it a tie.

>>> row = paired([0.70, 0.68, 0.71, 0.69, 0.72], [0.66, 0.67, 0.69, 0.65, 0.70], alternative="greater")
>>> row["wins"], round(row["p"], 3), row["smallest_p"]
(5, 0.031, 0.03125)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.stats import wilcoxon

__all__ = ["paired", "call", "ALPHA", "CALLS"]

ALPHA = 0.05
"""The level below which a one-sided p says "clearly"."""


def paired(a: Sequence[float], b: Sequence[float], alternative: str = "greater") -> dict:
    """Compare ``a[i]`` with ``b[i]`` over paired seeds; pairs with a NaN are dropped.

    Returns ``n`` (pairs), ``mean_diff`` (``a - b``), ``wins`` (pairs where ``a`` is ahead in the
    direction of ``alternative``), ``p`` (one-sided Wilcoxon that ``a - b`` is ``"greater"`` or
    ``"less"`` than 0; NaN with fewer than two pairs or no difference) and ``smallest_p`` (``2 ** -k`` for the
    ``k`` pairs that differ: the test drops ties).
    """
    if alternative not in ("greater", "less"):
        raise ValueError(f"alternative must be 'greater' or 'less', got {alternative!r}")
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"a and b must pair up, got {len(x)} and {len(y)} values")
    keep = ~(np.isnan(x) | np.isnan(y))
    diff = x[keep] - y[keep]
    n = int(len(diff))
    wins = int((diff > 0).sum() if alternative == "greater" else (diff < 0).sum())
    p = float(wilcoxon(diff, alternative=alternative).pvalue) if n >= 2 and np.any(diff != 0) else math.nan
    return {"n": n, "mean_diff": float(diff.mean()) if n else math.nan, "wins": wins, "p": p,
            "smallest_p": 2.0 ** -int((diff != 0).sum()) if n else math.nan}


CALLS = ("clearly ahead", "too few seeds to tell", "within noise")
"""The words of :func:`call`'s three outcomes, unless a caller names them its own way."""


def call(row: dict, names: tuple[str, str, str] = CALLS) -> str:
    """What a :func:`paired` comparison shows: ``"clearly ahead"`` (p < :data:`ALPHA`), ``"too few seeds to
    tell"`` (no outcome on these seeds could reach it) or ``"within noise"``; in ``names``' words where given, in
    that order (a benchmark asking whether hpolib is worse than a peer says ``"clearly worse"``).

    >>> call({"p": 0.03, "smallest_p": 0.03125}), call({"p": 0.5, "smallest_p": 0.125})
    ('clearly ahead', 'too few seeds to tell')
    >>> call({"p": 0.2, "smallest_p": 0.001}, ("clearly worse", "no worse", "no worse"))
    'no worse'
    """
    ahead, too_few, noise = names
    if row["p"] < ALPHA:
        return ahead
    return too_few if not row["smallest_p"] < ALPHA else noise
