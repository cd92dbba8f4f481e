"""The optimiser protocol: ``ask() -> config``, ``tell(config, loss, budget)``.

Every optimiser minimises; :class:`hpolib.Study` negates the value of a
study that maximises before telling it. An optimiser keeps its own state
(models, populations) but draws the randomness of its ``k``-th proposal from
``(seed, k)``, so a study resumed from storage, which tells it the stored
history again, goes on proposing exactly what an uninterrupted run would.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, cast

import numpy as np

from .._checks import check_number
from ..space import Space

if TYPE_CHECKING:
    from .encoding import Asked

__all__ = ["Optimizer", "SpaceExhausted", "config_key"]


class SpaceExhausted(Exception):
    """Raised by ``ask()`` when an optimiser has nothing left to propose (a finished grid)."""


class Optimizer(abc.ABC):
    """Base class: configured in ``__init__``, then ``ask`` / ``tell``; a subclass implements ``_propose``
    (and ``_tell`` if it learns from outcomes).

    Parameters
    ----------
    space : Space
        What to search.
    seed : int or None
        Seed of every random choice; ``None`` draws fresh entropy.

    Attributes
    ----------
    n_asked : int
        Proposals made so far (including those of a resumed study's past).
    size : int or None
        How many proposals it can make at most (``None``: no limit).
    """

    size: int | None = None
    asked: Asked | None = None
    """Every configuration asked or told, kept (from ``__init__``) by an optimiser that proposes none twice while
    it has a new one (:class:`~hpolib.optimizers.encoding.Asked`)."""

    def __init__(self, space: Space, *, seed: int | None = None):
        if not isinstance(space, Space):
            raise ValueError(f"space must be a hpolib Space, got {type(space).__name__}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
        self.space = space
        self.seed = int(seed) if seed is not None else int(cast(int, np.random.SeedSequence().entropy))
        self.n_asked = 0

    def ask(self) -> dict:
        """Propose the next configuration."""
        config = self._propose(self._rng())
        self.n_asked += 1
        if self.asked is not None:
            self.asked.add(config)
        return config

    def tell(self, config: dict, loss: float | None, budget: float | None = None) -> None:
        """Learn the outcome of ``config``: its loss (smaller is better), or ``None`` if it failed.

        ``budget`` is what the loss was measured at (multi-fidelity optimisers use it).
        A configuration that does not match the space, or a loss that is neither ``None``
        nor a finite number, is refused with a ValueError naming it, before anything is learnt.
        """
        config = self.space.validate(config)
        loss = None if loss is None else check_number("loss", loss)
        if self.asked is not None:
            self.asked.add(config)
        self._tell(config, loss, budget)

    def _tell(self, config: dict, loss: float | None, budget: float | None) -> None:
        """What a subclass learns from a told outcome (``config`` in the space, ``loss`` finite or ``None``)."""

    def restore(self, n_asked: int, history: list[tuple[dict, float | None, float | None]]) -> None:
        """Rebuild the state of a resumed study: ``n_asked`` proposals made, ``history`` of
        ``(config, loss, budget)`` outcomes told in order (``loss`` ``None`` for failures)."""
        for config, loss, budget in history:
            self.tell(config, loss, budget)
        self.n_asked = n_asked

    def _rng(self) -> np.random.Generator:
        """The generator for proposal number ``n_asked``."""
        return np.random.default_rng([self.seed, self.n_asked])

    @abc.abstractmethod
    def _propose(self, rng: np.random.Generator) -> dict:
        """The next configuration, drawing every random choice from ``rng``."""

    def __repr__(self):
        return f"{type(self).__name__}(seed={self.seed})"


def config_key(config: dict) -> tuple:
    """A hashable key of a configuration (to match a told result to its pending proposal)."""
    return tuple(sorted((name, repr(value)) for name, value in config.items()))
