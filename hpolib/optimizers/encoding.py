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

The integer rules live here too, one home for every model-based optimiser.
An integer owns a slice of [0, 1] (:class:`~hpolib.space.Int`); a model
scores a point after moving each integer coordinate to the integer it rounds
to (:func:`snap_integers`), or over that integer's slice
(:func:`integer_slices`), so that what is scored is what is proposed;
:meth:`OneHot.neighbours` are the points one integer (or one category)
away and :meth:`OneHot.line` the points along one integer's values, for a
search that moves on the integers themselves; and
:class:`Asked` keeps an optimiser from proposing a configuration twice while
its candidates hold one it has not asked.

>>> from hpolib import Int
>>> width = Int(1, 4)
>>> snap_integers(np.array([[0.3, 0.3]]), [width, None]).tolist()  # 0.3 rounds to 2, whose slice is [0.25, 0.5]
[[0.375, 0.3]]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..space import Categorical, Int, Space
from .base import config_key

__all__ = ["OneHot", "Ordinal", "Asked", "snap_integers", "integer_slices"]


def snap_integers(x: np.ndarray, integers: Sequence[Int | None]) -> np.ndarray:
    """The points (rows of ``x``) with each integer's coordinate (where ``integers`` holds an
    :class:`~hpolib.space.Int`) moved to the integer it rounds to, ``to_unit(from_unit(u))``."""
    x = np.array(x, dtype=float)
    for j, param in enumerate(integers):
        if param is not None:
            x[:, j] = [param.to_unit(param.from_unit(u)) for u in x[:, j]]
    return x


def integer_slices(x: np.ndarray, integers: Sequence[Int | None]) -> tuple[np.ndarray, np.ndarray]:
    """The lower and upper ends of the slices of the integers the points (rows of ``x``) round to; a coordinate
    that is not an integer's is its own lower and upper end."""
    lower, upper = np.array(x, dtype=float), np.array(x, dtype=float)
    for j, param in enumerate(integers):
        if param is not None:
            values = [param.from_unit(u) for u in x[:, j]]
            lower[:, j] = [param.to_unit(v - 0.5) for v in values]
            upper[:, j] = [param.to_unit(v + 0.5) for v in values]
    return lower, upper


class Asked:
    """The configurations an optimiser has asked or been told: the rule against proposing one twice.

    A model-based optimiser ranks candidates and proposes the best-scoring
    one whose configuration it has not asked or been told (rounding makes
    repeats likely where integers are few or narrow; evaluating one again
    would teach nothing). Only when every candidate repeats one, as in a
    small space that has been exhausted, is the best repeat proposed.

    >>> asked = Asked()
    >>> asked.add({"k": 2})
    >>> asked.best(np.array([0.9, 0.5]), [{"k": 2}, {"k": 3}].__getitem__)
    1
    """

    def __init__(self):
        self._keys: set[tuple] = set()

    def add(self, config: dict) -> None:
        self._keys.add(config_key(config))

    def __contains__(self, config: dict) -> bool:
        return config_key(config) in self._keys

    def best(self, scores: np.ndarray, config: Callable[[int], dict]) -> int:
        """The index of the highest of ``scores`` whose configuration, ``config(index)``, has not been asked or
        told; the highest's if every one has (ties go to the first)."""
        order = np.argsort(-np.asarray(scores), kind="stable")
        return next((int(i) for i in order if config(int(i)) not in self), int(order[0]))


class OneHot:
    """Encode configurations of ``space`` as vectors in ``[0, 1]^dim`` and back.

    Attributes
    ----------
    dim : int
        Length of a vector.
    numeric : ndarray of bool
        Which coordinates are numeric (the rest are one-hot blocks).
    floats : ndarray of bool
        Which coordinates are floats' (numeric and not an integer's).
    integers : list of Int or None
        Per coordinate, its :class:`~hpolib.space.Int` if it is an integer's.
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
        self.integers: list[Int | None] = [None] * self.dim
        for name, param in space.items():
            if isinstance(param, Int):
                self.integers[self._slices[name].start] = param
        self.numeric = np.ones(self.dim, dtype=bool)
        self.blocks = []
        for name, param in space.items():
            if isinstance(param, Categorical):
                self.numeric[self._slices[name]] = False
                self.blocks.append(self._slices[name])
        self.floats = self.numeric & np.array([p is None for p in self.integers])

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
        """The point ``x`` (or each row) as the configuration it decodes to: integers moved to the integer they
        round to, each block one-hot at its largest coordinate, floats as they are."""
        points = snap_integers(np.atleast_2d(x), self.integers)
        for block in self.blocks:
            hot = np.argmax(points[:, block], axis=1)
            points[:, block] = np.arange(block.stop - block.start) == hot[:, None]
        return points if np.ndim(x) == 2 else points[0]

    def neighbours(self, x: np.ndarray) -> np.ndarray:
        """The points one discrete step away from the snapped point ``x``: one integer one up or one down, or one
        categorical parameter at another of its choices (the rest of ``x`` as it is)."""
        steps = []
        for j, param in enumerate(self.integers):
            if param is not None:
                value = param.from_unit(x[j])
                for other in (value - 1, value + 1):
                    if param.low <= other <= param.high:
                        steps.append(x.copy())
                        steps[-1][j] = param.to_unit(other)
        for block in self.blocks:
            for j in range(block.start, block.stop):
                if x[j] != 1.0:
                    steps.append(x.copy())
                    steps[-1][block] = 0.0
                    steps[-1][j] = 1.0
        return np.array(steps).reshape(-1, self.dim)

    LINE_POINTS = 1024
    """The most values :meth:`line` lists for one integer: a wider integer's are spread evenly over its range."""

    def line(self, x: np.ndarray, j: int) -> np.ndarray:
        """The points along integer coordinate ``j`` of the snapped point ``x``: that integer at each of its values
        (at most :attr:`LINE_POINTS`, evenly spread, and the two next to ``x``'s), the rest of ``x`` as it is."""
        param = self.integers[j]
        if param is None:
            raise ValueError(f"coordinate {j} is not an integer's")
        value = param.from_unit(x[j])
        values = np.unique(np.r_[np.round(np.linspace(param.low, param.high, min(param.high - param.low + 1,
                                                                                  self.LINE_POINTS))),
                                 [max(value - 1, param.low), min(value + 1, param.high)]]).astype(int)
        points = np.repeat(np.atleast_2d(x), len(values), axis=0)
        points[:, j] = [param.to_unit(int(v)) for v in values]
        return points

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
    integers : list of Int or None
        Per coordinate, its :class:`~hpolib.space.Int` if it is an integer's.
    """

    def __init__(self, space: Space):
        self.space = space
        self.n_choices = [len(p.choices) if isinstance(p, Categorical) else None for p in space.values()]
        self.categorical = np.array([n is not None for n in self.n_choices], dtype=bool)
        self.integers = [p if isinstance(p, Int) else None for p in space.values()]

    def encode(self, config: dict) -> np.ndarray:
        return np.array([p.index(config[name]) if isinstance(p, Categorical) else p.to_unit(config[name])
                         for name, p in self.space.items()], dtype=float)

    def decode(self, x: np.ndarray) -> dict:
        return {name: p.choices[int(v)] if isinstance(p, Categorical) else p.from_unit(float(v))
                for (name, p), v in zip(self.space.items(), x)}
