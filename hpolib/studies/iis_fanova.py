"""The IIS and fANOVA chapter: which hyperparameters matter at each resolution, and increasing image sizes (IIS)
against a direct search at full resolution.

The experiments (:func:`direct_searches`, :func:`iis_against_direct`) and their analysis (:func:`shares`,
:func:`importance`, :func:`agreements` and their noise floor :func:`seed_agreements`, :func:`shifts`,
:func:`optima`, :func:`stability`, :func:`best_configurations`, :func:`summary`, :func:`headline`) are here,
where tests reach them; the notebook holds the narrative, parameters, figures and calls, and writes
:class:`Results`, which the claims ledger reads.

The stages of a search are keyed ``(optimizer, resolution, seed)``; the direct search of an IIS run is the
search of the same optimiser and seed at full resolution (the last of ``resolutions``).

Where the trials run: :func:`direct_searches` and :func:`iis_against_direct` take ``executor``
(:class:`hpolib.executors.Executor`, default serial; the notebook's ``--executor``), and every study they make,
each IIS stage's included, runs its trials there, several at once; the searches, and an IIS run's stages (each
warm-started from the ones before), run one after the other. Random search proposes the same configurations under
the same numbers on any executor, and the training is seeded, so its searches are the serial run's. TPE and the
GA propose from the trials finished so far, which on several workers leaves out those still running: they search
otherwise than serially, as any batch of asynchronous proposals does. Costs in seconds are each trial's own wall
time, which workers sharing cores lengthen, and each study's workers pay their start-up (data, kernels) in their
first trials.
"""

from __future__ import annotations

import math
import os
import re
from itertools import combinations
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from ..book.names import name as reader_name
from ..space import Float, Int, Space
from ..storage import rerun_agreement, rerun_in_words, studies_set_aside
from .stored import Stored, typed

if TYPE_CHECKING:
    from ..dl.objectives import ImageClassifier
    from ..executors import Executor

__all__ = ["VARIANTS", "MEASURES", "LABELS", "LAYERS", "VALUES", "TOP_SHARE", "Importance", "Agreement",
           "SeedAgreement", "Shift", "Optimum", "Comparison", "Results", "search_space", "objectives",
           "direct_searches", "set_aside", "completed", "shares", "importance", "importance_table",
           "importance_by_resolution",
           "agreements", "agreement_table", "stability", "seed_agreements", "noise_floor", "tau_above_floor",
           "shifts", "layer_and_lr_shares", "shift_table", "optima", "optimum_moves", "optima_table",
           "best_configurations", "write_trials", "compare", "iis_against_direct", "table", "summary", "headline"]

VARIANTS = ("warm start", "narrowed")
"""IIS's two variants: the plain warm start, and each stage's space narrowed around the previous stage's best."""
MEASURES = ("saved_total", "saved_to_direct_error", "saved_to_iis_error")
"""What IIS saved in pixel-epochs, as :class:`Comparison` names it (``<measure>_seconds``: in seconds)."""
LABELS = {**{f"{measure}{suffix}": f"{words} ({unit})" for measure, words in
              zip(MEASURES, ("total saved", "saved to direct's error", "saved to IIS's error"))
              for suffix, unit in (("", "pixel-epochs"), ("_seconds", "seconds"))},
          **{f"{search}_{split}_error": f"{who}: {words} error"
             for search, who in (("direct", "direct"), ("iis", "IIS"))
             for split, words in (("val", "validation"), ("test", "test"))}}
"""Each column's name in a table: the savings, and the two searches' errors."""
TOP = 3  # the top of an importance ranking compared across resolutions
LAYERS = ("conv_layers", "dense_layers")
"""The layer counts, whose importance the notes say changes with the resolution (their shares are summed)."""
VALUES = ("lr", "batch_size", "l1", "l2", "conv_layers", "dense_layers")
"""The parameters whose best values the notes compare across resolutions."""
TOP_SHARE = 0.25
"""The top configurations of a search whose values :func:`optima` averages: this share of its complete trials."""


@dataclass(frozen=True)
class Importance:
    """A parameter's fANOVA share of the validation error's variance in one optimiser's searches at one
    resolution (the mean over seeds)."""

    parameter: str
    optimizer: str
    resolution: int
    share: float


