"""Synthetic objectives with known optima, each with a fidelity knob.

Each function is an objective with the study's signature,
``f(config, budget=None, report=None) -> float``, plus its ``space``, the
known minimum ``optimum`` and a minimiser ``optimum_config``. Its budget runs
from 1 to ``max_budget`` (``None`` means ``max_budget``); below the full
budget the value is biased and noisy, both shrinking linearly to zero at
the full budget, like a learning curve approaching its end:

    f_b(x) = f(x) + (1 - b / B) * (bias * g(x) + noise * eps(x, b)),

with ``g`` a fixed smooth function in ``[0, 1]`` and ``eps`` standard normal
noise drawn from ``(seed, x, b)``, so the same call always gives the same
value. With ``report`` given, the function reports ``f_s(x)`` for every
whole step ``s`` up to the budget (its learning curve) before returning.

References: Branin and Hartmann as in Dixon and Szegö (1978); Rosenbrock,
Ackley and Levy as in Surjanovic and Bingham's Virtual Library of
Simulation Experiments.

Examples
--------
>>> from hpolib.problems import Branin
>>> f = Branin()
>>> round(f(f.optimum_config) - f.optimum, 6)
0.0
"""

from __future__ import annotations

import math
import zlib
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np

from ._checks import check_in, check_whole
from .space import Categorical, Float, Int, Space

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SyntheticFunction", "Branin", "Hartmann3", "Hartmann6", "Rosenbrock", "Ackley", "Levy", "ShiftedBowl",
           "FUNCTIONS", "IntegerBowl", "QuadraticBowl", "MixedBranches", "DigitsMLP", "DigitsSVM", "CancerBoosting",
           "LenetTable", "lenet_table", "LENET_TABLE"]


class SyntheticFunction:
    """Base class: a test function over a box, with a fidelity knob.

    Parameters
    ----------
    max_budget : int
        The full budget (1: a single-fidelity function).
    bias : float
        Size of the systematic error at the lowest fidelity, in units of the
        function's typical range.
    noise : float
        Standard deviation of the noise at the lowest fidelity, same units.
    seed : int
        Seed of the noise.
    """

    bounds: list[tuple[float, float]]
    optimum: float
    scale: float = 1.0  # typical range of the function, the unit of bias and noise

    def __init__(self, max_budget: int = 1, bias: float = 0.1, noise: float = 0.02, seed: int = 0):
        check_whole("max_budget", max_budget, 1)
        if bias < 0 or noise < 0:
            raise ValueError(f"bias and noise must be >= 0, got bias={bias!r}, noise={noise!r}")
        self.max_budget, self.bias, self.noise, self.seed = max_budget, bias, noise, seed
        self.space = Space({f"x{i}": Float(lo, hi) for i, (lo, hi) in enumerate(self.bounds)})

    @property
    def dim(self) -> int:
        return len(self.bounds)

    @property
    def optimum_config(self) -> dict:
        return {f"x{i}": float(v) for i, v in enumerate(self._argmin())}

    def __repr__(self):
        return f"{type(self).__name__}(max_budget={self.max_budget}, bias={self.bias}, noise={self.noise})"

    def __call__(self, config: dict, budget: float | None = None, report=None) -> float:
        budget = self.max_budget if budget is None else budget
        if not 0 < budget <= self.max_budget:
            raise ValueError(f"budget must be in (0, {self.max_budget}], got {budget!r}")
        x = np.array([config[f"x{i}"] for i in range(self.dim)], dtype=float)
        exact = float(self.evaluate(x))
        if report is not None:
            for step in range(1, math.ceil(budget)):
                report(step, self._at_fidelity(exact, x, step))
        value = self._at_fidelity(exact, x, budget)
        if report is not None:
            report(budget, value)
        return value

    def _at_fidelity(self, exact: float, x: np.ndarray, budget: float) -> float:
        gap = 1.0 - budget / self.max_budget
        if gap <= 0:
            return exact
        unit = (x - [lo for lo, _ in self.bounds]) / [hi - lo for lo, hi in self.bounds]
        smooth = 0.5 + 0.5 * math.sin(2 * math.pi * float(np.sum(unit * np.arange(1, self.dim + 1))) / self.dim)
        key = zlib.crc32(np.append(x, budget).tobytes())
        eps = np.random.default_rng([self.seed, key]).standard_normal()
        return exact + gap * self.scale * (self.bias * smooth + self.noise * eps)

    def evaluate(self, x: np.ndarray) -> float:
        """The exact function at full fidelity."""
        raise NotImplementedError

    def _argmin(self) -> np.ndarray:
        raise NotImplementedError


