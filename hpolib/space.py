"""Search spaces: integer, float and categorical hyperparameters.

A :class:`Space` maps names to parameters. Each parameter samples itself from
a seeded :class:`numpy.random.Generator`, validates a value, maps values to
and from the unit interval (the coordinates model-based optimisers work in)
and lays itself out on a grid. A configuration is a plain ``dict`` from
parameter name to a Python ``int``, ``float`` or choice.

Examples
--------
>>> from hpolib.space import Space, Int, Float, Categorical
>>> space = Space({"lr": Float(1e-4, 1e-1, log=True), "width": Int(16, 256),
...                "act": Categorical(["relu", "tanh"])})
>>> config = space.sample(seed=0)
>>> sorted(config)
['act', 'lr', 'width']
>>> len(space.grid({"lr": 4, "width": 3}))
24

A space can be conditional, as ConfigSpace's ``InCondition`` makes one: a
parameter is *active* only when its parent takes one of the given values. A
configuration still holds a value for every parameter (an inactive one keeps
the value drawn for it, which the objective ignores), so optimisers work in
one fixed unit cube; :meth:`Space.active` says which values took effect, and
the analyses that must know (fANOVA, narrowing a space around good
configurations) ask it.

>>> deep = Space({"layers": Int(1, 3), "width_2": Int(8, 64), "width_3": Int(8, 64)},
...              conditions={"width_2": ("layers", [2, 3]), "width_3": ("layers", [3])})
>>> deep.active({"layers": 2, "width_2": 16, "width_3": 40})
{'layers': True, 'width_2': True, 'width_3': False}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import cast, overload

import numpy as np

from ._checks import check_in

__all__ = ["Int", "Float", "Categorical", "Space", "Grid"]


class Param:
    """One hyperparameter: the base of :class:`Int`, :class:`Float` and :class:`Categorical`."""

    def sample(self, rng: np.random.Generator):
        """Draw one value uniformly (log-uniformly for ``log=True``)."""
        return self.from_unit(rng.random())

    def to_unit(self, value) -> float:
        """Map a valid value into ``[0, 1]``."""
        raise NotImplementedError

    def from_unit(self, u: float):
        """Map a point of ``[0, 1]`` (clipped) back to a value."""
        raise NotImplementedError

    def validate(self, value, name: str = "value"):
        """Return ``value`` as this parameter's Python type, or raise ``ValueError`` naming it."""
        raise NotImplementedError

    def grid(self, resolution: int | None = None) -> Sequence:
        """The values of this parameter on a grid of ``resolution`` points."""
        raise NotImplementedError


def _spaced(low: float, high: float, k: int, log: bool) -> np.ndarray:
    """``k`` points evenly spaced from ``low`` to ``high`` (geometrically if ``log``)."""
    if k == 1:
        return np.array([math.sqrt(low * high) if log else (low + high) / 2])
    return np.geomspace(low, high, k) if log else np.linspace(low, high, k)


def _check_resolution(resolution, name: str) -> None:
    if resolution is not None and (not isinstance(resolution, (int, np.integer)) or resolution < 1):
        raise ValueError(f"grid resolution for {name!r} must be a whole number >= 1, got {resolution!r}")


