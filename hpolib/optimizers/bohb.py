"""BOHB's model (Falkner, Klein and Hutter, ICML 2018, section 4 and Algorithm 2).

BOHB is Hyperband whose fresh configurations come from this optimiser: use
it as ``Study(space, BOHB(space), scheduler=Hyperband(...))``. It keeps the
observations of every budget apart and models the largest budget that has
at least ``min_points_in_model + 2`` of them:

- the best ``n_good = max(N_min, floor(q N))`` observations form the good
  group, the next ``n_bad = max(N_min, N - n_good)`` the bad one (failures
  count as infinitely bad); each becomes a product-kernel density in the unit
  cube, ``l(x)`` and ``g(x)``, with Scott's normal-reference bandwidth
  ``1.06 sigma n^(-1/(d+4))`` per dimension, at least ``min_bandwidth``;
  a categorical dimension uses the Aitchison-Aitken kernel;
- ``n_samples`` candidates are drawn from ``l`` with every numeric
  bandwidth widened by ``bandwidth_factor`` (truncated Gaussians around good
  points; a categorical value is redrawn with probability its bandwidth),
  and the one with the largest ``l(x) / g(x)`` is proposed;
- a ``random_fraction`` of the proposals, and all of them before any budget
  has enough observations, are drawn from the prior.

Defaults are the paper's: ``q = 0.15``, ``N_min = d + 1``, 64 samples,
bandwidth factor 3, random fraction 1/3, minimum bandwidth 1e-3.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import truncnorm

from .._checks import check_in, check_positive, check_whole
from ..space import Space
from .base import Optimizer
from .encoding import Ordinal

__all__ = ["BOHB", "KernelDensity"]


class KernelDensity:
    """Product-kernel density on the unit cube: Gaussians for numbers, Aitchison-Aitken for categories."""

    def __init__(self, data: np.ndarray, n_choices: list[int | None], min_bandwidth: float):
        self.data, self.n_choices = data, n_choices
        n, d = data.shape
        sigma = data.std(axis=0)
        self.bandwidth = np.maximum(1.06 * sigma * n ** (-1.0 / (d + 4)), min_bandwidth)
        for j, c in enumerate(n_choices):
            if c is not None:
                self.bandwidth[j] = min(self.bandwidth[j], (c - 1) / c)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Density at each row of ``x`` (an ``(m, d)`` array)."""
        kernels = np.ones((len(x), len(self.data)))
        for j, c in enumerate(self.n_choices):
            bw = self.bandwidth[j]
            if c is None:
                z = (x[:, j, None] - self.data[None, :, j]) / bw
                kernels *= np.exp(-0.5 * z ** 2) / (bw * math.sqrt(2 * math.pi))
            else:
                same = x[:, j, None] == self.data[None, :, j]
                kernels *= np.where(same, 1.0 - bw, bw / (c - 1))
        return kernels.mean(axis=1)

    def sample_around(self, rng: np.random.Generator, size: int, factor: float) -> np.ndarray:
        """Points drawn from kernels around random data points: Gaussians ``factor`` times wider, truncated to
        [0, 1]; a categorical value redrawn uniformly with probability equal to its bandwidth."""
        centres = self.data[rng.integers(len(self.data), size=size)]
        out = centres.copy()
        for j, c in enumerate(self.n_choices):
            if c is None:
                bw = self.bandwidth[j] * factor
                a, b = (0 - centres[:, j]) / bw, (1 - centres[:, j]) / bw
                out[:, j] = truncnorm.rvs(a, b, loc=centres[:, j], scale=bw, random_state=rng)
            else:
                flip = rng.random(size) < self.bandwidth[j]
                out[flip, j] = rng.integers(c, size=int(flip.sum()))
        return out


class BOHB(Optimizer):
    """BOHB's multi-fidelity kernel-density optimiser (pair it with :class:`~hpolib.schedulers.Hyperband`).

    Parameters
    ----------
    space : Space
    top_n_percent : float
        ``q`` in percent: the share of observations in the good group.
    min_points_in_model : int or None
        ``N_min`` (default: dimensions + 1).
    n_samples : int
        Candidates drawn per proposal.
    bandwidth_factor : float
        How much wider the sampling kernels are than the model's.
    random_fraction : float
        Share of proposals drawn from the prior, in [0, 1].
    min_bandwidth : float
        Smallest bandwidth, so the model never collapses onto a point.
    seed : int or None

    Examples
    --------
    >>> from hpolib import Study
    >>> from hpolib.problems import Branin
    >>> from hpolib.schedulers import Hyperband
    >>> f = Branin(max_budget=9)
    >>> study = Study(f.space, BOHB(f.space, seed=0), scheduler=Hyperband(1, 9, eta=3))
    >>> study.optimize(f, total_budget=200, progress=False).best.budget
    9
    """

    def __init__(self, space: Space, *, top_n_percent: float = 15, min_points_in_model: int | None = None,
                 n_samples: int = 64, bandwidth_factor: float = 3.0, random_fraction: float = 1 / 3,
                 min_bandwidth: float = 1e-3, seed: int | None = None):
        super().__init__(space, seed=seed)
        check_in("top_n_percent", top_n_percent, "(0, 100)")
        if min_points_in_model is not None:
            check_whole("min_points_in_model", min_points_in_model, 1)
        check_whole("n_samples", n_samples, 1)
        check_positive("bandwidth_factor", bandwidth_factor)
        check_in("random_fraction", random_fraction, "[0, 1]")
        check_positive("min_bandwidth", min_bandwidth)
        self.top_n_percent, self.n_samples = float(top_n_percent), n_samples
        self.min_points_in_model = len(space) + 1 if min_points_in_model is None else min_points_in_model
        self.bandwidth_factor, self.random_fraction = float(bandwidth_factor), float(random_fraction)
        self.min_bandwidth = float(min_bandwidth)
        self.encoding = Ordinal(space)
        self.observations: dict[float, list[tuple[np.ndarray, float]]] = {}

    def __repr__(self):
        return f"BOHB(top_n_percent={self.top_n_percent:g}, random_fraction={self.random_fraction:.3g}, " \
               f"seed={self.seed})"

    def _tell(self, config, loss, budget):
        budget = math.inf if budget is None else float(budget)
        loss = math.inf if loss is None else loss
        self.observations.setdefault(budget, []).append((self.encoding.encode(config), loss))

    @property
    def model_budget(self) -> float | None:
        """The budget the next model is fitted on: the largest with enough observations, or ``None``."""
        enough = [b for b, obs in self.observations.items() if len(obs) >= self.min_points_in_model + 2]
        return max(enough, default=None)

    def _propose(self, rng):
        budget = self.model_budget
        if budget is None or rng.random() < self.random_fraction:
            return self.space.sample(rng)
        data = self.observations[budget]
        x = np.array([obs[0] for obs in data])
        order = np.argsort([obs[1] for obs in data], kind="stable")
        n = len(data)
        n_good = max(self.min_points_in_model, int(self.top_n_percent * n) // 100)
        n_bad = max(self.min_points_in_model, n - n_good)
        good = KernelDensity(x[order[:n_good]], self.encoding.n_choices, self.min_bandwidth)
        bad = KernelDensity(x[order[n_good:n_good + n_bad]], self.encoding.n_choices, self.min_bandwidth)
        candidates = good.sample_around(rng, self.n_samples, self.bandwidth_factor)
        score = np.log(np.maximum(good.pdf(candidates), 1e-32)) - np.log(np.maximum(bad.pdf(candidates), 1e-32))
        return self.encoding.decode(candidates[int(np.argmax(score))])
