"""A genetic algorithm: tournament selection, crossover, per-gene mutation, elitist survival.

A steady-state GA (Whitley's GENITOR, 1989), which suits asynchronous
workers: there is no generation barrier. The population is the best
``population_size`` individuals evaluated so far, so the elite is never lost.
Each proposal after the random initial population is one child:

1. two parents, each the best of ``tournament_size`` individuals drawn from
   the population (tournament selection);
2. with probability ``crossover_rate``, a crossover: ``"uniform"`` takes each
   gene from either parent with equal odds; ``"sbx"`` (simulated binary
   crossover, Deb and Agrawal 1995, with distribution index ``eta``) blends
   numeric genes and takes categorical ones from either parent; otherwise a
   copy of the first parent;
3. each gene mutates with probability ``mutation_rate`` (default one over the
   number of genes): a numeric gene by Gaussian noise of scale
   ``mutation_scale`` in its unit interval (log scales and integers live
   there too), a categorical gene to another choice, uniformly.

Numeric genes are coordinates in the unit interval; categorical genes are
choice indices, never treated as ordered. A child whose configuration has
been asked or told already (a copy of a parent, or a gene that rounds to the
same integer) is bred again, up to ``MAX_BREEDS`` times
(:class:`~hpolib.optimizers.encoding.Asked`), so evaluations are not spent
on configurations already evaluated.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_in, check_positive, check_whole
from ..space import Space
from .base import Optimizer
from .encoding import Asked, Ordinal

__all__ = ["GeneticAlgorithm"]


class GeneticAlgorithm(Optimizer):
    """Steady-state genetic algorithm.

    Parameters
    ----------
    space : Space
    population_size : int
    tournament_size : int
    crossover : {"uniform", "sbx"}
    crossover_rate : float
    mutation_rate : float or None
        Per-gene probability (default ``1 / number of genes``).
    mutation_scale : float
        Standard deviation of numeric mutations, in the unit interval.
    eta : float
        Distribution index of SBX (larger: children closer to parents).
    seed : int or None
    """

    def __init__(self, space: Space, *, population_size: int = 20, tournament_size: int = 3, crossover: str = "uniform",
                 crossover_rate: float = 0.9, mutation_rate: float | None = None, mutation_scale: float = 0.1,
                 eta: float = 15.0, seed=None):
        super().__init__(space, seed=seed)
        for label, value, low in (("population_size", population_size, 2), ("tournament_size", tournament_size, 1)):
            check_whole(label, value, low)
        if crossover not in ("uniform", "sbx"):
            raise ValueError(f"crossover must be 'uniform' or 'sbx', got {crossover!r}")
        mutation_rate = 1.0 / len(space) if mutation_rate is None else mutation_rate
        for label, rate in (("crossover_rate", crossover_rate), ("mutation_rate", mutation_rate)):
            check_in(label, rate, "[0, 1]")
        check_positive("mutation_scale", mutation_scale)
        check_positive("eta", eta)
        self.population_size, self.tournament_size = population_size, tournament_size
        self.crossover, self.crossover_rate = crossover, crossover_rate
        self.mutation_rate, self.mutation_scale, self.eta = mutation_rate, mutation_scale, eta
        self.encoding = Ordinal(space)
        self.asked: Asked = Asked()
        self.encoded: list[np.ndarray] = []  # the genomes told, in order
        self.losses: list[float] = []

    @property
    def population(self) -> list[int]:
        """Indices of the survivors: the best ``population_size`` evaluated (oldest first among ties)."""
        return list(np.argsort(self.losses, kind="stable")[: self.population_size])

    def _tell(self, config, loss, budget):
        if loss is not None:
            self.encoded.append(self.encoding.encode(config))
            self.losses.append(loss)

    def _propose(self, rng):
        if self.n_asked < self.population_size or len(self.losses) < 2:
            return self.space.sample(rng)
        for _ in range(self.MAX_BREEDS):
            config = self.encoding.decode(self._breed(rng))
            if config not in self.asked:
                break
        return config

    MAX_BREEDS = 20
    """Children bred per proposal at most while each repeats a configuration asked or told (the last is proposed)."""

    def _breed(self, rng) -> np.ndarray:
        population = self.population
        mother, father = (self.encoded[self._tournament(population, rng)] for _ in range(2))
        child = self._cross(mother, father, rng) if rng.random() < self.crossover_rate else mother.copy()
        return self._mutate(child, rng)

    def _tournament(self, population: list[int], rng) -> int:
        entrants = rng.choice(population, size=min(self.tournament_size, len(population)), replace=False)
        return int(min(entrants, key=lambda i: self.losses[i]))

    def _cross(self, a: np.ndarray, b: np.ndarray, rng) -> np.ndarray:
        take_b = rng.random(len(a)) < 0.5
        child = np.where(take_b, b, a)
        if self.crossover == "sbx":
            u = rng.random(len(a))
            beta = np.where(u <= 0.5, (2 * u) ** (1 / (self.eta + 1)), (1 / (2 * (1 - u))) ** (1 / (self.eta + 1)))
            sign = np.where(take_b, -1.0, 1.0)  # which of the two SBX children
            blend = 0.5 * ((1 + sign * beta) * a + (1 - sign * beta) * b)
            child = np.where(self.encoding.categorical, child, np.clip(blend, 0.0, 1.0))
        return child

    def _mutate(self, genome: np.ndarray, rng) -> np.ndarray:
        genome = genome.copy()
        for j in np.flatnonzero(rng.random(len(genome)) < self.mutation_rate):
            n_choices = self.encoding.n_choices[j]
            if n_choices is not None:
                if n_choices > 1:
                    others = [c for c in range(n_choices) if c != int(genome[j])]
                    genome[j] = others[rng.integers(len(others))]
            else:
                genome[j] = np.clip(genome[j] + self.mutation_scale * rng.standard_normal(), 0.0, 1.0)
        return genome

    def __repr__(self):
        return f"GeneticAlgorithm(population_size={self.population_size}, crossover={self.crossover!r}, " \
               f"seed={self.seed})"