class Branin(SyntheticFunction):
    """Branin-Hoo on [-5, 10] x [0, 15]; three global minima, f* = 0.397887."""

    bounds = [(-5.0, 10.0), (0.0, 15.0)]
    optimum = 0.397887357729738
    scale = 50.0

    def evaluate(self, x):
        b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
        return (x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10

    def _argmin(self):
        return np.array([math.pi, 2.275])


class _Hartmann(SyntheticFunction):
    alpha = np.array([1.0, 1.2, 3.0, 3.2])
    A: np.ndarray
    P: np.ndarray
    scale = 1.0

    def evaluate(self, x):
        return -float(self.alpha @ np.exp(-np.sum(self.A * (x - self.P) ** 2, axis=1)))


class Hartmann3(_Hartmann):
    """Hartmann 3-D on [0, 1]^3, f* = -3.86278."""

    bounds = [(0.0, 1.0)] * 3
    optimum = -3.862779787332660
    A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
    P = 1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]])

    def _argmin(self):
        return np.array([0.114614, 0.555649, 0.852547])


class Hartmann6(_Hartmann):
    """Hartmann 6-D on [0, 1]^6, f* = -3.32237."""

    bounds = [(0.0, 1.0)] * 6
    optimum = -3.322368011391339
    A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
                  [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
    P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                         [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])

    def _argmin(self):
        return np.array([0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573])


class _AnyDimension(SyntheticFunction):
    low: float
    high: float

    def __init__(self, dim: int = 4, **kwargs):
        check_whole("dim", dim, 1)
        self.bounds = [(self.low, self.high)] * dim
        super().__init__(**kwargs)


class Rosenbrock(_AnyDimension):
    """Rosenbrock's valley on [-5, 10]^d, f* = 0 at (1, ..., 1)."""

    low, high, optimum, scale = -5.0, 10.0, 0.0, 1e4

    def evaluate(self, x):
        return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))

    def _argmin(self):
        return np.ones(self.dim)


class Ackley(_AnyDimension):
    """Ackley on [-32.768, 32.768]^d, f* = 0 at the origin."""

    low, high, optimum, scale = -32.768, 32.768, 0.0, 20.0

    def evaluate(self, x):
        d = len(x)
        return float(-20 * math.exp(-0.2 * math.sqrt(np.sum(x**2) / d))
                     - math.exp(np.sum(np.cos(2 * math.pi * x)) / d) + 20 + math.e)

    def _argmin(self):
        return np.zeros(self.dim)


class Levy(_AnyDimension):
    """Levy on [-10, 10]^d, f* = 0 at (1, ..., 1)."""

    low, high, optimum, scale = -10.0, 10.0, 0.0, 50.0

    def evaluate(self, x):
        w = 1 + (x - 1) / 4
        head = math.sin(math.pi * w[0]) ** 2
        body = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
        tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
        return float(head + body + tail)

    def _argmin(self):
        return np.ones(self.dim)


def _off_centre(dim: int) -> np.ndarray:
    """A fixed point of [-0.9, 0.9]^dim away from the centre and from the corners (a golden-ratio sequence)."""
    return 0.9 * (2 * ((np.arange(1, dim + 1) * 0.6180339887498949) % 1.0) - 1)


class ShiftedBowl(_AnyDimension):
    """A smooth quadratic bowl on [-5, 5]^d with its minimum off the centre, f* = 0.

    ``f(x) = sum_i w_i (x_i - c_i)^2`` with weights ``w_i`` from 1 to 10 (a
    mildly ill-conditioned bowl) and the centre ``c`` a fixed point of
    ``[-4.5, 4.5]^d`` away from the box's centre and corners: the easy,
    unimodal class a model-based optimiser must not get wrong.
    """

    low, high, optimum, scale = -5.0, 5.0, 0.0, 100.0

    def evaluate(self, x):
        weights = np.logspace(0, 1, self.dim)
        return float(np.sum(weights * (x - self._argmin()) ** 2))

    def _argmin(self):
        return 5.0 * _off_centre(self.dim)


