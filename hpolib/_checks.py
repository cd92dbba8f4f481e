"""Validation shared by every public entry point: errors name the parameter and the allowed range."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["check_whole", "check_positive"]


def check_whole(name: str, value, low: int = 1) -> int:
    """``value`` as an int, or a ValueError naming ``name`` unless it is a whole number >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be a whole number >= {low}, got {value!r}")
    return int(value)


def check_positive(name: str, value) -> float:
    """``value`` as a float, or a ValueError naming ``name`` unless it is a finite number > 0."""
    try:
        ok = not isinstance(value, bool) and math.isfinite(value) and value > 0
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)
