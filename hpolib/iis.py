"""Increasing image sizes, IIS (Hinz, Navarro-Guerrero, Magg and Wermter 2018).

Search first where evaluations are cheap, on downscaled images, then carry
the search over to larger ones: the paper ran 750 evaluations at 32 px, 500
at 64 px and 250 at 128 px against 1,500 at full resolution. Here a stage is
``(resolution, n_evaluations)``, and each stage is its own :class:`Study`
(named ``<name>-<resolution>px``, so every stage is stored and resumable).

How the search is carried over, exactly:

1. *Warm start.* Stage ``k``'s optimiser is a fresh one (same seed) that is
   first told every finished evaluation of the earlier stages, at the value
   it had at its own, lower resolution. A model-based optimiser (TPE, GP, a
   GA's population) starts where the earlier stages left off instead of
   from nothing.
2. *Re-evaluation.* The ``carry`` best configurations of the earlier stages
   (best first, duplicates dropped) are evaluated first at the new
   resolution (they count towards the stage's evaluations).

3. *Narrowing* (optional, ``narrow_top > 0``). The paper found that the
   stages settled on similar values and read that as each rescale narrowing
   the search to good ranges; with ``narrow_top = k`` that is done
   explicitly: stage ``k``'s space is the previous stage's space narrowed
   around that stage's ``k`` best configurations by
   :meth:`hpolib.space.Space.narrowed` (numeric ranges, layer counts
   included, to the span of their active values widened by
   ``narrow_margin`` of the range each side; categorical parameters to the
   choices they used). The warm start and the carried configurations keep
   only what lies in the narrowed space.

A configuration that cannot run at a resolution (a conv stack too deep for
small images, :func:`hpolib.models.cnn`) fails as a trial of that stage and
is never carried.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from ._checks import check_whole
from .optimizers import Optimizer
from .optimizers.base import config_key
from .space import Space
from .study import Study
from .trial import TrialState

__all__ = ["increasing_image_sizes", "IISResult"]


@dataclass
class IISResult:
    """The stages' studies and the space each searched, smallest resolution first."""

    stages: list[tuple[int, int]]
    studies: list[Study] = field(default_factory=list)
    spaces: list[Space] = field(default_factory=list)

    @property
    def seconds(self) -> list[float]:
        """Seconds each stage's evaluations took: the sum of its finished trials' durations, so a resumed
        search counts the time spent before it stopped too."""
        return [sum(t.duration for t in study.trials if t.state.finished) for study in self.studies]

    @property
    def best(self):
        """The best trial of the last (full-resolution) stage."""
        return self.studies[-1].best

    def to_dataframe(self) -> pd.DataFrame:
        """Every trial of every stage, with its ``resolution`` and ``stage``."""
        frames = []
        for k, ((resolution, _), study) in enumerate(zip(self.stages, self.studies)):
            frame = study.to_dataframe()
            frame.insert(0, "resolution", resolution)
            frame.insert(0, "stage", k)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def increasing_image_sizes(space: Space, make_optimizer: Callable[[Space, int], Optimizer],
                           objective_at: Callable[[int], Callable], stages: Sequence[tuple[int, int]], *,
                           carry: int = 5, name: str = "iis", storage=None, direction: str = "maximize",
                           metric: str = "val_accuracy", executor_at: Callable[[int], object] | None = None,
                           trial_budget: float | None = None, seed: int = 0, progress: bool | None = None,
                           narrow_top: int = 0, narrow_margin: float = 0.1) -> IISResult:
    """Run a search stage by stage at increasing resolutions, carrying it over as the module describes.

    Parameters
    ----------
    space : Space
    make_optimizer : callable
        ``make_optimizer(space, seed) -> Optimizer``; called once per stage.
    objective_at : callable
        ``objective_at(resolution) -> objective``, e.g.
        ``lambda px: image_classifier("cnn", "cifar10", data_options={"size": px})``.
    stages : sequence of (resolution, n_evaluations)
        In increasing resolution, e.g. ``[(32, 750), (64, 500), (128, 250)]``.
    carry : int
        Best configurations of the earlier stages re-evaluated first at each new one (0: none).
    name, storage, direction, metric :
        As for :class:`Study`; stage studies are named ``<name>-<resolution>px``.
    executor_at : callable or None
        ``executor_at(resolution) -> Executor`` (default: serial).
    trial_budget : float or None
        Budget of every evaluation (e.g. epochs).
    seed : int
        Seed of every stage's optimiser.
    narrow_top : int
        Narrow each stage's space around the previous stage's ``narrow_top``
        best configurations (0: never narrow).
    narrow_margin : float
        Share of each numeric range added on either side of the narrowed span, in [0, 1].
    """
    stages = [(check_whole("stages[...] resolution", r, 1), check_whole("stages[...] evaluations", n, 1))
              for r, n in stages]
    if not stages:
        raise ValueError("stages must hold at least one (resolution, n_evaluations) pair")
    if [r for r, _ in stages] != sorted({r for r, _ in stages}):
        raise ValueError(f"stages must go up in resolution, got {[r for r, _ in stages]}")
    check_whole("carry", carry, 0)
    check_whole("narrow_top", narrow_top, 0)
    if isinstance(narrow_margin, bool) or not isinstance(narrow_margin, (int, float)) or not 0 <= narrow_margin <= 1:
        raise ValueError(f"narrow_margin must be a number in [0, 1], got {narrow_margin!r}")
    sign = -1.0 if direction == "maximize" else 1.0
    result, history, previous = IISResult(stages), [], []
    for resolution, n in stages:
        best_before = _best_configs(previous, narrow_top, sign) if narrow_top else []
        if best_before:
            space = space.narrowed(best_before, narrow_margin)
        result.spaces.append(space)
        optimizer = make_optimizer(space, seed)
        for config, value, budget in history:
            if (config := space.within(config)) is not None:
                optimizer.tell(config, None if value is None else sign * value, budget)
        study = Study(space, optimizer, direction=direction, metric=metric, name=f"{name}-{resolution}px",
                      storage=storage, executor=None if executor_at is None else executor_at(resolution))
        for config in _best_configs(history, carry, sign):  # the best so far go first (once: see Study.enqueue)
            if (config := space.within(config)) is not None:
                study.enqueue(config)
        with study:  # closed once its stage is done; its trials stay readable
            study.optimize(objective_at(resolution), n_trials=n, trial_budget=trial_budget, progress=progress)
        result.studies.append(study)
        previous = [(t.config, t.value if t.state is TrialState.COMPLETE else None, t.budget)
                    for t in study.trials if t.state.finished]
        history += previous
    return result


def _best_configs(history: list, k: int, sign: float) -> list[dict]:
    ranked = sorted((sign * value, i) for i, (_, value, _) in enumerate(history) if value is not None)
    chosen, seen = [], set()
    for _, i in ranked:
        key = config_key(history[i][0])
        if key not in seen:
            seen.add(key)
            chosen.append(history[i][0])
        if len(chosen) == k:
            break
    return chosen