@dataclass(frozen=True)
class Agreement:
    """One optimiser and seed: how far the importance rankings at the smallest and at the full resolution agree,
    through the whole ranking (Kendall's tau) and at its top (the parameters the top three share)."""

    optimizer: str
    seed: int
    kendall_tau: float
    top3_shared: int
    top_smallest: list[str]
    top_full: list[str]


@dataclass(frozen=True)
class SeedAgreement:
    """One optimiser at one resolution: how far the importance rankings of two seeds agree (Kendall's tau), the
    noise floor of an agreement across resolutions. Each seed also draws its own data split."""

    optimizer: str
    resolution: int
    seeds: list[int]
    kendall_tau: float


@dataclass(frozen=True)
class Shift:
    """One optimiser and seed: the layer counts' summed fANOVA share (:data:`LAYERS`) and the learning rate's, at
    the smallest and at the full resolution."""

    optimizer: str
    seed: int
    layers_smallest: float
    layers_full: float
    lr_smallest: float
    lr_full: float

    @property
    def layers_shift(self) -> float:
        return abs(self.layers_full - self.layers_smallest)

    @property
    def lr_shift(self) -> float:
        return abs(self.lr_full - self.lr_smallest)


@dataclass(frozen=True)
class Optimum:
    """One search's top configurations (:data:`TOP_SHARE` of its trials) on one parameter: their median value, and
    their mean position in the parameter's range (0 its low end, 1 its high end, on its scale), with ``step``, the
    smallest change that mean can make (0 for a real number)."""

    optimizer: str
    resolution: int
    seed: int
    parameter: str
    value: float
    position: float
    step: float


@dataclass(frozen=True)
class Comparison:
    """One IIS search against the direct search (the same optimiser and seed at full resolution): each one's
    validation and test error, and what IIS saved, as a share of the direct search's cost, in pixel-epochs and in
    seconds: of the whole search (``total``), and to first reach the direct search's and IIS's final validation
    error (``None`` where IIS never reached it; negative where it spent more)."""

    optimizer: str
    seed: int
    variant: str
    direct_val_error: float
    iis_val_error: float
    direct_test_error: float
    iis_test_error: float
    saved_total: float
    saved_to_direct_error: float | None
    saved_to_iis_error: float | None
    saved_total_seconds: float
    saved_to_direct_error_seconds: float | None
    saved_to_iis_error_seconds: float | None


@dataclass
class Results(Stored):
    """What the chapter's notebook writes (``iis_fanova_results.json``) and the claims ledger reads: the settings,
    the importance of each parameter per optimiser and resolution with the share of trials it took effect in
    (``active``), the rankings' agreement per optimiser and seed, each IIS search against the direct one, the CPU
    it ran on, the rankings' agreement between two seeds at one resolution (the noise floor), the layer counts'
    and the learning rate's shares at the smallest and full resolution, and the top configurations' values."""

    profile: str
    settings: dict
    importance: list[Importance] = field(default_factory=list)
    active: dict[str, float] = field(default_factory=dict)
    agreements: list[Agreement] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    cpu: str | None = None
    seed_agreements: list[SeedAgreement] = field(default_factory=list)
    shifts: list[Shift] = field(default_factory=list)
    optima: list[Optimum] = field(default_factory=list)

    def __post_init__(self):
        self.importance = typed(Importance, self.importance)
        self.agreements = typed(Agreement, self.agreements)
        self.comparisons = typed(Comparison, self.comparisons)
        self.seed_agreements = typed(SeedAgreement, self.seed_agreements)
        self.shifts = typed(Shift, self.shifts)
        self.optima = typed(Optimum, self.optima)

    def of(self, variant: str = "warm start") -> list[Comparison]:
        """The comparisons of one IIS variant."""
        return [c for c in self.comparisons if c.variant == variant]


# ------------------------------------------------------------------------------- the searches

def _log(kind: type, bounds) -> Float | Int:
    """A parameter of ``kind`` (:class:`Float` or :class:`Int`) on a log scale between ``bounds``."""
    low, high = bounds
    return kind(low, high, log=True)


