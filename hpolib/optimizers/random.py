"""Random search (Bergstra and Bengio, JMLR 2012): independent uniform draws."""

from __future__ import annotations

from .base import Optimizer


class RandomSearch(Optimizer):
    """Sample every configuration independently from the space's prior.

    Integers are uniform, ``log=True`` parameters log-uniform, categories
    equally likely.

    Parameters
    ----------
    space : Space
    seed : int or None

    Examples
    --------
    >>> from hpolib import Space, Float, RandomSearch
    >>> opt = RandomSearch(Space({"x": Float(0, 1)}), seed=0)
    >>> a = opt.ask(); b = RandomSearch(Space({"x": Float(0, 1)}), seed=0).ask()
    >>> a == b
    True
    """

    def _propose(self, rng):
        return self.space.sample(rng)
