"""Which way is better, and which trial is the best so far: the one home of both rules.

A study maximises or minimises its metric; every part below it (optimisers,
schedulers) minimises a *loss*, the value times :attr:`Direction.sign`. The
*incumbent* is the best value at the largest budget seen so far (HpBandSter's
rule, Falkner et al. 2018): with Hyperband a lucky value at a low budget never
outranks the top rung; without a scheduler every trial has the same budget
and the incumbent is simply the best value.

>>> Direction.of("maximize").loss(0.9)
-0.9
>>> best = Incumbent("maximize")
>>> [best.offer(name, value, budget) for name, value, budget in [("a", 0.9, 1), ("b", 0.7, 9), ("c", 0.8, 9)]]
[True, True, True]
>>> best.item, best.value
('c', 0.8)
"""

from __future__ import annotations

import enum
import math

__all__ = ["Direction", "Incumbent"]


class Direction(str, enum.Enum):
    """``"minimize"`` or ``"maximize"``; compares equal to its string."""

    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def of(cls, direction: str | Direction, name: str = "direction") -> Direction:
        """The direction named ``direction``; a clear error naming the parameter ``name`` otherwise."""
        try:
            return cls(direction)
        except ValueError:
            raise ValueError(f"{name} must be 'minimize' or 'maximize', got {direction!r}") from None

    @property
    def sign(self) -> float:
        """``+1`` when minimising, ``-1`` when maximising: ``loss = sign * value``."""
        return 1.0 if self is Direction.MINIMIZE else -1.0

    def loss(self, value: float) -> float:
        """The value as a loss (smaller is better)."""
        return self.sign * value

    def better(self, a: float, b: float) -> bool:
        """Whether value ``a`` is strictly better than value ``b``."""
        return self.loss(a) < self.loss(b)


class Incumbent:
    """The best value offered so far at the largest budget offered so far, with the item it came with.

    ``offer(item, value, budget)`` with ``budget=None`` means the full budget
    (larger than any number); a ``None`` or non-finite value is never taken.
    Ties keep the earlier item.
    """

    def __init__(self, direction: str | Direction = "minimize"):
        self.direction = Direction.of(direction)
        self.item = None
        self.value: float | None = None
        self._key: tuple[float, float] | None = None

    def offer(self, item, value: float | None, budget: float | None = None) -> bool:
        """Take ``item`` if it beats the incumbent; say whether it did."""
        if value is None or not math.isfinite(value):
            return False
        key = (-(math.inf if budget is None else float(budget)), self.direction.loss(value))
        if self._key is not None and not key < self._key:
            return False
        self.item, self.value, self._key = item, float(value), key
        return True

    def __repr__(self):
        return f"Incumbent({self.direction}, value={self.value})"