FUNCTIONS = {"branin": Branin, "hartmann3": Hartmann3, "hartmann6": Hartmann6,
             "rosenbrock": Rosenbrock, "ackley": Ackley, "levy": Levy, "bowl": ShiftedBowl}


class IntegerBowl:
    """An integer-heavy problem: ``dim`` integers in [0, 40] and one log-scaled real, f* = 0.

    ``f = sum_i ((k_i - t_i) / 10)^2 + (log10(r) + 2.5)^2`` with the integer
    targets ``t`` off the centre and off the grid's ends, and the real's best
    at ``r = 10^-2.5``: a space most of whose coordinates are whole numbers,
    as network widths and layer counts are.
    """

    optimum = 0.0

    def __init__(self, dim: int = 6):
        self.dim = check_whole("dim", dim, 1)
        self.targets = [int(round(20 + 18 * c)) for c in _off_centre(dim)]
        self.space = Space({**{f"k{i}": Int(0, 40) for i in range(dim)}, "r": Float(1e-5, 1.0, log=True)})

    @property
    def optimum_config(self) -> dict:
        return {**{f"k{i}": t for i, t in enumerate(self.targets)}, "r": 10 ** -2.5}

    def __repr__(self):
        return f"IntegerBowl(dim={self.dim})"

    def __call__(self, config: dict, budget: float | None = None, report=None) -> float:
        value = sum(((config[f"k{i}"] - t) / 10) ** 2 for i, t in enumerate(self.targets))
        value += (math.log10(config["r"]) + 2.5) ** 2
        if report is not None:
            report(1, value)
        return float(value)


class QuadraticBowl:
    """A bowl over any space, measured on the unit scale, f* = 0: the integer development family's shape.

    ``f = 100 d^T Q diag(w) Q^T d + penalty[choice]`` with ``d`` each numeric
    parameter's distance to its target on the unit scale
    (:meth:`~hpolib.space.Int.to_unit`, log scales included), weights
    ``w`` from 1 to 10 (log-spaced), ``Q`` the identity or, with
    ``rotation_seed``, a fixed random rotation (coupled parameters), and a
    categorical parameter's penalty the distance of its choice's index to
    the target's (0 for the target, 1 for its neighbours in the list, ...). An integer that spans ``m`` values costs
    ``100 w / m^2`` per step away from its target: a wide integer must be hit
    exactly for a small regret.

    Parameters
    ----------
    params : mapping of str to Param
        The space.
    target : mapping of str to value
        The minimiser, a configuration of the space.
    rotation_seed : int or None
        Seed of the rotation (``None``: the bowl is separable).
    """

    optimum = 0.0

    def __init__(self, params: dict, target: dict, rotation_seed: int | None = None):
        self.space = Space(params)
        self.optimum_config = self.space.validate(target)
        self.numeric = [n for n, p in self.space.items() if not isinstance(p, Categorical)]
        weights = np.logspace(0, 1, len(self.numeric))
        rotation = np.eye(len(self.numeric)) if rotation_seed is None else \
            np.linalg.qr(np.random.default_rng(rotation_seed).standard_normal((len(self.numeric),) * 2))[0]
        self.hessian = 100 * rotation @ np.diag(weights) @ rotation.T
        self.centre = np.array([self.space[n].to_unit(self.optimum_config[n]) for n in self.numeric])

    def __repr__(self):
        return f"QuadraticBowl({self.space!r})"

    def __call__(self, config: dict, budget: float | None = None, report=None) -> float:
        d = np.array([self.space[n].to_unit(config[n]) for n in self.numeric]) - self.centre
        value = float(d @ self.hessian @ d)
        for name, p in self.space.items():
            if isinstance(p, Categorical):
                value += abs(p.index(config[name]) - p.index(self.optimum_config[name]))
        if report is not None:
            report(1, value)
        return value