def search_space(settings: dict) -> Space:
    """The conditional space of conv stacks and their training (:func:`hpolib.dl.objectives.cnn_layers_space`) in
    the chapter's ranges."""
    from ..dl.objectives import cnn_layers_space

    s = settings
    training = {"lr": _log(Float, s["lr_range"]), "batch_size": _log(Int, s["batch_size"]), "l1": _log(Float, s["l1"]),
                "l2": _log(Float, s["l2"])}
    return cnn_layers_space(conv_layers=s["conv_layers"], filters=s["filters"], kernels=s["kernels"],
                            dense_layers=s["dense_layers"], dense_units=s["dense_units"], training=training)


def _objective(settings: dict, px: int, seed: int) -> ImageClassifier:
    from ..dl.objectives import image_classifier

    s = settings
    return image_classifier("cnn_from_layers", s["dataset"], fixed={"momentum": 0.9, "patience": s["patience"]},
                            max_epochs=s["epochs"], seed=seed, test=px == s["resolutions"][-1],
                            precision=s["precision"], data_options={"size": px, "subset": s["subset"],
                                                                    "grayscale": s["grayscale"], "seed": seed,
                                                                    "val_fraction": s["val_fraction"]})


def objectives(settings: dict) -> dict[tuple[int, int], ImageClassifier]:
    """An objective per ``(resolution, seed)``: it trains at that resolution on the seed's data split (with SGD at
    momentum 0.9, stopped early after ``patience`` epochs without progress), and at full resolution also reads the
    test split. Every resolution's images are loaded and resized here, outside the timed searches."""
    made = {(px, seed): _objective(settings, px, seed) for px in settings["resolutions"] for seed in settings["seeds"]}
    for objective in made.values():
        _ = objective.data
    return made


def direct_searches(space: Space, objective_of: Mapping, settings: dict, storage=None, *,
                    executor: Executor | None = None) -> dict:
    """Every optimiser's search of ``evaluations`` configurations at every resolution, from scratch, once per seed
    (``objective_of[resolution, seed]``): the studies by ``(optimizer, resolution, seed)``, each kept in
    ``storage`` (a rerun resumes), their trials run on ``executor`` (default: serially; see the module's
    description for what several workers change)."""
    from ..methods import make_optimizer
    from ..study import Study

    s, found = settings, {}
    for name in s["optimizers"]:
        for seed in s["seeds"]:
            for px in s["resolutions"]:
                study = Study(space, make_optimizer(name, space, seed, s["evaluations"]), direction="maximize",
                              metric="val_accuracy", storage=storage, name=f"{name}-{px}px-seed{seed}",
                              executor=executor)
                with study:
                    study.optimize(objective_of[px, seed], n_trials=s["evaluations"], progress=False)
                found[name, px, seed] = study
    return found


_DIRECT_STUDY = re.compile(r"(\w+)-(\d+)px-seed(\d+)")


def set_aside(storage: str | os.PathLike | None) -> str:
    """Which direct searches in ``storage`` were run again after being set aside (:data:`hpolib.storage.SET_ASIDE`:
    a trial of theirs was timed across a pause of the whole run, so the seconds it recorded were not its
    training's), in sentences, each saying how the rerun agrees with the first run ("" if none)."""
    said = []
    for study in studies_set_aside(storage):
        found = _DIRECT_STUDY.fullmatch(study)
        if found:
            agree = rerun_agreement(cast(str, storage), study)
            why = ("" if agree["same_value"] == agree["same_config"] else
                   ": the two runs' arithmetic differed (a CPU with other vector units, or another precision; the "
                   "first run's CPU was not recorded)")
            sentence = (f"{reader_name(found[1])} at {found[2]} px, seed {found[3]}, was run again from scratch: its "
                        f"{rerun_in_words(agree, 'validation accuracy')}{why}.")
            said.append(sentence[:1].upper() + sentence[1:])
    return " ".join(said)


def _complete(study) -> list:
    from ..trial import TrialState

    return [t for t in study.trials if t.state is TrialState.COMPLETE]


