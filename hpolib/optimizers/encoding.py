"""Configurations as vectors, the two ways the optimisers need them.

:class:`OneHot`, for models over a continuous box (GP-BO, PSO): numbers in
[0, 1], a categorical parameter with ``n`` choices as ``n`` coordinates,
decoded to the choice with the largest; nothing about the order of the
choices leaks into the geometry. :class:`Ordinal`, for models that treat
categories apart (TPE, BOHB's kernel density, the GA, fANOVA's forest): one
coordinate per parameter, numbers in [0, 1] and a category's index.

>>> from hpolib import Categorical, Float, Space
>>> space = Space({"lr": Float(1e-3, 1e-1, log=True), "act": Categorical(["relu", "tanh", "elu"])})
>>> OneHot(space).encode({"lr": 0.01, "act": "tanh"}).round(2).tolist()
[0.5, 0.0, 1.0, 0.0]
>>> Ordinal(space).encode({"lr": 0.01, "act": "tanh"}).round(2).tolist()
[0.5, 1.0]
"""

from __future__ import annotations

import numpy as np

from ..space import Categorical, Space

__all__ = ["OneHot", "Ordinal"]


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

    def coordinates(self, name: str) -> slice:
        """The coordinates of parameter ``name`` (one for a number, a block for a categorical parameter)."""
        return self._slices[name]

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


class Ordinal:
    """Encode configurations of ``space`` as one coordinate per parameter and back.

    A number maps to [0, 1] (:meth:`~hpolib.space.Float.to_unit`); a
    categorical parameter to the index of its choice (a float holding a
    whole number; :meth:`decode` truncates).

    Attributes
    ----------
    categorical : ndarray of bool
        Which coordinates are categorical.
    n_choices : list of int or None
        Choices of each parameter (``None`` for a number).
    """

    def __init__(self, space: Space):
        self.space = space
        self.n_choices = [len(p.choices) if isinstance(p, Categorical) else None for p in space.values()]
        self.categorical = np.array([n is not None for n in self.n_choices], dtype=bool)

    def encode(self, config: dict) -> np.ndarray:
        return np.array([p.index(config[name]) if isinstance(p, Categorical) else p.to_unit(config[name])
                         for name, p in self.space.items()], dtype=float)

    def decode(self, x: np.ndarray) -> dict:
        return {name: p.choices[int(v)] if isinstance(p, Categorical) else p.from_unit(float(v))
                for (name, p), v in zip(self.space.items(), x)}
