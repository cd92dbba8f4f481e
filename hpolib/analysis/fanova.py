"""Functional ANOVA hyperparameter importance (Hutter, Hoos and Leyton-Brown, ICML 2014).

A random forest (scikit-learn's, fitted on the configurations in the unit
cube) approximates the objective. Each tree is a piecewise-constant function
over axis-aligned boxes, so its functional ANOVA decomposition under the
uniform measure on the cube is exact (Hutter et al. 2014, section 3):

- total variance ``V = sum_l v_l^2 |B_l| - f0^2`` over the leaves ``l``
  (value ``v_l``, box ``B_l``), with ``f0 = sum_l v_l |B_l|``;
- the marginal ``a_U(x_U)`` of a set ``U`` of parameters is the mean over the
  others; on each cell of the grid that the tree's split points cut the
  ``U`` axes into, it is constant, ``sum_l v_l [cell in B_l] |B_l|_{-U}``;
- ``V_U = Var(a_U)`` for a single parameter, and for a pair
  ``V_{ij} = Var(a_{ij}) - V_i - V_j`` (eq. 3 of the paper).

The importance of ``U`` is ``V_U / V`` per tree; the result is the mean and
standard deviation over trees. Log-scaled parameters are measured on their
log scale (the unit cube the optimisers use); integers on their spread of
values (each its cell of the unit interval); a categorical parameter by its
choice, each choice with equal measure (a tree may group choices in index
order, but each choice's share of the measure, and so the decomposition, is
exact).

Examples
--------
>>> import numpy as np
>>> from hpolib import Space, Float
>>> space = Space({"a": Float(0, 1), "b": Float(0, 1)})
>>> rng = np.random.default_rng(0)
>>> configs = [space.sample(rng) for _ in range(300)]
>>> values = [4 * c["a"] + 2 * c["b"] for c in configs]
>>> imp = fanova(space, configs, values, seed=0).importance()
>>> bool(abs(imp.loc["a", "mean"] - 0.8) < 0.05 and abs(imp.loc["b", "mean"] - 0.2) < 0.05)
True
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestRegressor

from .._checks import check_whole
from ..optimizers.encoding import Ordinal
from ..space import Categorical, Space

__all__ = ["Fanova", "fanova", "conditional_importance", "grid_importance"]


class Fanova:
    """Variance decomposition of a fitted forest over a space.

    Parameters
    ----------
    space : Space
    forest : sklearn.ensemble.RandomForestRegressor
        Fitted on :meth:`Fanova.encode` of the configurations.
    """

    def __init__(self, space: Space, forest: RandomForestRegressor):
        self.space, self.forest = space, forest
        self.names = list(space)
        self.upper = np.array([len(p.choices) if isinstance(p, Categorical) else 1.0 for p in space.values()])
        self._trees = [_leaves(tree.tree_, self.upper) for tree in forest.estimators_]
        self._cache: dict[tuple[int, ...], np.ndarray] = {}

    @staticmethod
    def encode(space: Space, configs: Sequence[dict]) -> np.ndarray:
        """Configurations as rows: unit-cube values; for a categorical parameter its choice index plus 1/2,
        the centre of the choice's cell ``[k, k + 1)`` on an axis of length ``len(choices)``."""
        encoding = Ordinal(space)
        return np.array([encoding.encode(c) + 0.5 * encoding.categorical for c in configs], dtype=float)

    def _marginal_variances(self, dims: tuple[int, ...]) -> np.ndarray:
        """``Var(a_U)`` per tree for the parameter indices ``dims``."""
        if dims not in self._cache:
            self._cache[dims] = np.array([_marginal_variance(leaves, dims, self.upper) for leaves in self._trees])
        return self._cache[dims]

    def total_variances(self) -> np.ndarray:
        """Variance of each tree's function over the space."""
        out = []
        for values, low, high in self._trees:
            volume = np.prod((high - low) / self.upper, axis=1)
            mean = np.sum(values * volume)
            out.append(np.sum(values ** 2 * volume) - mean ** 2)
        return np.array(out)

    def importance(self, pairs: bool = False) -> pd.DataFrame:
        """Fraction of variance explained by each parameter (and each pair), mean and std over trees.

        Trees that are constant (no variance) are left out. Rows are sorted by mean importance.
        """
        total = self.total_variances()
        keep = total > 0
        rows = {}
        singles = {i: self._marginal_variances((i,)) for i in range(len(self.names))}
        for i, v in singles.items():
            rows[self.names[i]] = v[keep] / total[keep]
        if pairs:
            for i, j in itertools.combinations(range(len(self.names)), 2):
                v = self._marginal_variances((i, j)) - singles[i] - singles[j]
                rows[f"{self.names[i]} x {self.names[j]}"] = v[keep] / total[keep]
        frame = pd.DataFrame({"mean": {k: float(np.mean(v)) for k, v in rows.items()},
                              "std": {k: float(np.std(v)) for k, v in rows.items()}})
        frame.index.name = "parameter"
        return frame.sort_values("mean", ascending=False)

    def marginal(self, name: str, resolution: int = 50) -> pd.DataFrame:
        """Marginal prediction of one parameter: its values, and the mean and std over trees.

        Numeric parameters are read at ``resolution`` points across their range
        (on the log scale for log parameters), categorical ones at every choice.
        """
        check_whole("resolution", resolution, 2)
        d = self.names.index(name)
        param = self.space[name]
        if isinstance(param, Categorical):
            points, labels = np.arange(len(param.choices)) + 0.5, list(param.choices)
        else:
            points = (np.arange(resolution) + 0.5) / resolution
            labels = [param.from_unit(u) for u in points]
        curves = np.array([_marginal_at(leaves, d, points, self.upper) for leaves in self._trees])
        return pd.DataFrame({name: labels, "mean": curves.mean(axis=0), "std": curves.std(axis=0)})