def completed(searches: Mapping) -> pd.DataFrame:
    """Per optimiser (by its reader's name) and resolution: the trials completed and failed over seeds, and the
    median best validation error."""
    from ..trial import TrialState

    rows = [{"optimizer": name, "resolution": px, "seed": seed, "complete": len(_complete(study)),
             "failed": sum(t.state is TrialState.FAILED for t in study.trials), "best_val_error": 1 - study.best.value}
            for (name, px, seed), study in searches.items()]
    found = pd.DataFrame(rows).groupby(["optimizer", "resolution"]).agg(
        complete=("complete", "sum"), failed=("failed", "sum"), best_val_error=("best_val_error", "median"))
    found.index = found.index.set_levels(found.index.levels[0].map(reader_name), level=0)
    found.index.names = ["optimiser", "resolution (px)"]
    return found.rename(columns={"complete": "trials complete", "failed": "trials failed",
                                 "best_val_error": "best validation error (median)"})


# ------------------------------------------------------------------------------- importance

def shares(space: Space, searches: Mapping) -> pd.DataFrame:
    """fANOVA's share of each parameter in each search (:func:`hpolib.analysis.fanova.conditional_importance` on
    its complete trials' validation errors): optimizer, resolution, seed, parameter, mean, std, active_share,
    trials. A search with fewer than two complete trials has nothing to decompose and is left out."""
    from ..analysis.fanova import conditional_importance

    rows = []
    for (name, px, seed), study in searches.items():
        done = _complete(study)
        if len(done) < 2:
            continue
        found = conditional_importance(space, [t.config for t in done], [1 - t.value for t in done], seed=seed)
        rows += [{"optimizer": name, "resolution": px, "seed": seed, "parameter": p, **row}
                 for p, row in found.iterrows()]
    return pd.DataFrame(rows)


def importance(found: pd.DataFrame) -> tuple[list[Importance], dict[str, float]]:
    """From :func:`shares`: each parameter's mean share over seeds per optimiser and resolution (where it was
    measured), and the share of trials in which each parameter took effect (its mean over searches)."""
    mean = found.groupby(["parameter", "optimizer", "resolution"], sort=False)["mean"].mean().dropna()
    rows = [Importance(p, o, int(px), float(v)) for (p, o, px), v in mean.items()]
    active = found.groupby("parameter", sort=False).active_share.mean()
    return rows, {p: float(v) for p, v in active.items()}


def importance_table(rows: list[Importance], active: Mapping[str, float]) -> pd.DataFrame:
    """:func:`importance` as a table: a row per parameter, most important first (by its mean over the columns), a
    column per optimiser and resolution, by its reader's name ("random search, 8 px", in that order), and
    ``active``."""
    frame = pd.DataFrame([asdict(i) for i in rows]).sort_values(["optimizer", "resolution"], kind="stable")
    frame["column"] = frame.optimizer.map(reader_name) + ", " + frame.resolution.astype(str) + " px"
    wide = frame.pivot_table(index="parameter", columns="column", values="share", sort=False)
    wide = wide.loc[wide.mean(axis=1).sort_values(ascending=False).index]
    return wide.assign(active=wide.index.map(active))


def importance_by_resolution(found: pd.DataFrame, order: list[str], active: Mapping[str, float]) -> pd.DataFrame:
    """From :func:`shares`: each parameter's mean share per resolution (over optimisers and seeds), in ``order``
    (parameters), with ``active``."""
    wide = found.pivot_table(index="parameter", columns="resolution", values="mean", aggfunc="mean")
    wide.columns = [f"{px} px" for px in wide.columns]
    return wide.assign(active=wide.index.map(active)).loc[order]


def _top(ranked: pd.Series) -> list[str]:
    return list(ranked.nlargest(TOP).index)