class MixedBranches:
    """A mixed space in which a categorical parameter changes the landscape, f* = 0.

    ``shape`` picks the function of the three reals ``x0..x2`` in [-5, 5]:
    ``"bowl"`` a bowl centred off the middle (minimum 0), ``"ackley"`` an
    Ackley function shifted elsewhere and raised by 0.5 (minimum 0.5, many
    local minima), ``"ridge"`` a Rosenbrock valley raised by 1 (minimum 1).
    An optimiser must find the right branch and then the right point in it.
    """

    optimum = 0.0
    shapes = ("ridge", "ackley", "bowl")

    def __init__(self):
        self.space = Space({"shape": Categorical(list(self.shapes)),
                            **{f"x{i}": Float(-5.0, 5.0) for i in range(3)}})
        self.centre = 5.0 * _off_centre(3)

    @property
    def optimum_config(self) -> dict:
        return {"shape": "bowl", **{f"x{i}": float(c) for i, c in enumerate(self.centre)}}

    def __repr__(self):
        return "MixedBranches()"

    def __call__(self, config: dict, budget: float | None = None, report=None) -> float:
        x = np.array([config[f"x{i}"] for i in range(3)])
        if config["shape"] == "bowl":
            value = float(np.sum((x - self.centre) ** 2)) / 10
        elif config["shape"] == "ackley":
            value = 0.5 + Ackley(dim=3).evaluate(3 * (x + self.centre) / 5) / 5
        else:
            value = 1.0 + Rosenbrock(dim=3).evaluate(x / 2) / 1000
        if report is not None:
            report(1, value)
        return float(value)


class DigitsMLP:
    """A real, cheap learning task: a scikit-learn MLP on the bundled 8x8 digits.

    Tunes learning rate, width, L2 penalty, activation and batch size (mixed
    Int, log-Float and Categorical parameters). The budget is in epochs
    (``partial_fit`` passes over the training split, up to ``max_budget``);
    the value is the error on a fixed, stratified validation split, reported
    after every epoch. Its optimum is unknown (``optimum = 0``, so regret is
    the error itself).

    Parameters
    ----------
    max_budget : int
        Epochs of a full-budget evaluation.
    validation : float
        Fraction of the 1,797 images held out for validation.
    seed : int
        Seed of the split and of the network's initialisation.
    """

    optimum = 0.0

    def __init__(self, max_budget: int = 20, validation: float = 0.3, seed: int = 0):
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        check_whole("max_budget", max_budget, 1)
        check_in("validation", validation, "(0, 1)")
        self.max_budget, self.seed = max_budget, seed
        x, y = load_digits(return_X_y=True)
        self.data = train_test_split(x / 16.0, y, test_size=validation, stratify=y, random_state=seed)
        self.space = Space({
            "learning_rate_init": Float(1e-4, 1e-1, log=True),
            "hidden": Int(8, 256, log=True),
            "alpha": Float(1e-6, 1e-1, log=True),
            "activation": Categorical(["relu", "tanh", "logistic"]),
            "batch_size": Int(16, 256, log=True),
        })

    def __repr__(self):
        return f"DigitsMLP(max_budget={self.max_budget}, seed={self.seed})"

    def __call__(self, config: dict, budget: float | None = None, report=None) -> float:
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        epochs = self.max_budget if budget is None else int(math.ceil(budget))
        if not 1 <= epochs <= self.max_budget:
            raise ValueError(f"budget must be in (0, {self.max_budget}], got {budget!r}")
        x_train, x_val, y_train, y_val = self.data
        model = MLPClassifier(hidden_layer_sizes=(config["hidden"],), activation=config["activation"],
                              alpha=config["alpha"], learning_rate_init=config["learning_rate_init"],
                              batch_size=config["batch_size"], random_state=self.seed)
        classes = np.unique(y_train)
        error = 1.0
        for epoch in range(1, epochs + 1):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.partial_fit(x_train, y_train, classes=classes)
            error = 1.0 - model.score(x_val, y_val)
            if report is not None:
                report(epoch, error)
        return error