def fanova(space: Space, configs: Sequence[dict], values: Sequence[float] | np.ndarray, *, n_trees: int = 64,
           max_depth: int = 64, min_samples_leaf: int = 1, seed: int | None = 0) -> Fanova:
    """Fit a random forest to ``(configs, values)`` and return its :class:`Fanova` decomposition.

    Parameters
    ----------
    space : Space
    configs : sequence of dict
        Evaluated configurations (e.g. ``[t.config for t in study.trials]`` of the complete trials).
    values : sequence of float
        Their values (finite).
    n_trees, max_depth, min_samples_leaf : int
        Forest settings (the defaults are Optuna's for its fANOVA evaluator).
    seed : int or None
        Seed of the forest.
    """
    check_whole("n_trees", n_trees, 1)
    check_whole("max_depth", max_depth, 1)
    check_whole("min_samples_leaf", min_samples_leaf, 1)
    y = np.asarray(values, dtype=float)
    if len(configs) != len(y):
        raise ValueError(f"configs and values must be as long as each other, got {len(configs)} and {len(y)}")
    if len(y) < 2 or not np.all(np.isfinite(y)):
        raise ValueError("values must hold at least two finite numbers")
    x = Fanova.encode(space, [space.validate(c) for c in configs])
    forest = RandomForestRegressor(n_estimators=n_trees, max_depth=max_depth, min_samples_leaf=min_samples_leaf,
                                   random_state=seed).fit(x, y)
    return Fanova(space, forest)


def conditional_importance(space: Space, configs: Sequence[dict], values: Sequence[float], **forest) -> pd.DataFrame:
    """fANOVA importance on a conditional space that never learns from a value that did not take effect.

    The rule, per parameter (Optuna's rule for its fANOVA evaluator, applied
    to each parameter in turn): the parameters active in every trial are
    decomposed together over all trials; a conditional parameter is
    decomposed over the trials where it was active, together with the
    parameters active in all of those, and its share is of the variance among
    those trials. A value a trial drew for a parameter that was inactive in it
    never reaches a forest, so no variance is attributed to it there.

    Returns one row per parameter: ``mean`` and ``std`` over trees,
    ``active_share`` (the share of trials where it was active) and ``trials``
    (how many its share rests on); NaN where fewer than two trials had it
    active. Sorted by ``mean``.

    ``forest``: settings passed on to :func:`fanova`.
    """
    y = np.asarray(values, dtype=float)
    if len(configs) != len(y):
        raise ValueError(f"configs and values must be as long as each other, got {len(configs)} and {len(y)}")
    configs = [space.validate(c) for c in configs]
    activity = [space.active(c) for c in configs]

    def decompose(rows: list[int]) -> pd.DataFrame:
        names = [n for n in space if all(activity[i][n] for i in rows)]
        sub = Space({n: space[n] for n in names})
        return fanova(sub, [{n: configs[i][n] for n in names} for i in rows], y[rows], **forest).importance()

    measurable = len(y) >= 2 and np.ptp(y) > 0
    everywhere = decompose(list(range(len(configs)))) if measurable else pd.DataFrame(columns=["mean", "std"])
    out = {}
    for name in space:
        rows = [i for i, a in enumerate(activity) if a[name]]
        if name in everywhere.index:
            share = everywhere.loc[name]
        elif 2 <= len(rows) < len(y) and np.ptp(y[rows]) > 0:  # measured where it was active
            share = decompose(rows).loc[name]
        else:
            share = pd.Series({"mean": np.nan, "std": np.nan})
        out[name] = {"mean": share["mean"], "std": share["std"], "active_share": len(rows) / len(configs),
                     "trials": len(rows)}
    frame = pd.DataFrame.from_dict(out, orient="index")
    frame.index.name = "parameter"
    return frame.sort_values("mean", ascending=False)