def agreements(found: pd.DataFrame, settings: dict) -> list[Agreement]:
    """Per optimiser and seed, the importance rankings (:func:`shares`) at the smallest and at the full resolution
    compared over the parameters both rank: Kendall's tau and the parameters their top three share."""
    smallest, full = settings["resolutions"][0], settings["resolutions"][-1]
    rows = []
    for name in settings["optimizers"]:
        for seed in settings["seeds"]:
            pick = found[(found.optimizer == name) & (found.seed == seed)]
            at = {px: pick[pick.resolution == px].set_index("parameter")["mean"] for px in (smallest, full)}
            both = pd.concat([at[smallest], at[full]], axis=1, keys=["lo", "hi"]).dropna()
            top_lo, top_hi = _top(both.lo), _top(both.hi)
            rows.append(Agreement(name, seed, _tau(both.lo, both.hi), len(set(top_lo) & set(top_hi)), top_lo,
                                  top_hi))
    return rows


def _tau(first: pd.Series, second: pd.Series) -> float:
    """Kendall's tau between two sets of shares over the parameters both rank."""
    from scipy.stats import kendalltau

    both = pd.concat([first, second], axis=1, keys=["a", "b"]).dropna()
    return float(kendalltau(both.a, both.b).statistic)


def agreement_table(rows: list[Agreement], settings: dict) -> pd.DataFrame:
    """:func:`agreements` as a table, the top three of each ranking in words."""
    smallest, full = settings["resolutions"][0], settings["resolutions"][-1]
    return pd.DataFrame([{"optimiser": reader_name(a.optimizer), "seed": a.seed, "Kendall's τ": a.kendall_tau,
                          "top 3 shared": a.top3_shared,
                          f"top 3 at {smallest} px": ", ".join(map(reader_name, a.top_smallest)),
                          f"top 3 at {full} px": ", ".join(map(reader_name, a.top_full))} for a in rows])


def stability(rows: list[Agreement]) -> pd.DataFrame:
    """Per optimiser (its display name), over seeds: Kendall's tau's median, least and greatest, and the median of
    the top three shared."""
    frame = pd.DataFrame([asdict(a) for a in rows]).assign(optimiser=lambda f: f.optimizer.map(reader_name))
    return frame.groupby("optimiser", sort=False).agg(**{
        "median τ": ("kendall_tau", "median"), "least τ": ("kendall_tau", "min"),
        "greatest τ": ("kendall_tau", "max"), "top 3 shared, median": ("top3_shared", "median"),
        "seeds": ("seed", "count")})


def seed_agreements(found: pd.DataFrame, settings: dict) -> list[SeedAgreement]:
    """The noise floor of :func:`agreements`: per optimiser and resolution, Kendall's tau between the importance
    rankings (:func:`shares`) of every two seeds, over the parameters both rank."""
    rows = []
    for name in settings["optimizers"]:
        for px in settings["resolutions"]:
            pick = found[(found.optimizer == name) & (found.resolution == px)]
            ranked = {seed: pick[pick.seed == seed].set_index("parameter")["mean"] for seed in settings["seeds"]}
            rows += [SeedAgreement(name, px, [a, b], _tau(ranked[a], ranked[b]))
                     for a, b in combinations(settings["seeds"], 2)]
    return rows


def noise_floor(rows: list[SeedAgreement]) -> pd.DataFrame:
    """Per optimiser (its display name) and resolution: the median, least and greatest tau of two seeds (no rows
    with one seed)."""
    frame = pd.DataFrame([asdict(a) for a in rows], columns=[f.name for f in fields(SeedAgreement)]).assign(
        optimiser=lambda f: f.optimizer.map(reader_name))
    return frame.groupby(["optimiser", "resolution"], sort=False).agg(**{
        "median τ, two seeds": ("kendall_tau", "median"), "least τ": ("kendall_tau", "min"),
        "greatest τ": ("kendall_tau", "max"), "pairs": ("kendall_tau", "count")})


def tau_above_floor(across: list[Agreement], floor: list[SeedAgreement]) -> list[float]:
    """Per optimiser and seed (in the order of ``across``): its tau across resolutions less its optimiser's noise
    floor, the median tau of two seeds at one resolution; NaN where the optimiser has no floor (one seed)."""
    medians = pd.DataFrame([asdict(a) for a in floor], columns=[f.name for f in fields(SeedAgreement)]).groupby(
        "optimizer").kendall_tau.median()
    return [a.kendall_tau - float(medians.get(a.optimizer, math.nan)) for a in across]


