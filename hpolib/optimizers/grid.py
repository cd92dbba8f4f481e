"""Grid search over the Cartesian product of per-parameter value lists."""

from __future__ import annotations

from collections.abc import Mapping

from ..space import Space
from .base import Optimizer, SpaceExhausted


class GridSearch(Optimizer):
    """Walk the grid of the space, in order or shuffled, then stop.

    The grid is never materialised: proposal ``k`` is grid point ``k`` (or
    point ``permutation(k)`` when shuffled, with a seeded pseudo-random
    permutation computed one index at a time), so grids of billions of
    points cost no memory.

    Parameters
    ----------
    space : Space
    resolution : int, mapping or None
        Points per numeric parameter, see :meth:`hpolib.Space.grid`.
    shuffle : bool
        Visit points in a seeded random order (useful when the budget will
        not cover the grid: the points seen are spread over all of it).
    seed : int or None

    Raises
    ------
    SpaceExhausted
        From ``ask()`` once every point was proposed.
    """

    size: int

    def __init__(self, space: Space, *, resolution: int | Mapping[str, int] | None = None, shuffle: bool = False,
                 seed: int | None = None):
        super().__init__(space, seed=seed)
        self.grid = space.grid(resolution)
        self.shuffle = bool(shuffle)
        self.size = self.grid.size

    def _propose(self, rng) -> dict:  # proposal n_asked is grid point n_asked (or its image): no randomness
        k = self.n_asked
        if k >= self.size:
            raise SpaceExhausted(f"all {self.grid.size} grid points were proposed")
        return self.grid[permute(k, self.grid.size, self.seed) if self.shuffle else k]

    def __repr__(self):
        return f"GridSearch({self.grid.size} points, shuffle={self.shuffle}, seed={self.seed})"


def permute(index: int, size: int, seed: int) -> int:
    """Image of ``index`` under a seeded pseudo-random permutation of ``range(size)``.

    A four-round Feistel network on the smallest even number of bits that
    holds ``size`` is a bijection on that power of two; applying it again
    until the result falls below ``size`` ("cycle walking", Black and
    Rogaway 2002) restricts it to a bijection on ``range(size)``.
    """
    if not 0 <= index < size:
        raise IndexError(f"index {index} out of range({size})")
    half = max(1, ((size - 1).bit_length() + 1) // 2)
    mask = (1 << half) - 1
    keys = [(seed * 0x9E3779B97F4A7C15 + r * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF for r in range(4)]
    x = index
    while True:
        left, right = x >> half, x & mask
        for key in keys:
            mixed = ((right ^ key) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
            left, right = right, left ^ ((mixed ^ (mixed >> 31)) & mask)
        x = (left << half) | right
        if x < size:
            return x