def _leaves(tree, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, lower corners, upper corners) of a fitted sklearn tree's leaves."""
    values, lows, highs = [], [], []
    stack = [(0, np.zeros(len(upper)), upper.astype(float).copy())]
    while stack:
        node, low, high = stack.pop()
        left, right = tree.children_left[node], tree.children_right[node]
        if left == -1:
            values.append(tree.value[node].ravel()[0])
            lows.append(low)
            highs.append(high)
            continue
        d, t = tree.feature[node], tree.threshold[node]
        high_left, low_right = high.copy(), low.copy()
        high_left[d] = min(max(t, low[d]), high[d])
        low_right[d] = min(max(t, low[d]), high[d])
        stack.append((left, low, high_left))
        stack.append((right, low_right, high))
    return np.array(values), np.array(lows), np.array(highs)


def _cells(low: np.ndarray, high: np.ndarray, d: int, upper: float) -> tuple[np.ndarray, np.ndarray]:
    """Midpoints and widths (as shares of the axis) of the intervals the leaves cut axis ``d`` into."""
    edges = np.unique(np.concatenate([[0.0, upper], low[:, d], high[:, d]]))
    return (edges[:-1] + edges[1:]) / 2, np.diff(edges) / upper


def _marginal_variance(leaves, dims: tuple[int, ...], upper: np.ndarray) -> float:
    values, low, high = leaves
    share = (high - low) / upper
    others = [k for k in range(len(upper)) if k not in dims]
    weight = values * np.prod(share[:, others], axis=1)  # a leaf's contribution where it covers a cell
    axes = [_cells(low, high, d, upper[d]) for d in dims]
    marginal, cell_weight = np.zeros([len(m) for m, _ in axes]), np.ones([len(m) for m, _ in axes])
    inside = []
    for k, (d, (mid, width)) in enumerate(zip(dims, axes)):
        inside.append((low[:, d][:, None] <= mid[None, :]) & (mid[None, :] < high[:, d][:, None]))
        shape = [1] * len(dims)
        shape[k] = len(mid)
        cell_weight = cell_weight * width.reshape(shape)
    if len(dims) == 1:
        marginal = weight @ inside[0]
    else:
        marginal = np.einsum("l,li,lj->ij", weight, inside[0].astype(float), inside[1].astype(float))
    mean = np.sum(marginal * cell_weight)
    return float(np.sum(cell_weight * (marginal - mean) ** 2))


def _marginal_at(leaves, d: int, points: np.ndarray, upper: np.ndarray) -> np.ndarray:
    values, low, high = leaves
    share = (high - low) / upper
    others = [k for k in range(len(upper)) if k != d]
    weight = values * np.prod(share[:, others], axis=1)
    inside = (low[:, d][:, None] <= points[None, :]) & (points[None, :] < high[:, d][:, None])
    return weight @ inside


def grid_importance(table: pd.DataFrame, factors: Sequence[str], value: str) -> pd.DataFrame:
    """The exact functional ANOVA of ``value`` over a full factorial grid: fraction of variance of each factor
    and each pair, under the measure that gives every grid point the same weight.

    ``table`` holds one row per grid point (every combination of the ``factors``' values, once). No model is
    fitted: the marginal of a set of factors is the mean of ``value`` over the others, as in :class:`Fanova`,
    so this is the ground truth a forest fitted on a sample of the grid estimates (on a grid spaced unevenly,
    the measure is the grid's, not the uniform one of the space).

    >>> grid = pd.DataFrame([(a, b) for a in (0, 1) for b in (0, 1, 2)], columns=["a", "b"])
    >>> grid["y"] = 3 * grid.a + (grid.b == 2)
    >>> grid_importance(grid, ["a", "b"], "y").round(3)["fraction"].to_dict()
    {'a': 0.91, 'b': 0.09, 'a x b': 0.0}
    """
    factors = list(factors)
    counts = [table[f].nunique() for f in factors]
    if len(table) != int(np.prod(counts)) or table.duplicated(factors).any():
        raise ValueError(f"table must hold every combination of {factors} once ({int(np.prod(counts))} rows), "
                         f"got {len(table)} rows")
    y = table[value].to_numpy(dtype=float)
    total = float(np.var(y))
    if not total > 0:
        raise ValueError(f"{value} must vary over the grid")
    single = {f: float(np.var(table.groupby(f)[value].transform("mean"))) for f in factors}
    rows = dict(single)
    for a, b in itertools.combinations(factors, 2):
        pair = float(np.var(table.groupby([a, b])[value].transform("mean"))) - single[a] - single[b]
        rows[f"{a} x {b}"] = max(pair, 0.0)  # a sum of squares on a full grid: below 0 only by rounding
    frame = pd.DataFrame({"fraction": {k: v / total for k, v in rows.items()}})
    frame.index.name = "factor"
    return frame
