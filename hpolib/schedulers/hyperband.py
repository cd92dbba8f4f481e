"""Hyperband (Li, Jamieson, DeSalvo, Rostamizadeh, Talwalkar 2018, Algorithm 1).

With ``s_max = floor(log_eta(R / r_min))``, bracket ``s`` (from ``s_max`` down
to 0, then again) runs successive halving from

    n = ceil((s_max + 1) / (s + 1) * eta^s)  configurations at  r = R * eta^-s,

so every bracket spends about the same budget and each trades many cheap
evaluations against few full ones differently. For ``R = 81``, ``eta = 3``
(and ``r_min = 1``) the brackets are 81x1, 34x3, 15x9, 8x27 and 5x81.

Give it a :class:`~hpolib.optimizers.BOHB` optimiser and it is BOHB.
"""

from __future__ import annotations

import math

from .._checks import check_whole
from .sha import Bracket, SuccessiveHalving

__all__ = ["Hyperband"]


class Hyperband(SuccessiveHalving):
    """Hyperband: successive-halving brackets ``s = s_max, ..., 0``, repeated.

    Parameters
    ----------
    min_budget, max_budget : int or float
        ``r_min`` and ``R`` (with an int ``r_min`` every budget is an int).
    eta : int
        Reduction factor (>= 2).
    brackets : list of int or None
        Which ``s`` to cycle through (default ``s_max, ..., 0``).

    Examples
    --------
    >>> [(s, n, r) for s, n, r in Hyperband(1, 81, eta=3).table()][:2]
    [(4, [81, 27, 9, 3, 1], [1, 3, 9, 27, 81]), (3, [34, 11, 3, 1], [3, 9, 27, 81])]
    """

    def __init__(self, min_budget: float, max_budget: float, eta: int = 3, brackets: list[int] | None = None):
        super().__init__(min_budget, max_budget, eta)
        self.s_max = len(self.budgets) - 1
        if brackets is None:
            brackets = list(range(self.s_max, -1, -1))
        if not brackets:
            raise ValueError("brackets must name at least one bracket s")
        for s in brackets:
            check_whole("brackets[...]", s, 0)
            if s > self.s_max:
                raise ValueError(f"brackets must hold values in [0, s_max={self.s_max}], got {s!r}")
        self.cycle = [int(s) for s in brackets]

    def bracket(self, index: int) -> Bracket:
        s = self.cycle[index % len(self.cycle)]
        n = int(math.ceil((self.s_max + 1) / (s + 1) * self.eta ** s - 1e-9))
        return Bracket(index, n, self.budgets[self.s_max - s:], self.eta)

    def table(self) -> list[tuple[int, list[int], list[float]]]:
        """``(s, [n_i], [r_i])`` of each bracket of one Hyperband iteration."""
        return [(s, b.sizes, b.budgets) for s, b in ((s, self.bracket(i)) for i, s in enumerate(self.cycle))]