def shifts(found: pd.DataFrame, settings: dict) -> list[Shift]:
    """Per optimiser and seed: the layer counts' summed share and the learning rate's at the smallest and at the
    full resolution (:func:`layer_and_lr_shares`)."""
    smallest, full = settings["resolutions"][0], settings["resolutions"][-1]
    frame = layer_and_lr_shares(found).set_index(["optimizer", "seed", "resolution"])
    rows = []
    for name in settings["optimizers"]:
        for seed in settings["seeds"]:
            lo, hi = frame.loc[name, seed, smallest], frame.loc[name, seed, full]
            rows.append(Shift(name, seed, float(lo["layer counts"]), float(hi["layer counts"]),
                              float(lo["learning rate"]), float(hi["learning rate"])))
    return rows


def layer_and_lr_shares(found: pd.DataFrame) -> pd.DataFrame:
    """From :func:`shares`: per optimiser, resolution and seed, the layer counts' summed share and the learning
    rate's (columns ``layer counts`` and ``learning rate``; a parameter a search did not rank counts 0)."""
    wide = found.pivot_table(index=["optimizer", "resolution", "seed"], columns="parameter", values="mean",
                             aggfunc="mean").fillna(0.0)
    layers = wide[[p for p in LAYERS if p in wide]].sum(axis=1)
    lr = wide["lr"] if "lr" in wide else 0.0
    return pd.DataFrame({"layer counts": layers, "learning rate": lr}).reset_index()


def shift_table(rows: list[Shift]) -> pd.DataFrame:
    """:func:`shifts` as a table: per optimiser (display name) and seed, each share at both ends and its shift."""
    return pd.DataFrame([{"optimiser": reader_name(r.optimizer), "seed": r.seed,
                          "layer counts, smallest": r.layers_smallest,
                          "layer counts, full": r.layers_full, "layer counts, shift": r.layers_shift,
                          "learning rate, smallest": r.lr_smallest, "learning rate, full": r.lr_full,
                          "learning rate, shift": r.lr_shift} for r in rows])


def _step(param, top: int) -> float:
    """The smallest change of the mean position of ``top`` values of ``param``: one step of a linear integer
    shared among them; 0 for a real number (a log-scaled integer's steps are finer than its linear ones)."""
    from ..space import Int

    linear_int = isinstance(param, Int) and not param.log
    return 1 / ((param.high - param.low) * top) if linear_int else 0.0


def _position(param, value: float) -> float:
    """Where ``value`` lies in ``param``'s range, 0 at its low end and 1 at its high end, on its scale."""
    low, high, value = (math.log(v) for v in (param.low, param.high, value)) if param.log else \
        (param.low, param.high, value)
    return (value - low) / (high - low)


def optima(space: Space, searches: Mapping) -> list[Optimum]:
    """Every search's top configurations (the best :data:`TOP_SHARE` of its complete trials, at least one) on each
    of :data:`VALUES` the space has: their median value and mean position in the parameter's range."""
    rows = []
    for (name, px, seed), study in searches.items():
        done = sorted(_complete(study), key=lambda t: t.value, reverse=True)
        best = done[:max(1, round(TOP_SHARE * len(done)))]
        for parameter in (p for p in VALUES if p in space):
            values = [t.config[parameter] for t in best]
            positions = [_position(space[parameter], v) for v in values]
            rows.append(Optimum(name, int(px), int(seed), parameter, float(np.median(values)),
                                float(np.mean(positions)), _step(space[parameter], len(best))))
    return rows


def _positions(rows: list[Optimum]) -> pd.DataFrame:
    return pd.DataFrame([asdict(o) for o in rows], columns=[f.name for f in fields(Optimum)])


def optimum_moves(rows: list[Optimum], settings: dict) -> dict[str, list[float]]:
    """Per parameter: how far the top configurations' mean position moved from the smallest to the full
    resolution (a share of the range), one value per optimiser and seed."""
    frame = _positions(rows)
    smallest, full = settings["resolutions"][0], settings["resolutions"][-1]
    wide = frame.pivot_table(index=["parameter", "optimizer", "seed"], columns="resolution", values="position")
    moved = (wide[full] - wide[smallest]).abs()
    return {p: moved.loc[p].tolist() for p in VALUES if p in moved.index.get_level_values(0)}


