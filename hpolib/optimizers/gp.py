"""Bayesian optimisation with a Gaussian-process surrogate (Snoek, Larochelle and Adams, NeurIPS 2012).

The surrogate is :class:`~hpolib.optimizers.gaussian_process.GaussianProcess`:
a Matérn 5/2 kernel with one length scale per input, its amplitude, noise
and length scales at their posterior mode, refitted after every observation
from the previous fit's values. Inputs are the one-hot vectors of
:mod:`hpolib.optimizers.encoding` (numbers in [0, 1], one coordinate per
category); a categorical parameter's block shares one length scale, a change
of choice one Hamming step (the model's ``blocks``).

The targets the GP models are chosen by the data (``targets="auto"``): the
observations standardised, or first Yeo-Johnson power-transformed (Yeo and
Johnson 2000; as HEBO does, Cowen-Rivers et al. 2022). Each fit is judged by
its leave-one-out log density of the original values (every observation
predicted from the others, Rasmussen and Williams 2006, sec. 5.4.2, plus the
log Jacobian of the transform), and the transform is modelled only when it
predicts them better by more than two standard errors of the difference
(Vehtari, Gelman and Gabry 2017, sec. 5.2: the standard error of a sum of
per-observation differences). The leave-one-out score is used rather than the
marginal likelihood because it judges what the acquisition relies on, the
prediction at a point not yet seen. Both are fitted at every fit until 16
observations, then to the first ``16 k`` observations each time ``k`` grows
(the fits every later fit starts from, see
:attr:`GPOptimizer.ANCHOR_EVERY`), and the one chosen there is modelled until
the next, so a proposal costs one fit. A heavy-tailed objective, such as a
valley whose walls are orders of magnitude above its floor, is then modelled
on a scale where the floor is visible; a smooth bowl keeps its shape. Taking
whichever scored higher, as this search once did, picked the power transform
on the first 16 observations in 8 of 12 runs on two integer bowls of the
optimiser benchmark (``int3_floats``, ``int6_coupled``, tuning seeds) and
standardising on the first 32 in all 12: a difference the noise of 16 values
makes, and one that left some runs refining a point at a bound. Both
transforms are monotone, so the best observation stays the best.

Acquisition functions, for minimisation:

- expected improvement, ``EI(x) = (y* - mu - xi) Phi(z) + sigma phi(z)`` with
  ``z = (y* - mu - xi) / sigma`` (Jones, Schonlau and Welch 1998, eq. 15),
  scored as its logarithm, ``log sigma + log h(z)`` with
  ``h(z) = phi(z) + z Phi(z)`` evaluated without underflow (Ament et al.,
  NeurIPS 2023, "LogEI"), so that far from the incumbent, where EI itself
  rounds to zero, candidates are still ranked and gradients still point
  somewhere;
- lower confidence bound, ``LCB(x) = mu(x) - kappa sigma(x)`` (Srinivas et al.
  2010), minimised.

The acquisition is maximised over ``n_candidates`` random valid vectors,
then by a local search from the best ``n_polish`` of them and from the
incumbent (the best observation: the search refines around it), as Optuna's
GPSampler maximises its own, at its sizes (2,048 candidates, 10 local
searches in all): L-BFGS-B over the floats, with the
acquisition's exact gradient and the integers and categories held; each
integer in turn moved to the best of its values, the rest held
(:meth:`~hpolib.optimizers.encoding.OneHot.line`); then one category
switched at a time while that scores higher; again from the floats until
nothing moves. The
integers are never relaxed: every point is scored as the configuration it
proposes. A search that relaxed them inside L-BFGS-B and rounded afterwards
left the floats placed for integers between two values, and, scored against
the same model, its proposals fell short of this search's maximum by up to 2
in log EI late in runs on integers coupled to floats. The proposal is the
highest-scoring point whose configuration has not been asked or told
(:class:`~hpolib.optimizers.encoding.Asked`). The first ``n_startup``
proposals are a seeded Latin hypercube. With several workers, pending proposals enter the model
with the best value seen so far as a stand-in ("constant liar", Ginsbourger,
Le Riche and Carraro 2010), so parallel asks spread out.

:func:`fit_gp` is scikit-learn's GP with the same kernel, kept for small
one-dimensional models (the AutoLRS learning-rate search).
"""

from __future__ import annotations

import warnings
from typing import cast

