"""Validation shared by every public entry point: errors name the parameter and the allowed range."""

from __future__ import annotations

import json
import math

import numpy as np

__all__ = ["check_whole", "check_positive", "check_budget", "check_number", "check_in", "check_json"]


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


def check_budget(name: str, value) -> float:
    """``value`` as a budget: an int stays an int (whole epochs stay whole), any other number becomes a float; a
    ValueError naming ``name`` unless it is a finite number > 0.

    >>> check_budget("max_budget", 27), check_budget("max_budget", 0.5)
    (27, 0.5)
    """
    number = check_positive(name, value)
    return int(value) if isinstance(value, (int, np.integer)) else number


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


def check_in(name: str, value, interval: str) -> float:
    """``value`` as a float, or a ValueError naming ``name`` unless it is a number in ``interval``.

    ``interval`` is written as in the error message: ``"[0, 1]"``, ``"(0, 1]"``, ``"(0, 0.5]"``...; a
    bracket includes its end, a parenthesis excludes it.

    >>> check_in("dropout", 0.5, "[0, 1)")
    0.5
    >>> check_in("dropout", 1, "[0, 1)")
    Traceback (most recent call last):
    ...
    ValueError: dropout must be a number in [0, 1), got 1
    """
    low, high = (float(end) for end in interval[1:-1].split(","))
    try:
        number = check_number(name, value)
    except ValueError:
        number = math.nan
    above = number >= low if interval[0] == "[" else number > low
    below = number <= high if interval[-1] == "]" else number < high
    if not (above and below):
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    return number


def check_json(name: str, value) -> dict:
    """``value``, a dict of JSON values, as storage gives it back (a tuple as a list, keys as strings); a
    ValueError naming ``name`` or the entry that is not JSON.

    >>> check_json("user_attrs", {"layers": (64, 32)})
    {'layers': [64, 32]}
    >>> check_json("user_attrs", {"model": object})
    Traceback (most recent call last):
    ...
    ValueError: user_attrs['model'] must be JSON (numbers, strings, lists, dicts), got <class 'object'>
    """
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a dict, got {value!r}")
    plain = {}
    for key, item in value.items():
        try:
            plain[str(key)] = json.loads(json.dumps(item))
        except (TypeError, ValueError):
            raise ValueError(f"{name}[{key!r}] must be JSON (numbers, strings, lists, dicts), got {item!r}") from None
    return plain
