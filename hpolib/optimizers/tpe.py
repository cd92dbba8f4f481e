"""Tree-structured Parzen estimator (Bergstra, Bardenet, Bengio and Kégl, NeurIPS 2011).

With ``n`` observations, the best ``gamma(n)`` form the "good" group and the
rest the "bad" group. Each group becomes a Parzen estimator, ``l(x)`` and
``g(x)``: a weighted mixture of one kernel per observation plus a broad prior
kernel. Candidates are drawn from ``l`` and the one with the largest
``l(x) / g(x)`` is proposed, which maximises expected improvement (Bergstra
et al. 2011, eq. 6: EI is monotone in ``l / g``).

Defaults follow Watanabe, "Tree-structured Parzen estimator: understanding
its algorithm components and their roles for better empirical performance"
(2023), as Optuna also uses them:

- ``gamma(n) = min(ceil(0.1 n), 25)``;
- observation weights flat for the newest 25 of a group, a linear ramp from
  ``1/n`` below that; a prior kernel of weight 1;
- numeric kernels are Gaussians truncated to the unit interval (log scales
  and integers live in it already), each as wide as the larger gap to its
  neighbouring observations, clipped to ``[1/min(100, n+2), 1]`` (hyperopt's
  "magic clip"); the prior kernel is centred with width 1. Equal values (an
  integer observed again) take their places among themselves in a random
  order, drawn for each coordinate and proposal: the outer two of a tie get
  the gaps, the others the narrowest width, and in order of age the oldest
  and newest of every tie got the wide kernels in every coordinate at once,
  which left TPE behind Optuna's (whose unstable sort orders ties
  arbitrarily) on narrow integers;
- an integer candidate is rounded before it is scored, and scored by the
  kernels' mass on its integer's slice of the unit interval rather than by
  a density at the unrounded draw: the score is that of the configuration
  proposed, and two draws that round alike score alike (the rules of
  :mod:`~hpolib.optimizers.encoding`, which GP-BO shares);
- the multivariate variant proposes the best candidate whose configuration
  it has not asked or been told
  (:class:`~hpolib.optimizers.encoding.Asked`): where rounding makes
  repeats possible, an evaluation is not spent on a configuration already
  evaluated while another candidate is new;
- a categorical kernel puts mass ``1 + w/(n+1)`` on its observed choice and
  ``w/(n+1)`` on every choice (``w`` the prior weight, ``n`` observations),
  normalised: an unordered kernel that sharpens as data accumulate;
- 24 candidates; 10 random start-up trials.

The multivariate variant (the default; Falkner et al. 2018 and Watanabe
2023 found it better) models all parameters jointly with product kernels;
the univariate one, the original TPE, picks each parameter independently.
With ``constant_liar`` the configurations asked but not yet told join the
bad group, so parallel workers do not all crowd the same spot.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import log_ndtr, logsumexp
from scipy.stats import truncnorm

from .._checks import check_positive, check_whole
from ..space import Space
from .base import Optimizer, config_key
from .encoding import Asked, Ordinal, integer_slices, snap_integers

__all__ = ["TPE", "default_gamma", "default_weights"]


def default_gamma(n: int) -> int:
    """Size of the good group among ``n`` observations."""
    return min(math.ceil(0.1 * n), 25)


def default_weights(n: int) -> np.ndarray:
    """Weights of a group's ``n`` observations, oldest first."""
    if n < 25:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, n - 25), np.ones(25)])