import numpy as np
from scipy.optimize import minimize
from scipy.special import erfcx, log_ndtr
from scipy.stats import norm, qmc
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
from sklearn.preprocessing import PowerTransformer

from .._checks import check_in, check_whole
from ..space import Space
from .base import Optimizer
from .encoding import Asked, OneHot
from .gaussian_process import LENGTH_SCALE_PRIOR, GaussianProcess

__all__ = ["GPOptimizer", "fit_gp", "transform_targets", "expected_improvement", "log_expected_improvement",
           "lower_confidence_bound", "choose_targets", "TARGETS"]

TARGETS = ("auto", "standardise", "yeo-johnson")


def fit_gp(x: np.ndarray, y: np.ndarray, seed: int = 0, n_restarts: int = 2, normalize: bool = True,
           length_scale_prior: tuple[float, float] | None = None) -> GaussianProcessRegressor:
    """Fit the surrogate: Matérn 5/2 with per-input length scales, amplitude and noise, on normalised ``y``
    (``normalize=False``: on ``y`` as it is, a zero prior mean).

    The kernel's hyperparameters maximise the marginal likelihood, or with
    ``length_scale_prior=(median, spread)`` the posterior under a log-normal
    prior on each length scale, ``log l ~ N(log median, spread^2)``: with few
    observations in several dimensions the likelihood alone often picks length
    scales far shorter than the function's and the model then predicts the
    mean almost everywhere.
    """
    dim = x.shape[1]
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(length_scale=np.full(dim, 0.5), length_scale_bounds=(1e-3, 1e2),
                                                       nu=2.5) + WhiteKernel(1e-4, (1e-8, 1e-1))
    optimizer = "fmin_l_bfgs_b" if length_scale_prior is None else _maximum_a_posteriori(*length_scale_prior)
    model = GaussianProcessRegressor(kernel, normalize_y=normalize, n_restarts_optimizer=n_restarts,
                                     random_state=seed, optimizer=optimizer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, y)
    return model


def _maximum_a_posteriori(median: float, spread: float):
    """scikit-learn's hyperparameter optimiser with the log-normal length-scale prior of :func:`fit_gp` added.

    ``theta`` is the log of (amplitude, length scales..., noise), the kernel's order.
    """
    centre = np.log(median)

    def optimizer(negative_log_likelihood, theta, bounds):
        def negative_log_posterior(t):
            value, gradient = negative_log_likelihood(t, eval_gradient=True)
            gap = t[1:-1] - centre
            gradient = gradient.copy()
            gradient[1:-1] += gap / spread**2
            return value + 0.5 * np.sum(gap**2) / spread**2, gradient

        result = minimize(negative_log_posterior, theta, jac=True, method="L-BFGS-B", bounds=bounds)
        return result.x, result.fun

    return optimizer