def optima_table(rows: list[Optimum], settings: dict) -> pd.DataFrame:
    """Per parameter (display name): the top configurations' median value at each resolution (the median over
    optimisers and seeds), how far their mean position moved from the smallest to the full resolution, and how
    far apart it lies between two seeds at one resolution (both medians, as shares of the range)."""
    frame = _positions(rows)
    values = frame.pivot_table(index="parameter", columns="resolution", values="value", aggfunc="median")
    values.columns = [f"{px} px" for px in values.columns]
    moved = {p: float(np.median(v)) for p, v in optimum_moves(rows, settings).items()}
    apart = {}
    for parameter, group in frame.groupby("parameter"):
        wide = group.pivot_table(index=["optimizer", "resolution"], columns="seed", values="position")
        gaps = [(wide[a] - wide[b]).abs().median() for a, b in combinations(wide.columns, 2)]
        gaps = [gap for gap in gaps if not math.isnan(gap)]
        apart[parameter] = float(np.median(gaps)) if gaps else math.nan  # one seed: no two to set apart
    order = [p for p in VALUES if p in values.index]
    return values.loc[order].assign(**{"moved across resolutions": [moved.get(p, math.nan) for p in order],
                                       "two seeds apart": [apart[p] for p in order]}).rename(index=reader_name)


def _words(value) -> str:
    return f"{value:.2g}" if isinstance(value, float) else f"{value}"


def best_configurations(space: Space, searches: Mapping, seed: int) -> pd.DataFrame:
    """The best configuration each search of ``seed`` found: optimiser, resolution, validation error, and the
    parameters that took effect in it, by their reader's names."""
    rows = []
    for (name, px, s), study in searches.items():
        if s != seed:
            continue
        best = study.best
        active = space.active(best.config)
        rows.append({"optimiser": reader_name(name), "resolution (px)": px,
                     "validation error": round(1 - best.value, 4), "configuration (the parameters that took effect)":
                         ", ".join(f"{reader_name(k)} {_words(v)}" for k, v in best.config.items() if active[k])})
    return pd.DataFrame(rows)


def write_trials(searches: Mapping, folder: Path) -> None:
    """Every search's trials in a CSV file of ``folder``, ``iis_fanova_<optimizer>_<resolution>px_seed<seed>.csv``."""
    for (name, px, seed), study in searches.items():
        study.to_dataframe().assign(optimizer=name, resolution=px, seed=seed).to_csv(
            Path(folder) / f"iis_fanova_{name}_{px}px_seed{seed}.csv", index=False)


# ------------------------------------------------------------------------------- IIS against the direct search

def _known(value: float) -> float | None:
    """``None`` for NaN (IIS never reached the target)."""
    return None if math.isnan(value) else float(value)


def compare(direct, run, optimizer: str, seed: int, variant: str) -> Comparison:
    """IIS's ``run`` (:class:`hpolib.analysis.iis.IISResult`) against the ``direct`` search (a study)."""
    from ..analysis.iis import savings

    pixels, seconds = savings(direct, run, "pixel-epochs"), savings(direct, run, "seconds")
    return Comparison(optimizer, seed, variant, 1 - direct.best.value, 1 - run.best.value,
                      1 - direct.best.metrics["test_accuracy"], 1 - run.best.metrics["test_accuracy"],
                      pixels["total"], _known(pixels["to direct's error"]), _known(pixels["to iis's error"]),
                      seconds["total"], _known(seconds["to direct's error"]), _known(seconds["to iis's error"]))


def _at_seed(objective_of: Mapping, seed: int) -> Callable[[int], Callable]:
    """The objective of ``seed`` at a resolution."""
    return lambda px: objective_of[px, seed]