class ParzenEstimator:
    """A weighted mixture with one product kernel per observation and one prior kernel.

    Parameters
    ----------
    numbers : ndarray (n, d_num)
        Numeric coordinates in the unit interval.
    choices : ndarray of int (n, d_cat)
        Indices of categorical values.
    n_choices : list of int
        Number of choices of each categorical coordinate.
    weights : ndarray (n,)
        Observation weights.
    prior_weight : float
    rng : numpy.random.Generator or None
        Orders equal values at random (``None``: in the order given).
    """

    def __init__(self, numbers, choices, n_choices, weights, prior_weight=1.0, rng=None):
        n, d_num = numbers.shape
        self.n_choices = list(n_choices)
        w = np.append(weights, prior_weight)
        self.log_weights = np.log(w / w.sum())
        self.mus = np.vstack([numbers, np.full((1, d_num), 0.5)])
        self.sigmas = np.column_stack([_neighbour_bandwidths(numbers[:, j], rng) for j in range(d_num)]) \
            if d_num else np.ones((n + 1, 0))
        self.log_truncation = _log_mass(-self.mus / self.sigmas, (1 - self.mus) / self.sigmas)
        self.log_density_scale = np.log(self.sigmas * math.sqrt(2 * math.pi))
        self.probs = []
        for j, c in enumerate(self.n_choices):
            table = np.full((n + 1, c), prior_weight / (n + 1))
            table[np.arange(n), choices[:, j]] += 1.0
            self.probs.append(table / table.sum(axis=1, keepdims=True))

    def sample(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        k = rng.choice(len(self.log_weights), size=size, p=np.exp(self.log_weights))
        mu, sigma = self.mus[k], self.sigmas[k]
        numbers = truncnorm.rvs(-mu / sigma, (1 - mu) / sigma, loc=mu, scale=sigma, random_state=rng) \
            if mu.size else mu
        choices = np.column_stack(
            [(rng.random((size, 1)) > np.cumsum(p[k], axis=1)).sum(axis=1) for p in self.probs]
        ) if self.probs else np.zeros((size, 0), dtype=int)
        return numbers.reshape(size, -1), np.minimum(choices, np.array(self.n_choices) - 1)

    def log_pdf(self, lower: np.ndarray, upper: np.ndarray, choices: np.ndarray) -> np.ndarray:
        """Log likelihood of ``m`` points, shape (m,).

        A numeric coordinate is an interval ``[lower, upper]``: a point (``lower == upper``) contributes a
        kernel's density there, an integer's slice of the unit interval the kernel's mass on it. The mass is
        computed only in the coordinates that hold an interval.
        """
        lo = lower[:, None, :]  # (m, 1, d) against kernels (1, K, d)
        a = (lo - self.mus) / self.sigmas
        per_coordinate = -0.5 * a**2 - self.log_density_scale
        interval = lower != upper
        sliced = np.flatnonzero(interval.any(axis=0))
        if sliced.size:
            b = (upper[:, None, sliced] - self.mus[:, sliced]) / self.sigmas[:, sliced]
            with np.errstate(divide="ignore"):  # log 0 for a point, whose density is kept instead
                mass = _log_mass(a[..., sliced], b)
            per_coordinate[..., sliced] = np.where(interval[:, None, sliced], mass, per_coordinate[..., sliced])
        per_kernel = (per_coordinate - self.log_truncation).sum(axis=2)
        for j, p in enumerate(self.probs):
            per_kernel = per_kernel + np.log(p[:, choices[:, j]]).T
        return logsumexp(per_kernel + self.log_weights, axis=1)


def _log_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``log(Phi(b) - Phi(a))`` for ``a <= b``, accurate in either tail (taken on the side nearer zero)."""
    flip = a > 0  # both in the upper tail: Phi(b) - Phi(a) = Phi(-a) - Phi(-b)
    low, high = np.where(flip, -b, a), np.where(flip, -a, b)
    log_high = log_ndtr(high)
    return log_high + np.log1p(-np.exp(np.minimum(log_ndtr(low) - log_high, 0.0)))


def _neighbour_bandwidths(values: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """Hyperopt's rule on one coordinate: each kernel as wide as the larger gap to its neighbours.

    The unit interval's ends count as neighbours, except that with two or more
    observations the outermost kernels look inwards only; then the widths are
    clipped to ``[1 / min(100, n + 2), 1]`` ("magic clip", ``n + 1`` kernels
    with the prior's). Equal values are ordered at random with ``rng`` (given
    and needed: no draw without a tie). Returns one width per value plus 1.0
    for the prior.
    """
    n = len(values)
    if n == 0:
        return np.ones(1)
    if rng is not None and len(np.unique(values)) < n:
        order = np.lexsort((rng.random(n), values))
    else:
        order = np.argsort(values, kind="stable")
    ordered = values[order]
    padded = np.concatenate([[0.0], ordered, [1.0]])
    widths = np.maximum(padded[1:-1] - padded[:-2], padded[2:] - padded[1:-1])
    if n >= 2:
        widths[0], widths[-1] = ordered[1] - ordered[0], ordered[-1] - ordered[-2]
    result = np.empty(n)
    result[order] = widths
    return np.append(np.clip(result, 1.0 / min(100, n + 2), 1.0), 1.0)


class TPE(Optimizer):
    """Tree-structured Parzen estimator.

    Parameters
    ----------
    space : Space
    n_startup : int
        Random proposals before the model is used.
    n_candidates : int
        Candidates drawn from ``l(x)`` per proposal.
    multivariate : bool
        Joint product kernels (default) or one estimator per parameter.
    constant_liar : bool
        Count pending proposals as bad observations (for parallel workers).
    prior_weight : float
        Weight of the prior kernel.
    gamma : callable
        ``gamma(n)``: size of the good group.
    seed : int or None

    Examples
    --------
    >>> from hpolib import Float, Space
    >>> from hpolib.optimizers import TPE
    >>> opt = TPE(Space({"x": Float(-5, 5)}), seed=0)
    >>> for _ in range(30):
    ...     c = opt.ask(); opt.tell(c, (c["x"] - 2) ** 2)
    >>> abs(min(opt.losses) - 0) < 0.05
    True
    """

    def __init__(self, space: Space, *, n_startup: int = 10, n_candidates: int = 24, multivariate: bool = True,
                 constant_liar: bool = False, prior_weight: float = 1.0, gamma=default_gamma, seed=None):
        super().__init__(space, seed=seed)
        for label, value, low in (("n_startup", n_startup, 1), ("n_candidates", n_candidates, 1)):
            check_whole(label, value, low)
        check_positive("prior_weight", prior_weight)
        self.n_startup, self.n_candidates = n_startup, n_candidates
        self.multivariate, self.constant_liar = bool(multivariate), bool(constant_liar)
        self.prior_weight, self.gamma = float(prior_weight), gamma
        self.encoding = Ordinal(space)
        self._categorical = self.encoding.categorical
        self._n_choices = [n for n in self.encoding.n_choices if n is not None]
        self._integers = [p for p, categorical in zip(self.encoding.integers, self._categorical) if not categorical]
        self.asked: Asked = Asked()
        self._numbers: list[np.ndarray] = []
        self._choices: list[np.ndarray] = []
        self.losses: list[float] = []
        self._pending: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}

    def _split(self, config: dict) -> tuple[np.ndarray, np.ndarray]:
        """A configuration's numbers (in [0, 1]) and choice indices, apart."""
        x = self.encoding.encode(config)
        return x[~self._categorical], x[self._categorical].astype(int)

    def _join(self, numbers: np.ndarray, choices: np.ndarray) -> dict:
        x = np.empty(len(self._categorical))
        x[~self._categorical], x[self._categorical] = numbers, choices
        return self.encoding.decode(x)

    def ask(self) -> dict:
        config = super().ask()
        self._pending[config_key(config)] = self._split(config)
        return config

    def _tell(self, config, loss, budget):
        self._pending.pop(config_key(config), None)
        if loss is None:
            return
        numbers, choices = self._split(config)
        self._numbers.append(numbers)
        self._choices.append(choices)
        self.losses.append(loss)

    def _propose(self, rng):
        n = len(self.losses)
        if n < self.n_startup:
            return self.space.sample(rng)
        numbers, choices = np.array(self._numbers), np.array(self._choices).reshape(n, -1)
        losses = np.array(self.losses)
        order = np.argsort(losses, kind="stable")
        good = np.sort(order[: self.gamma(n)])
        bad = np.sort(order[self.gamma(n):])
        bad_numbers, bad_choices = numbers[bad], choices[bad]
        if self.constant_liar and self._pending:
            pending_numbers, pending_choices = zip(*self._pending.values())
            bad_numbers = np.vstack([bad_numbers, np.array(pending_numbers).reshape(len(pending_numbers), -1)])
            bad_choices = np.vstack([bad_choices, np.array(pending_choices).reshape(len(pending_choices), -1)])
        groups = ((numbers[good], choices[good]), (bad_numbers, bad_choices))
        if self.multivariate:
            return self._join(*self._best_candidate(rng, groups, self._n_choices, self._integers, self._join))
        # Univariate: every parameter on its own, with its own pair of estimators.
        best_numbers, best_choices = [], []
        j_num = j_cat = 0
        for categorical in self._categorical:
            if categorical:
                part = [(g[0][:, :0], g[1][:, j_cat:j_cat + 1]) for g in groups]
                _, c = self._best_candidate(rng, part, self._n_choices[j_cat:j_cat + 1], [])
                best_choices.append(c[0])
                j_cat += 1
            else:
                part = [(g[0][:, j_num:j_num + 1], g[1][:, :0]) for g in groups]
                x, _ = self._best_candidate(rng, part, [], self._integers[j_num:j_num + 1])
                best_numbers.append(x[0])
                j_num += 1
        return self._join(np.array(best_numbers), np.array(best_choices, dtype=int))

    def _best_candidate(self, rng, groups, n_choices, integers, join=None):
        """Draw candidates from l(x), return the one with the largest log l(x) - log g(x).

        ``integers`` holds, per numeric coordinate, its :class:`~hpolib.space.Int` or ``None``: an integer
        candidate is rounded first and scored by the mass of its slice, so the score is that of what is
        proposed. With ``join`` (numbers and choices to a configuration), the best is the best not yet asked
        (:class:`~hpolib.optimizers.encoding.Asked`).
        """
        (good_n, good_c), (bad_n, bad_c) = groups
        below = ParzenEstimator(good_n, good_c, n_choices, default_weights(len(good_n)), self.prior_weight, rng)
        above = ParzenEstimator(bad_n, bad_c, n_choices, default_weights(len(bad_n)), self.prior_weight, rng)
        numbers, choices = below.sample(rng, self.n_candidates)
        numbers = snap_integers(numbers, integers)
        lower, upper = integer_slices(numbers, integers)
        score = below.log_pdf(lower, upper, choices) - above.log_pdf(lower, upper, choices)
        best = int(np.argmax(score)) if join is None else self.asked.best(score, lambda i: join(numbers[i], choices[i]))
        return numbers[best], choices[best]

    def __repr__(self):
        kind = "multivariate" if self.multivariate else "univariate"
        return f"TPE({kind}, n_startup={self.n_startup}, seed={self.seed})"