class DigitsSVM:
    """A real, fast learning task: a scikit-learn SVM on the bundled 8x8 digits.

    Tunes ``C`` and ``gamma`` (log scales), the kernel (categorical), the
    polynomial degree (integer) and ``coef0``; the value is the error on the
    other 1,197 of the 1,797 images after training on a fixed, stratified 600.
    A fit takes a few hundredths of a second, which is what lets the optimiser
    benchmark run thousands of them. ``optimum = 0``.

    Parameters
    ----------
    seed : int
        Seed of the split.
    """

    optimum = 0.0

    def __init__(self, seed: int = 0):
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        x, y = load_digits(return_X_y=True)
        self.seed = seed
        self.data = train_test_split(x / 16.0, y, train_size=600, stratify=y, random_state=seed)
        self.space = Space({
            "C": Float(1e-2, 1e3, log=True),
            "gamma": Float(1e-5, 1.0, log=True),
            "kernel": Categorical(["rbf", "poly", "sigmoid"]),
            "degree": Int(2, 5),
            "coef0": Float(0.0, 1.0),
        })

    def __repr__(self):
        return f"DigitsSVM(seed={self.seed})"

    def __call__(self, config: dict, budget: float | None = None, report=None) -> float:
        from sklearn.svm import SVC

        x_train, x_val, y_train, y_val = self.data
        model = SVC(C=config["C"], gamma=config["gamma"], kernel=config["kernel"], degree=config["degree"],
                    coef0=config["coef0"])
        error = 1.0 - model.fit(x_train, y_train).score(x_val, y_val)
        if report is not None:
            report(1, error)
        return error


class CancerBoosting:
    """A second real task: gradient-boosted trees, cross-validated on scikit-learn's breast-cancer data.

    Tunes the learning rate and L2 penalty (log scales), the number of
    boosting iterations, leaves per tree and samples per leaf (integers,
    log scales) of ``HistGradientBoostingClassifier``; the value is the mean
    error of 3-fold stratified cross-validation on the 569 samples (about a
    tenth of a second: at most 100 iterations, within which a learning rate
    of 0.1 or more reaches the errors 300 would). ``optimum = 0``.

    Parameters
    ----------
    seed : int
        Seed of the folds and of the model.
    """

    optimum = 0.0

    def __init__(self, seed: int = 0):
        from sklearn.datasets import load_breast_cancer
        from sklearn.model_selection import StratifiedKFold

        self.seed = seed
        self.data = load_breast_cancer(return_X_y=True)
        self.folds = StratifiedKFold(3, shuffle=True, random_state=seed)
        self.space = Space({
            "learning_rate": Float(1e-3, 1.0, log=True),
            "max_iter": Int(10, 100, log=True),
            "max_leaf_nodes": Int(2, 64, log=True),
            "min_samples_leaf": Int(1, 100, log=True),
            "l2_regularization": Float(1e-6, 10.0, log=True),
        })

    def __repr__(self):
        return f"CancerBoosting(seed={self.seed})"

    def __call__(self, config: dict, budget: float | None = None, report=None) -> float:
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.model_selection import cross_val_score

        model = HistGradientBoostingClassifier(early_stopping=False, random_state=self.seed, **config)
        error = 1.0 - float(np.mean(cross_val_score(model, *self.data, cv=self.folds)))
        if report is not None:
            report(1, error)
        return error


LENET_TABLE = Path(__file__).parent / "data" / "lenet_table.csv.gz"
"""The LeNet-5 / CIFAR-10 tabular benchmark (:mod:`hpolib.studies.lenet_table` builds it)."""