class _Numeric(Param):
    kind = "a number"

    def __init__(self, low, high, log: bool = False):
        if not (np.isfinite(low) and np.isfinite(high)):
            raise ValueError(f"{type(self).__name__} bounds must be finite, got low={low!r}, high={high!r}")
        if low >= high:
            raise ValueError(f"{type(self).__name__} needs low < high, got low={low!r}, high={high!r}")
        if log and low <= 0:
            raise ValueError(f"{type(self).__name__} with log=True needs low > 0, got low={low!r}")
        self.low, self.high, self.log = low, high, bool(log)

    def _edges(self) -> tuple[float, float]:
        return self.low, self.high

    def to_unit(self, value) -> float:
        lo, hi = self._edges()
        if self.log:
            return (math.log(value) - math.log(lo)) / (math.log(hi) - math.log(lo))
        return (value - lo) / (hi - lo)

    def _from_unit_float(self, u: float) -> float:
        lo, hi = self._edges()
        u = float(u)
        if u <= 0.0 or u >= 1.0:  # exact bounds, no round trip through log and exp
            return lo if u <= 0.0 else hi
        if self.log:
            return math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))
        return lo + u * (hi - lo)

    def _range_error(self, name: str, value) -> ValueError:
        scale = ", log scale" if self.log else ""
        return ValueError(f"{name!r} must be {self.kind} in [{self.low}, {self.high}]{scale}, got {value!r}")

    def __eq__(self, other):
        return type(self) is type(other) and (self.low, self.high, self.log) == (other.low, other.high, other.log)

    def __hash__(self):
        return hash((type(self).__name__, self.low, self.high, self.log))

    def __repr__(self):
        log = ", log=True" if self.log else ""
        return f"{type(self).__name__}({self.low!r}, {self.high!r}{log})"


    def _narrowed_edges(self, values, margin: float) -> tuple[float, float]:
        """The span of ``values`` on the unit scale, widened by ``margin`` each side and clipped to [0, 1]."""
        units = [self.to_unit(v) for v in values]
        return max(min(units) - margin, 0.0), min(max(units) + margin, 1.0)


class Int(_Numeric):
    """An integer in ``[low, high]``, both ends included.

    In the unit interval every integer owns an equal slice (``[low - 0.5,
    high + 0.5]`` is mapped onto ``[0, 1]``), so a uniform point rounds to a
    uniform integer and the ends are not under-sampled.

    Parameters
    ----------
    low, high : int
        Inclusive bounds, ``low < high``.
    log : bool
        Sample and space grids on a log scale (needs ``low > 0``).
    """

    kind = "an integer"

    def __init__(self, low: int, high: int, log: bool = False):
        for bound, v in (("low", low), ("high", high)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise ValueError(f"Int {bound} must be a whole number, got {v!r}")
        super().__init__(int(low), int(high), log)

    def _edges(self) -> tuple[float, float]:
        return self.low - 0.5, self.high + 0.5

    def from_unit(self, u: float) -> int:
        return min(max(int(round(self._from_unit_float(u))), self.low), self.high)

    def validate(self, value, name: str = "value") -> int:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, np.floating)):
            raise self._range_error(name, value)
        if not math.isfinite(value) or value != int(value) or not self.low <= value <= self.high:
            raise self._range_error(name, value)
        return int(value)

    def narrowed(self, values, margin: float) -> Int:
        """The integers within ``margin`` of the span of ``values`` (see :meth:`Space.narrowed`), at least two."""
        lo, hi = self._narrowed_edges(values, margin)
        low = max(min(self.from_unit(lo), min(values)), self.low)
        high = min(max(self.from_unit(hi), max(values)), self.high)
        if low == high:
            low, high = (low, low + 1) if low < self.high else (low - 1, low)
        return Int(low, high, log=self.log)

    def grid(self, resolution: int | None = None) -> Sequence[int]:
        _check_resolution(resolution, "Int")
        if resolution is None or resolution >= self.high - self.low + 1:
            return range(self.low, self.high + 1)
        points = np.round(_spaced(self.low, self.high, resolution, self.log)).astype(int)
        return tuple(int(v) for v in np.unique(points))


class Float(_Numeric):
    """A real number in ``[low, high]``.

    Parameters
    ----------
    low, high : float
        Bounds, ``low < high``.
    log : bool
        Sample and space grids on a log scale (needs ``low > 0``), as for
        learning rates and regularisation strengths.
    """

    kind = "a float"

    def __init__(self, low: float, high: float, log: bool = False):
        super().__init__(float(low), float(high), log)

    def from_unit(self, u: float) -> float:
        return min(max(self._from_unit_float(u), self.low), self.high)

    def validate(self, value, name: str = "value") -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise self._range_error(name, value)
        if not math.isfinite(value) or not self.low <= value <= self.high:
            raise self._range_error(name, value)
        return float(value)

    def narrowed(self, values, margin: float) -> Float:
        """The span of ``values`` widened by ``margin`` of the range each side (see :meth:`Space.narrowed`)."""
        lo, hi = self._narrowed_edges(values, margin)
        low, high = min(self.from_unit(lo), min(values)), max(self.from_unit(hi), max(values))
        return Float(low, high, log=self.log) if low < high else self

    def grid(self, resolution: int | None = None) -> Sequence[float]:
        _check_resolution(resolution, "Float")
        if resolution is None:
            raise ValueError("a Float parameter has no natural grid: give it a resolution")
        return tuple(float(v) for v in _spaced(self.low, self.high, resolution, self.log))