def transform_targets(y: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """``y`` transformed for the GP and each value's log Jacobian ``log |dt/dy|(y_i)`` of the transform.

    ``"standardise"`` leaves ``y`` as it is (the GP standardises what it
    fits); ``"yeo-johnson"`` applies the power transform whose exponent
    maximises the normal likelihood (scikit-learn's ``PowerTransformer``),
    or returns ``y`` unchanged when it has fewer than 3 distinct values or
    the transform overflows.
    """
    y = np.asarray(y, dtype=float)
    unchanged = (y, np.zeros_like(y))
    if how == "standardise" or len(np.unique(y)) < 3:
        return unchanged
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        transformer = PowerTransformer(method="yeo-johnson", standardize=False).fit(y[:, None])
        warped = transformer.transform(y[:, None]).ravel()
    if not np.all(np.isfinite(warped)):
        return unchanged
    lam = float(transformer.lambdas_[0])
    return warped, np.where(y >= 0, (lam - 1) * np.log1p(np.abs(y)), (1 - lam) * np.log1p(np.abs(y)))


def expected_improvement(mu: np.ndarray, sigma: np.ndarray, best: float, xi: float = 0.0) -> np.ndarray:
    """EI for minimisation (larger is better)."""
    sigma = np.maximum(sigma, 1e-12)
    gain = best - mu - xi
    z = gain / sigma
    return gain * norm.cdf(z) + sigma * norm.pdf(z)


def _log_h(z: np.ndarray) -> np.ndarray:
    """``log(phi(z) + z Phi(z))`` without underflow: for ``z < -1`` it is ``log phi(z) + log(1 - |z| R(|z|))``,
    ``R`` the Mills ratio ``Phi(-t) / phi(t) = sqrt(pi / 2) erfcx(t / sqrt 2)``; past ``|z| = 1e6``, where
    ``1 - |z| R`` is lost to rounding, its asymptote ``z^-2``."""
    z = np.asarray(z, dtype=float)
    direct = np.maximum(z, -1.0)
    tail = np.clip(-z, 1.0, 1e6)
    with np.errstate(divide="ignore"):
        near = np.log(norm.pdf(direct) + direct * norm.cdf(direct))
        far = norm.logpdf(tail) + np.log1p(-tail * np.sqrt(np.pi / 2) * erfcx(tail / np.sqrt(2)))
    far = np.where(-z > 1e6, norm.logpdf(-z) - 2 * np.log(np.maximum(-z, 1.0)), far)
    return np.where(z > -1.0, near, far)


def log_expected_improvement(mu: np.ndarray, sigma: np.ndarray, best: float, xi: float = 0.0) -> np.ndarray:
    """``log EI`` for minimisation (larger is better), finite however small EI is."""
    sigma = np.maximum(sigma, 1e-12)
    return np.log(sigma) + _log_h((best - mu - xi) / sigma)


def lower_confidence_bound(mu: np.ndarray, sigma: np.ndarray, kappa: float) -> np.ndarray:
    """``mu - kappa sigma`` (smaller is better)."""
    return mu - kappa * sigma


def _predictive_scores(model: GaussianProcess, log_jacobian: np.ndarray) -> np.ndarray:
    """How well a fit predicts each original value: its leave-one-out log density under the values the fit
    modelled plus the log Jacobian of the transform that made them (densities of the untransformed
    observations, so fits of different transforms compare)."""
    return model.leave_one_out_log_densities() + log_jacobian


def choose_targets(scores: dict[str, np.ndarray]) -> str:
    """The targets to model, from each candidate's leave-one-out scores (:func:`_predictive_scores`):
    standardised values unless the Yeo-Johnson transform predicts the observations better by more than two
    standard errors of the difference, ``sqrt(n) sd(d_i)`` over the per-observation differences ``d_i``
    (Vehtari, Gelman and Gabry 2017, sec. 5.2). An untransformed model is the default; a transform is
    chosen only on evidence the observations carry, not on the noise of a few of them."""
    if "yeo-johnson" not in scores:
        return "standardise"
    gain = scores["yeo-johnson"] - scores["standardise"]
    error = np.sqrt(len(gain)) * np.std(gain, ddof=1) if len(gain) > 1 else np.inf
    return "yeo-johnson" if gain.sum() > 2 * error else "standardise"


class GPOptimizer(Optimizer):
    """Gaussian-process Bayesian optimisation.

    Parameters
    ----------
    space : Space
    acquisition : {"ei", "lcb"}
    kappa : float
        Exploration weight of LCB.
    xi : float
        Improvement margin of EI (in units of the objective).
    n_startup : int
        Latin-hypercube proposals before the model is used.
    n_candidates : int
        Random vectors scored per proposal.
    n_polish : int
        Best candidates a local search starts from (besides the incumbent).
    length_scale_prior : (float, float)
        ``(median, spread)`` of the prior on the length scales, in the unit
        cube (:class:`~hpolib.optimizers.gaussian_process.GaussianProcess`).
    targets : {"auto", "standardise", "yeo-johnson"}
        What the GP models: chosen by the data at each fit (see the module's
        description), or always one of the two.
    constant_liar : bool
        Let pending proposals repel new ones.
    seed : int or None

    Examples
    --------
    >>> from hpolib import Float, Space
    >>> from hpolib.optimizers import GPOptimizer
    >>> opt = GPOptimizer(Space({"x": Float(-5, 5)}), seed=0)
    >>> for _ in range(15):
    ...     c = opt.ask(); opt.tell(c, (c["x"] - 2) ** 2)
    >>> min(opt.losses) < 1e-3
    True
    """

    def __init__(self, space: Space, *, acquisition: str = "ei", kappa: float = 2.0, xi: float = 0.0,
                 n_startup: int = 10, n_candidates: int = 2048, n_polish: int = 9,
                 length_scale_prior: tuple[float, float] = LENGTH_SCALE_PRIOR, targets: str = "auto",
                 constant_liar: bool = True, seed: int | None = None):
        super().__init__(space, seed=seed)
        if acquisition not in ("ei", "lcb"):
            raise ValueError(f"acquisition must be 'ei' or 'lcb', got {acquisition!r}")
        for label, value, low in (("n_startup", n_startup, 1), ("n_candidates", n_candidates, 1),
                                  ("n_polish", n_polish, 0)):
            check_whole(label, value, low)
        check_in("kappa", kappa, "[0, inf)")
        if targets not in TARGETS:
            raise ValueError(f"targets must be one of {', '.join(TARGETS)}, got {targets!r}")
        self.acquisition, self.kappa, self.xi, self.targets = acquisition, float(kappa), float(xi), targets
        self.n_startup, self.n_candidates, self.n_polish = n_startup, n_candidates, n_polish
        self.length_scale_prior = cast("tuple[float, float]", tuple(map(float, length_scale_prior)))
        GaussianProcess(self.length_scale_prior)  # refuses a bad prior now
        self.constant_liar = bool(constant_liar)
        self.encoding = OneHot(space)
        self.asked: Asked = Asked()
        self.encoded: list[np.ndarray] = []
        self.losses: list[float] = []
        self.chosen: list[str] = []  # the targets each fit modelled
        self._pending: dict[bytes, np.ndarray] = {}
        self._anchors: dict[str, tuple[int, np.ndarray, np.ndarray]] = {}  # per transform: (size, theta, scores)
        self._design = qmc.LatinHypercube(d=len(space), seed=self.seed).random(n_startup)

    def ask(self) -> dict:
        config = super().ask()
        x = self.encoding.encode(config)
        self._pending[x.tobytes()] = x
        return config

    def _tell(self, config, loss, budget):
        x = self.encoding.encode(config)
        self._pending.pop(x.tobytes(), None)
        if loss is not None:
            self.encoded.append(x)
            self.losses.append(loss)

    ANCHOR_EVERY = 16
    """A fit starts from the fit to the first ``16 k`` observations (the largest such ``k``), itself fitted
    from the prior's centre: close to the answer, so a refit takes a few iterations, and a function of the
    observations alone, so a resumed search makes the same fits as an uninterrupted one."""

    def _anchor(self, how: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The anchor fit of transform ``how``: its hyperparameters and its predictive scores (``None``
        before 16 observations)."""
        size = len(self.losses) // self.ANCHOR_EVERY * self.ANCHOR_EVERY
        if size < 2:
            return None
        if self._anchors.get(how, (None,))[0] != size:
            t, log_jacobian = transform_targets(np.array(self.losses[:size]), how)
            model = GaussianProcess(self.length_scale_prior, self.encoding.blocks).fit(
                np.array(self.encoded[:size]), t)
            self._anchors[how] = (size, cast(np.ndarray, model.theta), _predictive_scores(model, log_jacobian))
        return self._anchors[how][1:]

    def fit(self, x: np.ndarray, y: np.ndarray) -> tuple[GaussianProcess, np.ndarray]:
        """The surrogate of ``(x, y)`` and the targets it models, as ``targets`` chooses them."""
        options = ("standardise", "yeo-johnson") if self.targets == "auto" else (self.targets,)
        anchors = {how: self._anchor(how) for how in options}
        if len(options) > 1 and all(a is not None for a in anchors.values()):  # chosen at the anchor
            options = (choose_targets({how: a[1] for how, a in anchors.items() if a is not None}),)
        fits = {}
        for how in options:
            t, log_jacobian = transform_targets(y, how)
            anchor = anchors[how]
            model = GaussianProcess(self.length_scale_prior, self.encoding.blocks).fit(
                x, t, start=None if anchor is None else anchor[0])
            fits[how] = (model, t, _predictive_scores(model, log_jacobian))
        how = choose_targets({h: f[2] for h, f in fits.items()}) if len(fits) > 1 else options[0]
        self.chosen.append(how)
        return fits[how][0], fits[how][1]

    def _propose(self, rng):
        if len(self.losses) < self.n_startup:
            if self.n_asked < self.n_startup:
                return self.space.from_unit(self._design[self.n_asked])
            return self.space.sample(rng)
        x, y = np.array(self.encoded), np.array(self.losses)
        if self.constant_liar and self._pending:
            x = np.vstack([x, *self._pending.values()])
            y = np.append(y, np.full(len(self._pending), y.min()))
        model, targets = self.fit(x, y)
        incumbent = self.encoded[int(np.argmin(self.losses))]
        return self.encoding.decode(self._maximise(model, targets.min(), rng, incumbent))

    def score(self, model: GaussianProcess, x: np.ndarray, best: float) -> np.ndarray:
        """Acquisition value at the rows of ``x`` (``log EI`` or ``-LCB``); larger is better."""
        mu, sigma = model.predict(np.atleast_2d(x))
        if self.acquisition == "ei":
            return log_expected_improvement(mu, sigma, best, self.xi)
        return -lower_confidence_bound(mu, sigma, self.kappa)

    def _score_with_gradient(self, model: GaussianProcess, x: np.ndarray, best: float) -> tuple[float, np.ndarray]:
        mu, sigma, d_mu, d_sigma = model.predict_with_gradient(x)
        if self.acquisition == "lcb":
            return -(mu - self.kappa * sigma), -(d_mu - self.kappa * d_sigma)
        sigma = max(sigma, 1e-12)
        z = (best - mu - self.xi) / sigma
        log_h = float(_log_h(np.array([z]))[0])
        # d EI = -Phi(z) d mu + phi(z) d sigma, and d log EI = d EI / (sigma h(z))
        gradient = (-np.exp(log_ndtr(z) - log_h) * d_mu + np.exp(norm.logpdf(z) - log_h) * d_sigma) / sigma
        return np.log(sigma) + log_h, gradient

    def _maximise(self, model, best, rng, incumbent: np.ndarray) -> np.ndarray:
        """The highest-scoring point, among the candidates and the local searches' ends, whose configuration has
        not been asked or told (:class:`~hpolib.optimizers.encoding.Asked`)."""
        candidates = self.encoding.snap(self.encoding.random(rng, self.n_candidates))
        scores = self.score(model, candidates, best)
        starts = [*candidates[np.argsort(-scores, kind="stable")[:self.n_polish]], incumbent]
        searched = np.array([self._search(model, start, best) for start in starts])
        candidates = np.vstack([candidates, searched])
        scores = np.append(scores, self.score(model, searched, best))
        return candidates[self.asked.best(scores, lambda i: self.encoding.decode(candidates[i]))]

    LOCAL_ROUNDS = 20
    """The most rounds of a local search (floats, then each integer, then the categories)."""

    def _search(self, model, point: np.ndarray, best: float) -> np.ndarray:
        """The snapped ``point`` moved uphill: its floats polished, each integer moved along its values, the
        categories climbed, until a round moves no integer or category."""
        for _ in range(self.LOCAL_ROUNDS):
            point = self._polish(model, point, best)
            before = point
            for j, param in enumerate(self.encoding.integers):
                if param is not None:
                    line = self.encoding.line(point, j)
                    scores = self.score(model, line, best)
                    if scores.max() > self.score(model, point, best)[0]:
                        point = line[int(np.argmax(scores))]
            point = self._climb(model, point, best)
            if np.array_equal(point, before):
                break
        return point

    def _climb(self, model, point: np.ndarray, best: float) -> np.ndarray:
        """``point`` moved one discrete step at a time (:meth:`~hpolib.optimizers.encoding.OneHot.neighbours`: an
        integer one up or down, a category switched) while a neighbour scores higher."""
        score = self.score(model, point, best)[0]
        for _ in range(100):
            steps = self.encoding.neighbours(point)
            if not len(steps):
                break
            step_scores = self.score(model, steps, best)
            if step_scores.max() <= score:
                break
            point, score = steps[int(np.argmax(step_scores))], step_scores.max()
        return point

    def _polish(self, model, start: np.ndarray, best: float) -> np.ndarray:
        """``start`` with its floats moved uphill by L-BFGS-B, its integers and categories held; ``start`` itself
        where that scores no higher."""
        free = self.encoding.floats
        if not free.any():
            return start

        def negative(z):
            point = start.copy()
            point[free] = z
            value, gradient = self._score_with_gradient(model, point, best)
            return -value, -gradient[free]

        result = minimize(negative, start[free], jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * int(free.sum()),
                          options={"maxiter": 50})
        polished = start.copy()
        polished[free] = result.x
        return polished if -result.fun > self.score(model, start, best)[0] else start

    def __repr__(self):
        return (f"GPOptimizer({self.acquisition}, targets={self.targets!r}, n_startup={self.n_startup}, "
                f"seed={self.seed})")
