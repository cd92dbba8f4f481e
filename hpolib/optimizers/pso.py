"""Particle swarm optimisation (Kennedy and Eberhart 1995; inertia weight of Shi and Eberhart 1998).

The LeNet study's Algorithm 3. Each particle ``i`` has a position ``x_i``, a
velocity ``v_i`` and the best position it has seen, ``p_i``; ``g`` is the
swarm's best. A particle moves by

    v_i <- w v_i + phi_l r_l (p_i - x_i) + phi_g r_g (g - x_i),    x_i <- x_i + v_i,

with ``r_l, r_g ~ U(0, 1)`` drawn per coordinate. The search runs in the
unit box of :class:`~hpolib.optimizers.encoding.OneHot` (a category is a block
of coordinates, decoded to its largest), integers are rounded on
evaluation, velocities are clamped to ``v_max`` per coordinate, and a
particle that would leave the box stops at the wall (that coordinate's
velocity is zeroed). The swarm has converged, and ``ask`` raises
:class:`SpaceExhausted`, once the mean velocity norm falls below
``epsilon`` after every particle moved at least once.

Asynchronous: a particle's next position is proposed as soon as its last
one is told, using the swarm's best at that moment; when every particle is
waiting for its result, extra proposals are drawn at random.
"""

from __future__ import annotations

import copy

import numpy as np

from .._checks import check_in, check_whole
from ..space import Space
from .base import Optimizer, SpaceExhausted, config_key
from .encoding import OneHot

__all__ = ["PSO"]


class PSO(Optimizer):
    """Particle swarm optimisation.

    Parameters
    ----------
    space : Space
    n_particles : int
        Swarm size ``S`` (the LeNet study: 5).
    phi_local, phi_global : float
        Step sizes towards the particle's and the swarm's best (study: 2, 2).
    inertia : float
        ``w`` (study: 0.5).
    v_max : float
        Largest velocity per coordinate, as a fraction of the box.
    epsilon : float
        Convergence threshold on the mean velocity norm.
    seed : int or None
    """

    def __init__(self, space: Space, *, n_particles: int = 5, phi_local: float = 2.0, phi_global: float = 2.0,
                 inertia: float = 0.5, v_max: float = 0.5, epsilon: float = 1e-3, seed=None):
        super().__init__(space, seed=seed)
        check_whole("n_particles", n_particles, 1)
        for label, value in (("phi_local", phi_local), ("phi_global", phi_global), ("inertia", inertia),
                             ("epsilon", epsilon)):
            check_in(label, value, "[0, inf)")
        check_in("v_max", v_max, "(0, 1]")
        self.n_particles, self.phi_local, self.phi_global = n_particles, phi_local, phi_global
        self.inertia, self.v_max, self.epsilon = inertia, v_max, epsilon
        self.encoding = OneHot(space)
        start = np.random.default_rng([self.seed, 2**32])  # the swarm's start, apart from the per-ask streams
        self.positions = self.encoding.random(start, n_particles)
        self.velocities = start.uniform(-v_max, v_max, (n_particles, self.encoding.dim))
        self.best_positions = self.positions.copy()
        self.best_losses = np.full(n_particles, np.inf)
        self.global_position: np.ndarray | None
        self.global_position, self.global_loss = None, np.inf
        self.moves = np.zeros(n_particles, dtype=int)  # how often each particle has been placed
        self._waiting: dict[tuple, int] = {}  # proposal -> particle awaiting its result
        self._turn = 0

    @property
    def converged(self) -> bool:
        return bool(self.moves.min() >= 2 and np.linalg.norm(self.velocities, axis=1).mean() < self.epsilon)

    def _propose(self, rng):
        if self.converged:
            raise SpaceExhausted("the swarm converged: mean velocity norm below epsilon")
        busy = set(self._waiting.values())
        free = [(self._turn + k) % self.n_particles for k in range(self.n_particles)
                if (self._turn + k) % self.n_particles not in busy]
        if not free:
            return self.encoding.decode(self.encoding.random(rng, 1)[0])
        i = free[0]
        self._turn = (i + 1) % self.n_particles
        if self.moves[i] > 0:
            self._move(i, rng)
        self.moves[i] += 1
        config = self.encoding.decode(self.positions[i])
        self._waiting[config_key(config)] = i
        return config

    def _move(self, i: int, rng) -> None:
        r_local, r_global = rng.random((2, self.encoding.dim))
        target = self.global_position if self.global_position is not None else self.best_positions[i]
        v = (self.inertia * self.velocities[i]
             + self.phi_local * r_local * (self.best_positions[i] - self.positions[i])
             + self.phi_global * r_global * (target - self.positions[i]))
        v = np.clip(v, -self.v_max, self.v_max)
        x = self.positions[i] + v
        wall = (x < 0) | (x > 1)
        v[wall] = 0.0
        self.positions[i], self.velocities[i] = np.clip(x, 0.0, 1.0), v

    def _tell(self, config, loss, budget):
        loss = np.inf if loss is None else loss
        i = self._waiting.pop(config_key(config), None)
        position = self.positions[i] if i is not None else self.encoding.encode(config)
        if i is not None and loss < self.best_losses[i]:
            self.best_losses[i], self.best_positions[i] = loss, position.copy()
        if loss < self.global_loss:
            self.global_loss, self.global_position = loss, position.copy()

    def restore(self, n_asked, history):
        """Replay the study through the swarm, asking and telling in the order the study did.

        Each outcome is told in turn, its proposal asked again just before it when it is what the swarm
        proposes next (an enqueued configuration or a scheduler's promotion is told as it is). Proposals
        left without an outcome, those of trials that were running when the study stopped, are asked
        last, so their particles have moved when the re-run trials are told. Exact for a study run on
        one worker, where results come back in the order they were asked.
        """
        for config, value, budget in history:
            if self.n_asked < n_asked and self._proposes_next(config):
                self.ask()
            self.tell(config, value, budget)
        while self.n_asked < n_asked:
            try:
                self.ask()
            except SpaceExhausted:
                break
        self.n_asked = n_asked

    def _proposes_next(self, config: dict) -> bool:
        """Whether ``config`` is what the next ``ask`` would return (asked of a copy of the swarm)."""
        try:
            return config_key(copy.deepcopy(self).ask()) == config_key(config)
        except SpaceExhausted:
            return False

    def __repr__(self):
        return f"PSO(n_particles={self.n_particles}, w={self.inertia}, seed={self.seed})"