class LenetTable:
    """LeNet-5's validation error on CIFAR-10, read from the tabular benchmark instead of trained.

    The space is the LeNet report's (C1, C3 in 1-32, C5 in 40-130, F6 in 125-325), so an optimiser searches it
    exactly as the LeNet chapter does; a configuration is answered by the nearest point of the table's grid
    (nearest in the log of C1 and C3, whose grid is geometric; in F6 and C5 as they are). The budget is in
    epochs (1 to the table's last); the value is the validation error after that epoch, and ``report`` gets
    the error after every epoch up to it, as training would report it. Like the chapter's training objective,
    a trial a scheduler promotes continues from its parent's checkpoint (a file that holds the epoch reached):
    its reports start after its parent's last epoch, so a study counts only the epochs it adds. :meth:`seconds`
    is what the table's training took to that epoch. ``optimum`` is the table's lowest error at its last epoch
    (seed 0): regret against it is exact on the grid.
    """

    def __init__(self, table: pd.DataFrame, seed: int = 0):
        rows = table[table.seed == seed]
        if rows.empty:
            raise ValueError(f"seed must be one of the table's seeds {sorted(set(table.seed))}, got {seed!r}")
        self.seed, self.max_budget = seed, int(rows.epoch.max())
        self.grid = {k: np.array(sorted(set(rows[k]))) for k in ("c1", "c3", "c5", "f6")}
        self._curves = {key: (1 - g.sort_values("epoch").val_accuracy.to_numpy(),
                              g.sort_values("epoch").seconds.cumsum().to_numpy())
                        for key, g in rows.groupby(["c1", "c3", "c5", "f6"])}
        self.space = Space({"c1": Int(1, 32), "c3": Int(1, 32), "c5": Int(40, 130), "f6": Int(125, 325)})
        finals = {key: curve[-1] for key, (curve, _) in self._curves.items()}
        best = min(finals, key=finals.__getitem__)
        self.optimum, self.optimum_config = float(finals[best]), dict(zip(("c1", "c3", "c5", "f6"), best))

    def __repr__(self):
        return f"LenetTable({len(self._curves)} configurations, {self.max_budget} epochs, seed {self.seed})"

    def nearest(self, config: dict) -> dict[str, int]:
        """The table's grid point that answers ``config``."""
        def snap(name: str) -> int:
            values, x = self.grid[name], float(config[name])
            distance = np.abs(np.log(values) - np.log(x)) if name in ("c1", "c3") else np.abs(values - x)
            return int(values[np.argmin(distance)])
        return {name: snap(name) for name in self.grid}

    def _curve(self, config: dict, budget) -> tuple[np.ndarray, np.ndarray, int]:
        epochs = self.max_budget if budget is None else budget
        check_whole("budget", epochs, 1)
        if epochs > self.max_budget:
            raise ValueError(f"budget must be in [1, {self.max_budget}] epochs, got {budget!r}")
        point = self.nearest(config)
        errors, seconds = self._curves[tuple(point[k] for k in ("c1", "c3", "c5", "f6"))]
        return errors, seconds, int(epochs)

    def __call__(self, config: dict, budget=None, report=None) -> float:
        errors, _, epochs = self._curve(config, budget)
        if report is not None:
            start = _checkpoint_epoch(getattr(report, "restore_dir", None))
            for epoch in range(start + 1 if start < epochs else 1, epochs + 1):
                report(epoch, float(errors[epoch - 1]))
            if getattr(report, "checkpoint_dir", None) is not None:
                (report.checkpoint_dir / "epoch").write_text(str(epochs))
        return float(errors[epochs - 1])

    def seconds(self, config: dict, budget=None) -> float:
        """The seconds the table's training of ``config`` took to ``budget`` epochs (on the CPU it names)."""
        _, seconds, epochs = self._curve(config, budget)
        return float(seconds[epochs - 1])


def _checkpoint_epoch(folder) -> int:
    """The epoch a :class:`LenetTable` trial's checkpoint folder holds; 0 without one."""
    path = None if folder is None else Path(folder) / "epoch"
    return int(path.read_text()) if path is not None and path.exists() else 0


def lenet_table(seed: int = 0, path: str | Path | None = None) -> LenetTable:
    """The LeNet-5 / CIFAR-10 tabular benchmark as an objective (:class:`LenetTable`), from ``path`` (default
    :data:`LENET_TABLE`, shipped with the package)."""
    import pandas as pd

    path = Path(path) if path is not None else LENET_TABLE
    if not path.exists():
        raise FileNotFoundError(f"no LeNet-5 table at {path}: build it with python -m hpolib.studies.lenet_table "
                                "--folder FOLDER --recipe RECIPE --table " + str(path))
    return LenetTable(pd.read_csv(path), seed)