def iis_against_direct(space: Space, searches: Mapping, objective_of: Mapping, settings: dict,
                       storage=None, *, executor: Executor | None = None) -> tuple[dict, list[Comparison]]:
    """Every optimiser's IIS search in each of :data:`VARIANTS`, once per seed, against its direct search (of
    ``searches``): the IIS runs by ``(optimizer, seed, variant)``, and their :class:`Comparison`; every stage's
    trials run on ``executor`` (default: serially)."""
    from ..analysis.iis import increasing_image_sizes
    from ..methods import make_optimizer

    s, full = settings, settings["resolutions"][-1]
    stages, narrow = list(zip(s["resolutions"], s["iis_evaluations"])), {"warm start": 0, "narrowed": s["narrow_top"]}
    runs, found = {}, []
    for name in s["optimizers"]:
        for seed in s["seeds"]:
            for variant in VARIANTS:
                top = narrow[variant]
                run = increasing_image_sizes(space, partial(make_optimizer, name, n_trials=s["evaluations"]),
                                             _at_seed(objective_of, seed), stages, carry=s["carry"],
                                             name=f"iis-{name}-seed{seed}" + ("-narrowed" if top else ""),
                                             storage=storage, seed=seed, progress=False, narrow_top=top,
                                             narrow_margin=s["narrow_margin"], executor=executor)
                runs[name, seed, variant] = run
                found.append(compare(searches[name, full, seed], run, name, seed, variant))
    return runs, found


def table(rows: list[Comparison]) -> pd.DataFrame:
    """``rows`` as a table, NaN where IIS never reached a target."""
    frame = pd.DataFrame([asdict(c) for c in rows], columns=[f.name for f in fields(Comparison)])
    return frame.astype({name: float for name in frame.columns if name.startswith("saved")})


def _range(values: pd.Series) -> str | None:
    return f"{values.min():.2f} to {values.max():.2f}" if values.notna().any() else None


def summary(rows: list[Comparison]) -> pd.DataFrame:
    """Per optimiser and variant, over seeds: the median and range of each saving in pixel-epochs (named by
    :data:`LABELS`), how often IIS reached the direct search's error and saved on the way to it, the median test
    error of IIS less the direct search's, and a one-sided Wilcoxon test that IIS's test error is lower
    (:func:`hpolib.analysis.stats.paired`)."""
    from ..analysis.stats import paired

    found = []
    for (name, variant), group in table(rows).groupby(["optimizer", "variant"], sort=False):
        reached = group.saved_to_direct_error
        found.append({
            "optimizer": name, "variant": variant, "seeds": len(group),
            **{f"{LABELS[m]} median": group[m].median() for m in MEASURES},
            **{f"{LABELS[m]} range": _range(group[m]) for m in MEASURES},
            "IIS reached direct's error": f"{int(reached.notna().sum())} of {len(group)}",
            "IIS saved (to direct's error)": f"{int((reached > 0).sum())} of {len(group)}",
            "test error IIS - direct (median)": (group.iis_test_error - group.direct_test_error).median(),
            "p (IIS test error lower)": paired(group.iis_test_error, group.direct_test_error, alternative="less")["p"]})
    return pd.DataFrame(found)


def headline(results: Results) -> dict[str, object]:
    """The numbers the chapter's summary quotes, by name: seeds, the most important parameter over all searches,
    the rankings' median tau and top three shared, and of the plain warm start: how many searches reached the
    direct search's error, the clause saying the median saving to it (one that never got there counts as the
    least; none when most never got there), and the median total saving."""
    plain = table(results.of("warm start"))
    ranks = pd.DataFrame([asdict(a) for a in results.agreements])
    to_direct = plain.saved_to_direct_error
    saved = float(to_direct.fillna(-np.inf).median())
    top = importance_table(results.importance, results.active).index[0]
    said = (f", saving a median {saved:.0%} of the pixel-epochs to that error (negative: it spent more; a search "
            "that never got there counts as the least)" if np.isfinite(saved) else
            ": most never got there, so there is no median saving on the way to it")
    return {"iis_seeds": str(len(results.settings["seeds"])), "iis_top": reader_name(str(top)),
            "iis_tau": float(ranks.kendall_tau.median()), "iis_top3": f"{ranks.top3_shared.median():g}",
            "iis_reached": str(int(to_direct.notna().sum())), "iis_n": str(len(plain)), "iis_saved": said,
            "iis_total_saved": float(plain.saved_total.median())}
