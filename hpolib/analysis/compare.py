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
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..direction import Direction, Incumbent
from ..executors import Executor
from ..optimizers import RandomSearch
from ..study import Study
from ..trial import TrialState

__all__ = ["compare", "stopping_runs", "best_within", "stopping_summary", "compare_stopping", "anytime", "summary",
           "plot_anytime"]


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


def stopping_runs(space, objective, scheduler: Callable, seeds: Sequence[int], *, n_trials: int,
                  trial_budget: float, direction: str = "maximize", metric: str = "value", storage=None,
                  name: str = "stopping", progress: bool | None = None,
                  executor: Executor | None = None) -> pd.DataFrame:
    """Random search with and without an early-stopping ``scheduler`` on the same configurations; one row per trial.

    For each seed, :class:`~hpolib.optimizers.RandomSearch` proposes the same
    ``n_trials`` configurations twice: once every trial trains for
    ``trial_budget`` (search "full"), once ``scheduler()`` (a fresh scheduler per
    seed, which should give every trial that same budget) may stop them
    ("early"). Studies are named
    ``<name>-full-<seed>`` and ``<name>-early-<seed>`` in ``storage``, their trials run on ``executor`` (default:
    serially).

    Columns: seed, search, number, state, value, cost (epochs trained), seconds (the trial's wall time,
    machine-dependent), config; in the order each search ran its trials.
    """
    rows = []
    for seed in seeds:
        for search in ("full", "early"):
            study = Study(space, RandomSearch(space, seed=seed), direction=direction, metric=metric,
                          storage=storage, name=f"{name}-{search}-{seed}",
                          scheduler=scheduler() if search == "early" else None, executor=executor)
            with study:
                study.optimize(objective, n_trials=n_trials,
                               trial_budget=trial_budget if search == "full" else None, progress=progress)
            rows += [{"seed": seed, "search": search, "number": t.number, "state": t.state.value, "value": t.value,
                      "cost": t.cost, "seconds": t.duration or 0.0, "config": t.config}
                     for t in study.trials]
    return pd.DataFrame(rows)


def best_within(trials: pd.DataFrame, budget: float = math.inf, by: str = "cost",
                direction: str = "maximize") -> tuple[float, dict | None]:
    """The best complete trial's value and configuration among ``trials`` (one search's, in the order it ran
    them) run before their cumulative ``by`` (``cost`` or ``seconds``) passed ``budget``; NaN and None if none
    was complete by then."""
    incumbent = Incumbent(Direction.of(direction))
    spent = trials[by].cumsum()
    for row, used in zip(trials.itertuples(), spent):
        if used > budget + 1e-9:
            break
        if row.state == TrialState.COMPLETE.value:
            incumbent.offer(row.config, row.value)
    return (math.nan, None) if incumbent.value is None else (incumbent.value, incumbent.item)


def stopping_summary(runs: pd.DataFrame, direction: str = "maximize") -> pd.DataFrame:
    """What the early-stopping search of :func:`stopping_runs` saved and lost on each seed; one row per seed.

    Columns: seed; full_epochs and early_epochs (budget really trained, in total); early_stopped (trials the
    scheduler stopped); full_best and early_best (best value); same_best (whether both searches ended on the same
    configuration); full_best_at_early_epochs (full search's best once it had spent what the early-stopping search
    spent in all, NaN if its first trial cost more); epochs_share (early_epochs / full_epochs); full_seconds and
    early_seconds (the trials' wall time, machine-dependent).
    """
    rows = []
    for seed, trials in runs.groupby("seed", sort=False):
        full, early = trials[trials.search == "full"], trials[trials.search == "early"]
        (full_best, full_config), (early_best, early_config) = (best_within(t, direction=direction)
                                                                for t in (full, early))
        early_epochs = float(early.cost.sum())
        rows.append({"seed": seed, "full_epochs": float(full.cost.sum()), "early_epochs": early_epochs,
                     "early_stopped": int((early.state == TrialState.STOPPED.value).sum()),
                     "full_best": full_best, "early_best": early_best,
                     "same_best": full_config is not None and full_config == early_config,
                     "full_best_at_early_epochs": best_within(full, early_epochs, direction=direction)[0],
                     "epochs_share": early_epochs / float(full.cost.sum()),
                     "full_seconds": float(full.seconds.sum()), "early_seconds": float(early.seconds.sum())})
    return pd.DataFrame(rows)


def compare_stopping(space, objective, scheduler: Callable, seeds: Sequence[int], *, n_trials: int,
                     trial_budget: float, direction: str = "maximize", metric: str = "value", storage=None,
                     name: str = "stopping", progress: bool | None = None,
                     executor: Executor | None = None) -> pd.DataFrame:
    """:func:`stopping_summary` of :func:`stopping_runs` (same arguments): one row per seed."""
    runs = stopping_runs(space, objective, scheduler, seeds, n_trials=n_trials, trial_budget=trial_budget,
                         direction=direction, metric=metric, storage=storage, name=name, progress=progress,
                         executor=executor)
    return stopping_summary(runs, direction)


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


def summary(curves: pd.DataFrame, at: Sequence[float], unit: str = "") -> pd.DataFrame:
    """Median (and interquartile range) over seeds of the incumbent's value at each budget in ``at``; columns
    ``median at <budget> <unit>`` and ``IQR at <budget> <unit>``."""
    rows = []
    for method, group in curves.groupby("method", sort=False):
        row = {"method": method}
        for budget in at:
            values = group.loc[np.isclose(group.spent, budget), "value"].dropna()
            where = f"{budget:.3g} {unit}".strip()
            row[f"median at {where}"] = values.median() if len(values) else math.nan
            row[f"IQR at {where}"] = (values.quantile(0.75) - values.quantile(0.25)) if len(values) else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def plot_anytime(curves: pd.DataFrame, ax=None, ylabel: str = "best validation accuracy",
                 names: Callable[[str], str] = str, colours: Mapping[str, object] | None = None):
    """Median incumbent value against budget spent, with the interquartile band, one line per method, labelled
    ``names(method)``; ``colours`` (method to colour, in a fixed order) keeps a method's colour and line style
    across panels."""
    import matplotlib.pyplot as plt

    import seaborn as sns

    ax = ax or plt.gca()
    methods = list(dict.fromkeys(curves.method))
    palette = dict(zip(methods, sns.color_palette("colorblind", len(methods)))) if colours is None else colours
    styles, order = ("-", "--", "-.", ":"), list(palette)
    for method in methods:  # a colour and a line style each, so lines on top of each other still show
        i = order.index(method)
        table = curves[curves.method == method].pivot_table(index="spent", columns="seed", values="value")
        ax.step(table.index, table.median(axis=1), where="post", label=names(method), color=palette[method],
                linestyle=styles[i % len(styles)], lw=1.4)
        ax.fill_between(table.index, table.quantile(0.25, axis=1), table.quantile(0.75, axis=1), step="post",
                        alpha=0.08, color=palette[method])
    ax.set(xlabel="epochs spent", ylabel=f"{ylabel} (median, IQR over seeds)")
    ax.legend()
    return ax