class Categorical(Param):
    """One of a fixed set of choices (strings, numbers, booleans or ``None``).

    Categories are unordered: model-based optimisers treat them with their
    own kernels or one-hot codes. The unit-interval mapping (index ``i`` of
    ``n`` owns ``[i/n, (i+1)/n)``) only serves uniform sampling and grids.

    Parameters
    ----------
    choices : sequence
        Distinct choices, at least one.
    """

    def __init__(self, choices: Sequence):
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence) or len(choices) == 0:
            raise ValueError(f"Categorical needs a non-empty list of choices, got {choices!r}")
        for c in choices:
            if c is not None and not isinstance(c, (str, int, float, bool)):
                raise ValueError(f"Categorical choices must be str, int, float, bool or None, got {c!r}")
        keys = [(type(c), c) for c in choices]
        if len(set(keys)) != len(keys):
            raise ValueError(f"Categorical choices must be distinct, got {list(choices)!r}")
        self.choices = tuple(choices)

    def index(self, value) -> int:
        """Position of ``value`` among the choices (type-exact: ``True`` is not ``1``)."""
        for i, c in enumerate(self.choices):
            if type(c) is type(value) and c == value:
                return i
        raise ValueError(f"{value!r} is not one of {list(self.choices)!r}")

    def to_unit(self, value) -> float:
        return (self.index(value) + 0.5) / len(self.choices)

    def from_unit(self, u: float):
        return self.choices[min(max(int(float(u) * len(self.choices)), 0), len(self.choices) - 1)]

    def validate(self, value, name: str = "value"):
        if isinstance(value, np.generic):
            value = value.item()
        try:
            return self.choices[self.index(value)]
        except ValueError:
            raise ValueError(f"{name!r} must be one of {list(self.choices)!r}, got {value!r}") from None

    def narrowed(self, values, margin: float = 0.0) -> Categorical:
        """The choices among ``values``, in this parameter's order (``margin`` does not apply)."""
        used = {self.index(v) for v in values}
        return Categorical([c for i, c in enumerate(self.choices) if i in used])

    def grid(self, resolution: int | None = None) -> Sequence:
        return self.choices

    def __eq__(self, other):
        return type(other) is Categorical and [(type(c), c) for c in self.choices] == [
            (type(c), c) for c in other.choices
        ]

    def __hash__(self):
        return hash(("Categorical", self.choices))

    def __repr__(self):
        return f"Categorical({list(self.choices)!r})"


