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
small images, :func:`hpolib.dl.models.cnn`) fails as a trial of that stage and
is never carried.

Measuring it (:func:`search_trace`, :func:`savings`): a search's cost is
counted in *pixel-epochs* (an epoch at ``px`` pixels costs ``(px / full)^2``
of one at full resolution, the share of pixels a convolution visits) or in
seconds, and its incumbent is the best validation error (one minus the
accuracy) of a full-resolution evaluation: an error at a lower resolution is
not comparable and never counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast

import pandas as pd

from .._checks import check_in, check_whole
from ..direction import Direction
from ..executors import Executor
from ..optimizers import Optimizer
from ..optimizers.base import config_key
from ..space import Space
from ..study import Study
from ..trial import Trial, TrialState
from .anytime import cost_to_reach, incumbent_trace

__all__ = ["increasing_image_sizes", "IISResult", "search_trace", "savings"]

COSTS = ("pixel-epochs", "seconds")


@dataclass
class IISResult:
    """The stages' studies and the space each searched, smallest resolution first."""

    stages: list[tuple[int, int]]
    studies: list[Study] = field(default_factory=list)
    spaces: list[Space] = field(default_factory=list)

    def spent(self, cost: str = "pixel-epochs") -> list[float]:
        """What each stage's evaluations cost (``cost`` as in :func:`search_trace`): the sum over its finished
        trials, so a resumed search counts what it spent before it stopped too."""
        _check_cost(cost)
        full = self.stages[-1][0]
        return [sum(_trial_cost(t, px, full, cost) for t in study.trials if t.state.finished)
                for (px, _), study in zip(self.stages, self.studies)]

    @property
    def best(self):
        """The best trial of the last (full-resolution) stage."""
        return self.studies[-1].best

    def trace(self, cost: str = "pixel-epochs") -> pd.DataFrame:
        """The search's :func:`search_trace` over all its stages."""
        return search_trace([(px, study.trials) for (px, _), study in zip(self.stages, self.studies)],
                            self.stages[-1][0], cost)

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
                           metric: str = "val_accuracy", executor: Executor | None = None,
                           executor_at: Callable[[int], Executor] | None = None, trial_budget: float | None = None,
                           seed: int = 0, progress: bool | None = None, narrow_top: int = 0,
                           narrow_margin: float = 0.1) -> IISResult:
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
    executor : Executor or None
        Where every stage's trials run (default: serially). A stage's trials run at once on its workers; the
        stages run one after the other, as each starts from the ones before.
    executor_at : callable or None
        ``executor_at(resolution) -> Executor``, a stage's own (instead of ``executor``).
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
    if executor is not None and executor_at is not None:
        raise ValueError("give executor (every stage's) or executor_at (each stage's own), not both")
    check_whole("carry", carry, 0)
    check_whole("narrow_top", narrow_top, 0)
    check_in("narrow_margin", narrow_margin, "[0, 1]")
    loss = Direction.of(direction).loss
    history: list[tuple[dict, float | None, float | None]]  # (config, value, budget) of every finished trial
    previous: list[tuple[dict, float | None, float | None]]
    result, history, previous = IISResult(stages), [], []
    for resolution, n in stages:
        best_before = _best_configs(previous, narrow_top, loss) if narrow_top else []
        if best_before:
            space = space.narrowed(best_before, narrow_margin)
        result.spaces.append(space)
        optimizer = make_optimizer(space, seed)
        for config, value, budget in history:
            if (inside := space.within(config)) is not None:
                optimizer.tell(inside, None if value is None else loss(value), budget)
        study = Study(space, optimizer, direction=direction, metric=metric, name=f"{name}-{resolution}px",
                      storage=storage, executor=executor if executor_at is None else executor_at(resolution))
        for config in _best_configs(history, carry, loss):  # the best so far go first (once: see Study.enqueue)
            if (inside := space.within(config)) is not None:
                study.enqueue(inside)
        with study:  # closed once its stage is done; its trials stay readable
            study.optimize(objective_at(resolution), n_trials=n, trial_budget=trial_budget, progress=progress)
        result.studies.append(study)
        previous = [(t.config, t.value if t.state is TrialState.COMPLETE else None, t.budget)
                    for t in study.trials if t.state.finished]
        history += previous
    return result


def _best_configs(history: list, k: int, loss) -> list[dict]:
    """The ``k`` best distinct configurations of ``(config, value, budget)`` entries, best first."""
    ranked = sorted((loss(value), i) for i, (_, value, _) in enumerate(history) if value is not None)
    chosen, seen = [], set()
    for _, i in ranked:
        key = config_key(history[i][0])
        if key not in seen:
            seen.add(key)
            chosen.append(history[i][0])
        if len(chosen) == k:
            break
    return chosen


def search_trace(stages: Sequence[tuple[int, Sequence[Trial]]], full: int, cost: str = "pixel-epochs",
                 ) -> pd.DataFrame:
    """Cost spent (``spent``) and best validation error at ``full`` pixels (``best``) after each evaluation.

    ``stages`` are ``(resolution, trials)`` in the order they ran (a direct
    search is one stage at ``full``); ``cost`` is ``"pixel-epochs"`` or
    ``"seconds"``. Values are accuracies; the error is one minus them.
    """
    _check_cost(cost)
    values: list[float | None] = []
    costs: list[float] = []
    for px, trials in stages:
        for t in trials:
            values.append(1 - t.value if px == full and t.state is TrialState.COMPLETE and t.value is not None
                          else None)
            costs.append(_trial_cost(t, px, full, cost))
    return incumbent_trace(values, costs, direction="minimize")


def _check_cost(cost: str) -> None:
    if cost not in COSTS:
        raise ValueError(f"cost must be one of {list(COSTS)}, got {cost!r}")


def _trial_cost(trial: Trial, px: int, full: int, cost: str) -> float:
    """A trial's pixel-epochs (an epoch at ``px`` counts ``(px / full) ** 2``) or its seconds."""
    return trial.cost * (px / full) ** 2 if cost == "pixel-epochs" else cast(float, trial.duration)


def savings(direct: Study, run: IISResult, cost: str = "pixel-epochs") -> dict[str, float]:
    """What IIS saved against the direct search at full resolution, as shares of the direct search's cost.

    ``total``: of the whole search (a fixed number of evaluations each);
    ``to direct's error`` and ``to iis's error``: of the cost to first reach
    the direct search's, and IIS's, final validation error (NaN where IIS
    never reached it; negative where IIS took longer).
    """
    full = run.stages[-1][0]
    d, i = search_trace([(full, direct.trials)], full, cost), run.trace(cost)
    out = {"total": 1 - i.spent.iloc[-1] / d.spent.iloc[-1]}
    for target, best in (("direct", direct.best), ("iis", run.best)):
        goal = 1 - cast(float, best.value)  # the best trial is complete: it has a value
        out[f"to {target}'s error"] = 1 - cost_to_reach(i, goal, "minimize") / cost_to_reach(d, goal, "minimize")
    return out
