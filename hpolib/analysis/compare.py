"""Several methods, several seeds, one objective, one budget: anytime curves and their summary.

A *method* is a function ``method(space, seed) -> (optimizer, scheduler)``
(``scheduler`` may be ``None``); :func:`hpolib.methods.method_factories` makes the study's. Every run is
a :class:`~hpolib.Study` stopped by the same total budget, so the methods are
compared at equal cost (epochs spent, counting what stopped and promoted
trials really trained). :func:`compare_stopping` asks the other question of
an early-stopping scheduler: on the same configurations, how much compute
does it save and what does it lose?
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..direction import Direction, Incumbent
from ..executors import Executor
from ..optimizers import RandomSearch
from ..study import Study
from ..trial import TrialState

__all__ = ["compare", "compare_stopping", "anytime", "summary", "plot_anytime"]


def compare(space, objective, methods: Mapping[str, Callable], seeds: Sequence[int] | Mapping[str, Sequence[int]],
            budget: float, *, trial_budget: float, direction: str = "maximize", metric: str = "value", storage=None,
            name: str = "compare", progress: bool | None = None, executor: Executor | None = None) -> pd.DataFrame:
    """Run every method with every seed until ``budget`` is spent; one row per trial.

    ``seeds`` is one list for every method, or a list per method name. Every study runs its trials on
    ``executor`` (default: serially; :func:`hpolib.executors.from_spec` makes one from a string).

    Columns: method, seed, number, state, value, budget, cost, spent (cumulative
    cost when the trial ended), the configuration. Studies are named
    ``<name>-<method>-<seed>`` in ``storage`` (a SQLite path resumes them).
    """
    frames = []
    for method, make in methods.items():
        for seed in (seeds[method] if isinstance(seeds, Mapping) else seeds):
            optimizer, scheduler = make(space, seed)
            with Study(space, optimizer, direction=direction, metric=metric, storage=storage,
                       name=f"{name}-{method}-{seed}", scheduler=scheduler, executor=executor) as study:
                study.optimize(objective, total_budget=budget, trial_budget=None if scheduler else trial_budget,
                               progress=progress)
            frame = study.to_dataframe()
            frame.insert(0, "seed", seed)
            frame.insert(0, "method", method)
            frame["budget"] = frame["budget"].fillna(trial_budget)
            frame["spent"] = frame["cost"].cumsum()
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def compare_stopping(space, objective, scheduler: Callable, seeds: Sequence[int], *, n_trials: int,
                     trial_budget: float, direction: str = "maximize", metric: str = "value", storage=None,
                     name: str = "stopping", progress: bool | None = None,
                     executor: Executor | None = None) -> pd.DataFrame:
    """Random search with and without an early-stopping ``scheduler`` on the same configurations; one row per seed.

    For each seed, :class:`~hpolib.optimizers.RandomSearch` proposes the same
    ``n_trials`` configurations twice: once every trial trains for
    ``trial_budget`` ("full"), once ``scheduler()`` (a fresh scheduler per
    seed, which should give every trial that same budget) may stop them
    ("early"). Studies are named
    ``<name>-full-<seed>`` and ``<name>-early-<seed>`` in ``storage``, their trials run on ``executor`` (default:
    serially).

    Returns
    -------
    DataFrame
        seed; full_epochs and early_epochs (budget really trained, in total);
        early_stopped (trials the scheduler stopped); full_best and early_best
        (best value); full_best_at_early_epochs (full search's best once it had
        spent what the early-stopping search spent in all, NaN if its first
        trial cost more); epochs_share (early_epochs / full_epochs); full_seconds
        and early_seconds (wall-clock, machine-dependent).
    """
    direction = Direction.of(direction)
    rows = []
    for seed in seeds:
        studies, seconds = {}, {}
        for kind in ("full", "early"):
            study = Study(space, RandomSearch(space, seed=seed), direction=direction, metric=metric,
                          storage=storage, name=f"{name}-{kind}-{seed}",
                          scheduler=scheduler() if kind == "early" else None, executor=executor)
            started = time.perf_counter()
            with study:
                study.optimize(objective, n_trials=n_trials, trial_budget=trial_budget if kind == "full" else None,
                               progress=progress)
            studies[kind], seconds[kind] = study, time.perf_counter() - started
        full, early = studies["full"].trials, studies["early"].trials
        early_epochs = sum(t.cost for t in early)
        spent, best_within = 0.0, Incumbent(direction)
        for t in full:
            spent += t.cost
            if spent > early_epochs + 1e-9:
                break
            if t.state is TrialState.COMPLETE:
                best_within.offer(t, t.value)
        full_epochs = sum(t.cost for t in full)
        rows.append({"seed": seed, "full_epochs": full_epochs, "early_epochs": early_epochs,
                     "early_stopped": sum(t.state is TrialState.STOPPED for t in early),
                     "full_best": studies["full"].best.value, "early_best": studies["early"].best.value,
                     "full_best_at_early_epochs": math.nan if best_within.value is None else best_within.value,
                     "epochs_share": early_epochs / full_epochs,
                     "full_seconds": seconds["full"], "early_seconds": seconds["early"]})
    return pd.DataFrame(rows)


def anytime(trials: pd.DataFrame, grid: Sequence[float], direction: str = "maximize") -> pd.DataFrame:
    """The incumbent's value of every (method, seed) at each budget in ``grid``.

    The incumbent is the best complete trial among those at the largest
    budget evaluated so far (HpBandSter's rule; without a scheduler every trial
    has the same budget). ``NaN`` before the first complete trial.
    """
    direction = Direction.of(direction)
    rows = []
    for (method, seed), group in trials.groupby(["method", "seed"], sort=False):
        group = group.sort_values("spent")
        incumbent, values, spent = Incumbent(direction), [], []
        for row in group.itertuples():
            if row.state == TrialState.COMPLETE.value:
                incumbent.offer(row.number, row.value, row.budget)
            spent.append(row.spent)
            values.append(math.nan if incumbent.value is None else incumbent.value)
        for g in grid:
            within = [v for s, v in zip(spent, values) if s <= g + 1e-9]
            rows.append({"method": method, "seed": seed, "spent": g, "value": within[-1] if within else math.nan})
    return pd.DataFrame(rows)


def summary(curves: pd.DataFrame, at: Sequence[float]) -> pd.DataFrame:
    """Median (and interquartile range) over seeds of the incumbent's value at each budget in ``at``."""
    rows = []
    for method, group in curves.groupby("method", sort=False):
        row = {"method": method}
        for budget in at:
            values = group.loc[np.isclose(group.spent, budget), "value"].dropna()
            row[f"median@{budget:g}"] = values.median() if len(values) else math.nan
            row[f"iqr@{budget:g}"] = (values.quantile(0.75) - values.quantile(0.25)) if len(values) else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def plot_anytime(curves: pd.DataFrame, ax=None, ylabel: str = "best validation accuracy"):
    """Median incumbent value against budget spent, with the interquartile band, one line per method."""
    import matplotlib.pyplot as plt

    import seaborn as sns

    ax = ax or plt.gca()
    methods = list(dict.fromkeys(curves.method))
    colours, styles = sns.color_palette("colorblind", len(methods)), ("-", "--", "-.", ":")
    for i, method in enumerate(methods):  # a colour and a line style each, so lines on top of each other still show
        table = curves[curves.method == method].pivot_table(index="spent", columns="seed", values="value")
        ax.step(table.index, table.median(axis=1), where="post", label=method, color=colours[i],
                linestyle=styles[i % len(styles)], lw=1.4)
        ax.fill_between(table.index, table.quantile(0.25, axis=1), table.quantile(0.75, axis=1), step="post",
                        alpha=0.08, color=colours[i])
    ax.set(xlabel="epochs spent", ylabel=f"{ylabel} (median, IQR over seeds)")
    ax.legend()
    return ax