class Space(Mapping):
    """An ordered mapping of parameter names to :class:`Int`, :class:`Float` and :class:`Categorical`.

    Parameters
    ----------
    params : mapping of str to Param
        The hyperparameters, in the order they should appear.
    conditions : mapping of str to (str, sequence), optional
        ``{child: (parent, values)}``: ``child`` is active only when ``parent``
        is active and takes one of ``values``. A parent comes before its
        children in ``params``.
    """

    def __init__(self, params: Mapping[str, Param], conditions: Mapping[str, tuple[str, Sequence]] | None = None):
        if not isinstance(params, Mapping) or not params:
            raise ValueError("Space needs a non-empty mapping of names to parameters")
        for name, p in params.items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"parameter names must be non-empty strings, got {name!r}")
            if not isinstance(p, Param):
                raise ValueError(f"parameter {name!r} must be Int, Float or Categorical, got {p!r}")
        self._params = cast("dict[str, Int | Float | Categorical]", dict(params))
        self.conditions = {child: self._condition(child, rule) for child, rule in (conditions or {}).items()}

    def _condition(self, child: str, rule) -> tuple[str, tuple]:
        names = list(self._params)
        if child not in self._params:
            raise ValueError(f"conditions name an unknown parameter {child!r}; known: {names}")
        if not (isinstance(rule, (tuple, list)) and len(rule) == 2 and rule[0] in self._params):
            raise ValueError(f"the condition of {child!r} must be (parent, values) with a parent among {names}, "
                             f"got {rule!r}")
        parent, values = rule
        if names.index(parent) >= names.index(child):
            raise ValueError(f"the parent {parent!r} of {child!r} must come before it in the space")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ValueError(f"the condition of {child!r} needs a non-empty list of {parent!r}'s values, "
                             f"got {values!r}")
        return parent, tuple(self._params[parent].validate(v, parent) for v in values)

    def __getitem__(self, name: str) -> Int | Float | Categorical:
        return self._params[name]

    def __iter__(self):
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __eq__(self, other):
        return isinstance(other, Space) and list(self._params.items()) == list(other._params.items()) \
            and self.conditions == other.conditions

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self):
        inner = ", ".join(f"{k!r}: {v!r}" for k, v in self._params.items())
        if not self.conditions:
            return f"Space({{{inner}}})"
        rules = ", ".join(f"{k!r}: ({p!r}, {list(v)!r})" for k, (p, v) in self.conditions.items())
        return f"Space({{{inner}}}, conditions={{{rules}}})"

    def active(self, config: Mapping) -> dict[str, bool]:
        """Which of ``config``'s values take effect: a parameter without a condition always; a conditional one
        when its parent is active and takes one of its condition's values."""
        out: dict[str, bool] = {}
        for name in self._params:
            rule = self.conditions.get(name)
            out[name] = rule is None or (out[rule[0]] and config[rule[0]] in rule[1])
        return out

    def narrowed(self, configs: Sequence[Mapping], margin: float = 0.1) -> Space:
        """This space narrowed around ``configs`` (e.g. the best of an earlier search), with the same conditions.

        The rule, per parameter, from the configurations in which it was
        active (a parameter active in none keeps its range):

        - numeric (:class:`Int`, :class:`Float`, layer counts included): the
          span of their values on the unit scale (log scale where the
          parameter has one), widened by ``margin`` of the whole range on
          each side and clipped to it; an :class:`Int` keeps at least two
          values;
        - :class:`Categorical`: the choices they used, in the original order.

        A child whose condition names only values its narrowed parent no
        longer takes is never active in the narrowed space.

        >>> space = Space({"lr": Float(1e-4, 1.0, log=True), "act": Categorical(["relu", "tanh", "elu"])})
        >>> narrow = space.narrowed([{"lr": 1e-2, "act": "tanh"}, {"lr": 1e-3, "act": "relu"}], margin=0.25)
        >>> round(narrow["lr"].low, 6), round(narrow["lr"].high, 6), narrow["act"]
        (0.0001, 0.1, Categorical(['relu', 'tanh']))
        """
        if not configs:
            raise ValueError("narrowed needs at least one configuration")
        check_in("margin", margin, "[0, 1]")
        configs = [self.validate(c) for c in configs]
        activity = [self.active(c) for c in configs]
        params = {}
        for name, p in self._params.items():
            values = [c[name] for c, a in zip(configs, activity) if a[name]]
            params[name] = p.narrowed(values, margin) if values else p
        space = Space(params)
        space.conditions = dict(self.conditions)
        return space

    def within(self, config: Mapping) -> dict | None:
        """``config`` as a configuration of this space, or None if one of its active values lies outside it.

        An inactive value outside its parameter's range takes no effect, so it
        is moved into the range (to the nearest end; a categorical one to the
        first choice) rather than disqualifying the configuration: how a
        configuration of a wider space enters a space narrowed around others.
        """
        active = self.active(config)
        moved = {}
        for name, p in self._params.items():
            value = config[name]
            try:
                moved[name] = p.validate(value, name)
            except ValueError:
                if active[name]:
                    return None
                moved[name] = p.choices[0] if isinstance(p, Categorical) else min(max(value, p.low), p.high)
        return moved

    def sample(self, rng: np.random.Generator | None = None, *, seed: int | None = None) -> dict:
        """Draw one configuration with ``rng`` (or a new generator seeded with ``seed``)."""
        rng = rng if rng is not None else np.random.default_rng(seed)
        return {name: p.sample(rng) for name, p in self._params.items()}

    def validate(self, config: Mapping) -> dict:
        """Check that ``config`` has exactly this space's names with values in range.

        Returns the configuration with values as Python ``int``/``float``/choice,
        in the space's order; raises ``ValueError`` naming what is wrong.
        """
        if not isinstance(config, Mapping):
            raise ValueError(f"a configuration must be a mapping of names to values, got {config!r}")
        missing = [n for n in self._params if n not in config]
        extra = [n for n in config if n not in self._params]
        if missing or extra:
            parts = ([f"missing {missing}"] if missing else []) + ([f"unknown {extra}"] if extra else [])
            raise ValueError(f"configuration does not match the space ({'; '.join(parts)}): {dict(config)!r}")
        return {name: p.validate(config[name], name) for name, p in self._params.items()}

    def to_unit(self, config: Mapping) -> np.ndarray:
        """The configuration as a point of the unit cube, one coordinate per parameter."""
        return np.array([p.to_unit(config[name]) for name, p in self._params.items()], dtype=float)

    def from_unit(self, u: Sequence[float]) -> dict:
        """The configuration at point ``u`` of the unit cube (clipped into it)."""
        if len(u) != len(self._params):
            raise ValueError(f"expected a point with {len(self._params)} coordinates, got {len(u)}")
        return {name: p.from_unit(x) for (name, p), x in zip(self._params.items(), u)}

    def grid(self, resolution: int | Mapping[str, int] | None = None) -> Grid:
        """The lazy Cartesian grid of this space.

        Parameters
        ----------
        resolution : int, mapping or None
            Points per numeric parameter: one number for all of them, or a
            mapping name -> points. ``None`` (or a name left out) means every
            integer for :class:`Int`; a :class:`Float` must be given a
            resolution. Categorical parameters always use all their choices.
        """
        if isinstance(resolution, Mapping):
            unknown = [n for n in resolution if n not in self._params]
            if unknown:
                raise ValueError(f"grid resolution names unknown parameters {unknown}; known: {list(self)}")
            per_param = {n: resolution.get(n) for n in self._params}
        else:
            per_param = dict.fromkeys(self._params, resolution)
        axes = []
        for name, p in self._params.items():
            try:
                axes.append(p.grid(per_param[name]))
            except ValueError as err:
                raise ValueError(f"parameter {name!r}: {err}") from None
        return Grid(list(self._params), axes)


class Grid(Sequence):
    """The Cartesian product of per-parameter value lists, enumerated lazily.

    ``grid.size`` (and ``len(grid)`` while it fits a machine integer) is the
    product of the axis lengths; ``grid[i]`` decodes index ``i`` in mixed
    radix (the last parameter varies fastest), so a grid of billions of
    points costs no memory.
    """

    def __init__(self, names: list[str], axes: list[Sequence]):
        self.names = list(names)
        self.axes = list(axes)
        self.size = math.prod(len(a) for a in self.axes)

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> dict: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict]: ...

    def __getitem__(self, index: int | slice) -> dict | list[dict]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.size))]
        if index < 0:
            index += self.size
        if not 0 <= index < self.size:
            raise IndexError(f"grid index {index} out of range for a grid of {self.size} points")
        values = []
        for axis in reversed(self.axes):
            index, digit = divmod(index, len(axis))
            values.append(axis[digit])
        return dict(zip(self.names, reversed(values)))

    def __iter__(self):
        for i in range(self.size):
            yield self[i]

    def __repr__(self):
        return f"Grid({self.size} points over {self.names})"
