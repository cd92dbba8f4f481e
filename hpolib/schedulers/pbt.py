"""Population based training, PBT (Jaderberg et al. 2017, section 3 and Algorithm 1).

A population of ``population_size`` members trains at once. A member trains
in segments of ``ready`` steps; each segment is one trial that continues from
a checkpoint. When a member is ready for its next segment it is ranked by its
last value among the population:

- *exploit*: a member in the bottom ``quantile`` copies a member of the top
  ``quantile`` (chosen at random): its next trial starts from that member's
  checkpoint (weights, optimiser state, step) with its hyperparameters;
- *explore*: the copied hyperparameters are then perturbed: each one, with
  probability ``resample_probability``, is drawn afresh from the space, else
  multiplied by one of ``perturb`` (e.g. 0.8 or 1.2; an integer is rounded,
  a categorical value moves to a neighbouring choice), clipped to its range;
- any other member continues from its own checkpoint unchanged.

With ``exploit=False`` no member ever copies another: every member trains its
initial draw to the end, which is random search over the same draws and
epochs (PBT's baseline). With ``explore=False`` a copy keeps its donor's
hyperparameters as they are (exploitation without perturbation).

The member that has trained least goes next, so on one worker the members
advance in turns and every decision sees the whole population's latest
values; on many workers the rule is asynchronous, as in the paper. Each
trial's ``info`` holds its ``member`` and, after an exploit, the member it
copied (``copied_from``): :meth:`PBT.schedule` turns a study into the
hyperparameter schedule of every member for plots.

The objective must save its state in ``report.checkpoint_dir`` at the end of
a trial and restore from ``report.restore_dir`` when it is given, training
up to ``budget`` steps in all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np

from .._checks import check_budget, check_in, check_positive, check_whole
from ..space import Categorical, Int, Space
from .base import Launch, Scheduler

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PBT", "Member"]


@dataclass
class Member:
    """One worker of the population: its last good segment (whose checkpoint it continues from), the step
    that segment reached, its loss (``None`` after a failure), configuration, and whether it runs now."""

    id: int
    trial: int | None = None
    step: float = 0
    loss: float | None = None
    config: dict = field(default_factory=dict)
    running: bool = False


class PBT(Scheduler):
    """Population based training over ``space``.

    Parameters
    ----------
    space : Space
        The study's space (for resampling and bounds).
    population_size : int
        Members training at once (``N``).
    ready : int or float
        Steps per segment between two exploit/explore decisions (the evolution pace).
    max_steps : int or float
        Steps each member trains in all (with ints for both, every budget is an int).
    quantile : float
        Fraction of the population in the bottom (which copies) and in the top (which is copied), in (0, 0.5].
    perturb : sequence of float, or mapping of name to sequence
        Factors a numeric hyperparameter is multiplied by, one chosen at random (per parameter if a mapping).
    resample_probability : float
        Chance of drawing a hyperparameter afresh from the space instead of perturbing it, in [0, 1].
    hyperparams : sequence of str or None
        The hyperparameters to explore (default: all of the space); the others are copied as they are.
    seed : int or None
        Seed of the choice of donors and of the perturbations.
    exploit : bool
        Whether the bottom copies the top; without it, the population is random search over its initial draws.
    explore : bool
        Whether a copy's hyperparameters are perturbed or resampled; without it, they are the donor's.
    """

    continues_trials = True
    finite = True

    def __init__(self, space: Space, *, population_size: int = 10, ready: float = 1, max_steps: float = 10,
                 quantile: float = 0.25, perturb: Sequence[float] | Mapping[str, Sequence[float]] = (0.8, 1.2),
                 resample_probability: float = 0.25, hyperparams: Sequence[str] | None = None,
                 seed: int | None = None, exploit: bool = True, explore: bool = True):
        if not isinstance(space, Space):
            raise ValueError(f"space must be a hpolib Space, got {type(space).__name__}")
        self.space = space
        self.population_size = check_whole("population_size", population_size, 2)
        self.ready = check_budget("ready", ready)
        self.max_steps = check_budget("max_steps", max_steps)
        self.quantile = check_in("quantile", quantile, "(0, 0.5]")
        self.resample_probability = check_in("resample_probability", resample_probability, "[0, 1]")
        self.hyperparams = list(space) if hyperparams is None else list(hyperparams)
        unknown = sorted(set(self.hyperparams) - set(space))
        if unknown:
            raise ValueError(f"hyperparams {unknown} are not in the space ({sorted(space)})")
        factors = perturb if isinstance(perturb, Mapping) else {name: perturb for name in self.hyperparams}
        self.perturb = {}
        for name in self.hyperparams:
            values = [check_positive(f"perturb[{name!r}]", f) for f in factors.get(name, (0.8, 1.2))]
            if not values:
                raise ValueError(f"perturb[{name!r}] must hold at least one factor")
            self.perturb[name] = values
        self.seed = int(cast(int, np.random.SeedSequence().entropy)) if seed is None else check_whole("seed", seed, 0)
        for label, value in (("exploit", exploit), ("explore", explore)):
            if not isinstance(value, bool):
                raise ValueError(f"{label} must be True or False, got {value!r}")
        self.exploits, self.explores = exploit, explore
        self.members: list[Member] = []
        self._member_of: dict[int, int] = {}
        self._launched = 0

    def __repr__(self):
        return (f"PBT(population_size={self.population_size}, ready={self.ready:g}, max_steps={self.max_steps:g}, "
                f"quantile={self.quantile:g}, exploit={self.exploits}, explore={self.explores})")

    def next(self, sample):
        rng = np.random.default_rng([self.seed, self._launched])
        if len(self.members) < self.population_size:
            return Launch(sample(), min(self.ready, self.max_steps), info={"member": len(self.members)})
        waiting = [m for m in range(len(self.members))
                   if not self.members[m].running and self.members[m].step < self.max_steps]
        if not waiting:
            return None
        member = min(waiting, key=lambda m: (self.members[m].step, m))
        me = self.members[member]
        bottom, top = self._quantiles()
        donors = [m for m in top if m != member and self.members[m].step < self.max_steps]
        if self.exploits and (member in bottom or me.loss is None) and donors:
            donor = self.members[int(rng.choice(donors))]
            config = self.explore(donor.config, rng)
            return Launch(config, min(donor.step + self.ready, self.max_steps), parent=donor.trial,
                          info={"member": member, "copied_from": donor.id})
        if me.loss is None:  # failed and nobody to copy: start over
            return Launch(sample(), min(self.ready, self.max_steps), info={"member": member})
        return Launch(dict(me.config), min(me.step + self.ready, self.max_steps), parent=me.trial,
                      info={"member": member})

    def _quantiles(self) -> tuple[list[int], list[int]]:
        """Members in the bottom and in the top quantile by their last loss (failed members rank last)."""
        ranked = sorted(range(len(self.members)),
                        key=lambda m: (math.inf if self.members[m].loss is None else self.members[m].loss, m))
        ranked = [m for m in ranked if self.members[m].trial is not None]
        k = max(1, int(round(len(ranked) * self.quantile)))
        top = [m for m in ranked[:k] if self.members[m].loss is not None]
        return ranked[-k:], top

    def explore(self, config: dict, rng: np.random.Generator) -> dict:
        """A perturbed copy of ``config`` (see the module's description); an unchanged one without ``explore``."""
        config = dict(config)
        if not self.explores:
            return config
        for name in self.hyperparams:
            param = self.space[name]
            if rng.random() < self.resample_probability:
                config[name] = param.sample(rng)
            elif isinstance(param, Categorical):
                i = param.index(config[name]) + int(rng.choice([-1, 1]))
                config[name] = param.choices[min(max(i, 0), len(param.choices) - 1)]
            else:
                value = config[name] * float(rng.choice(self.perturb[name]))
                value = min(max(value, param.low), param.high)
                config[name] = int(round(value)) if isinstance(param, Int) else float(value)
        return config

    def on_launch(self, trial):
        self._launched += 1
        member = trial.info["member"]
        while len(self.members) <= member:
            self.members.append(Member(len(self.members)))
        state = self.members[member]
        state.running, state.config = True, dict(trial.config)
        self._member_of[trial.number] = member

    def on_finish(self, trial, loss):
        state = self.members[self._member_of[trial.number]]
        state.running, state.loss = False, loss
        if loss is not None:  # a failed segment leaves no checkpoint: the member keeps its last good one
            state.trial = trial.number
            state.step = trial.budget if trial.budget is not None else trial.budget_used

    @staticmethod
    def schedule(trials) -> pd.DataFrame:
        """Every member's segments in order: member, trial, start and end step, copied_from, value and config.

        ``trials`` is a study's trial list (``study.trials``).
        """
        import pandas as pd

        rows = []
        for t in trials:
            if "member" not in t.info:
                continue
            start = trials[t.parent].budget if t.parent is not None else 0.0
            rows.append({"member": t.info["member"], "trial": t.number, "start": start, "end": t.budget,
                         "copied_from": t.info.get("copied_from"), "state": t.state.value, "value": t.value,
                         **t.config})
        return pd.DataFrame(rows).sort_values(["member", "start"]).reset_index(drop=True) if rows else pd.DataFrame()
