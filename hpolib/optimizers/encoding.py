"""Vectors for optimisers that need a continuous box: numbers in [0, 1], categories one-hot.

A categorical parameter with ``n`` choices takes ``n`` coordinates; a vector
decodes to the choice with the largest coordinate. Nothing about the order
of the choices leaks into the geometry, unlike a single index coordinate.
"""

from __future__ import annotations

import numpy as np

from ..space import Categorical, Space


class OneHot:
    """Encode configurations of ``space`` as vectors in ``[0, 1]^dim`` and back.

    Attributes
    ----------
    dim : int
        Length of a vector.
    numeric : ndarray of bool
        Which coordinates are numeric (the rest are one-hot blocks).
    blocks : list of slice
        The coordinates of each categorical parameter.
    """

    def __init__(self, space: Space):
        self.space = space
        self._slices: dict[str, slice] = {}
        start = 0
        for name, param in space.items():
            width = len(param.choices) if isinstance(param, Categorical) else 1
            self._slices[name] = slice(start, start + width)
            start += width
        self.dim = start
        self.numeric = np.ones(self.dim, dtype=bool)
        self.blocks = []
        for name, param in space.items():
            if isinstance(param, Categorical):
                self.numeric[self._slices[name]] = False
                self.blocks.append(self._slices[name])

    def encode(self, config: dict) -> np.ndarray:
        x = np.zeros(self.dim)
        for name, param in self.space.items():
            where = self._slices[name]
            if isinstance(param, Categorical):
                x[where.start + param.index(config[name])] = 1.0
            else:
                x[where.start] = param.to_unit(config[name])
        return x

    def decode(self, x: np.ndarray) -> dict:
        config = {}
        for name, param in self.space.items():
            where = self._slices[name]
            if isinstance(param, Categorical):
                config[name] = param.choices[int(np.argmax(x[where]))]
            else:
                config[name] = param.from_unit(x[where.start])
        return config

    def snap(self, x: np.ndarray) -> np.ndarray:
        """The vector of the configuration ``x`` decodes to (integers rounded, blocks made one-hot)."""
        return self.encode(self.decode(x))

    def random(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` uniformly random valid vectors (one-hot blocks with a single 1)."""
        x = rng.random((n, self.dim))
        for block in self.blocks:
            hot = rng.integers(block.stop - block.start, size=n)
            x[:, block] = 0.0
            x[np.arange(n), block.start + hot] = 1.0
        return x
