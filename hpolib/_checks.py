"""Validation shared by every public entry point: errors name the parameter and the allowed range."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["check_whole", "check_positive", "check_number"]


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


def check_number(name: str, value, finite: bool = True) -> float:
    """``value`` as a float, or a ValueError naming ``name`` unless it is a real number (finite if ``finite``).

    Python and numpy ints and floats and one-element arrays or tensors of them are numbers; a bool (Python,
    numpy or a bool tensor), a string or ``None`` is not, even where ``float()`` would take it.
    """
    if not isinstance(value, (bool, str, bytes)) and "bool" not in str(getattr(value, "dtype", "")):
        try:
            number = float(value)
        except (TypeError, ValueError):
            pass
        else:
            if math.isfinite(number) or not finite:
                return number
    raise ValueError(f"{name} must be a {'finite ' if finite else ''}number, got {value!r}")
