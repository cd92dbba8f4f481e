"""The claims ledger: each source's claims in its own words, our evidence per seed, and one verdict rule for all.

A :class:`Claim` is data: its source (:data:`hpolib.book.sources.SOURCES`), the source's sentence quoted
verbatim (``quote``; ``None`` where the project holds no verbatim text of it, and the row says so), the claim
in the source's terms, the source's number and scale, the measure that tests it and why, and the chapter
section that measures it. Its ``evaluate`` reads the chapter's results and returns the evidence
(:class:`Measured`); :func:`hpolib.book.verdicts.judge`, the one verdict rule, turns that into the verdict.

:func:`ledger` reads a profile's results files (``<chapter>_results.json`` as the notebooks write them, their
``<chapter>_provenance.json``, and ``benchmarks/results/``) and returns one row per claim; :func:`write` saves
them as ``claims.json``. A row holds the claim, the source's quote, our value, the per-seed evidence
(``per_seed``), the intervals (``interval``) and tests (``test``) it rests on, the measure's ``resolution``, the
CPU it ran on, and the verdict with its reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from pathlib import Path

import numpy as np
import pandas as pd

from ..studies.autolrs import Results as AutolrsResults
from ..studies.iis_fanova import TOP_SHARE, VARIANTS, optimum_moves, tau_above_floor
from ..studies.iis_fanova import Results as IisResults
from ..studies.lcm_pbt import Results as LcmResults
from ..studies.lcm_pbt import experiment as lcm_experiment
from ..studies.lcm_pbt import fixed_time_by_seed
from ..studies.lenet import Results as LenetResults
from ..studies.lenet import chosen_recipe
from ..studies.lenet_table import SUBSET as TABLE_SUBSET
from ..studies.lenet_table import VALIDATION as TABLE_VALIDATION
from .benchmark_tables import merged
from .names import name as display_name
from .paths import ROOT
from .sources import AUTOLRS, IIS_TIME_REDUCTION, LCM, LENET_GRID_EPOCHS, LENET_REPORT, SOURCES
from .verdicts import Arithmetic, Effect, Level, Part, Share, Unmeasured, Verdict, judge

__all__ = ["Claim", "Measured", "CLAIMS", "BOOK_PAGES", "ledger", "chapter_verdicts", "write", "counts",
           "TRAINING_POOL"]


BOOK_PAGES = ("benchmarks", "lenet_table")
"""The chapters that are pages of the book's own (``book/<name>.md``), not notebooks: their claims read the
benchmarks' results."""


@dataclass(frozen=True)
class Measured:
    """What a chapter's results say of a claim: the evidence parts, our headline value and scale, the seeds,
    the measure's resolution in words, and the CPU."""

    parts: tuple[Part, ...]
    our_value: object = None
    our_scale: str = ""
    seeds: int = 0
    resolution: str | None = None
    cpu: str | None = None


@dataclass(frozen=True)
class Claim:
    """One claim of a source, and how a chapter's results measure it."""

    id: str
    source: str  # a key of SOURCES
    quote: str | None  # the source's own words, verbatim
    claim: str  # the claim in the source's terms
    source_value: str
    unit: str
    source_scale: str
    measure: str  # what measures it here, and why that measure is the source's (or the closest honest one)
    chapter: str  # the results it reads: a notebook name, or a page of the book's own (BOOK_PAGES)
    section: str  # the anchor of the section that measures it, in that chapter's page
    evaluate: Callable[[Any], Measured] = field(repr=False)  # the chapter's results (typed, or a dict)


def _not_measured(reason: str) -> Callable[[Any], Measured]:
    return lambda results: Measured((Unmeasured(f"not measured yet: {reason}"),))


def _images(dataset: str, subset: int | None, unit: str = " images") -> str:
    """How much of ``dataset`` a chapter trained on: all of it, or ``subset`` images."""
    return f"all of {dataset}" if subset is None else f"{subset:,} {dataset}{unit}"


TRAINING_POOL = {"cifar10": 50_000, "cifar100": 50_000, "mnist": 60_000, "fashion_mnist": 60_000}
"""The training images of each dataset with a fixed training set, before a chapter holds some out."""

TEST_SET = {"cifar10": 10_000, "cifar100": 10_000, "mnist": 10_000, "fashion_mnist": 10_000}
"""The test images of the same datasets: every chapter reads the whole test set."""


def _val_images(dataset: str, subset: int | None, fraction: float = 0.1) -> int | None:
    """The validation images of a chapter's split: ``fraction`` of its training pool (:func:`hpolib.dl.data.load`;
    a tenth unless the chapter sets another)."""
    pool = subset if subset is not None else TRAINING_POOL.get(dataset)
    return None if pool is None else round(fraction * pool)


def _resolution(images: int | None, what: str = "validation") -> tuple[float, str | None]:
    """One image of an accuracy in percentage points, and in words."""
    if not images:
        return 0.0, None
    return 100 / images, f"{what} accuracy on {images:,} images: one image is {100 / images:.2g} pp"


# ------------------------------------------------------------------------------------------ LeNet-5 (000)

def _lenet_scale(s: dict) -> str:
    return (f"{_images(s['dataset'], s['subset'])}, {s['budget']} epochs per run of {s['epochs']}-epoch trials, "
            f"best of each run retrained {s['final_epochs']} epochs on all of it")


def _lenet_confirmed(r: LenetResults) -> pd.DataFrame:
    """Validation accuracy (%) of each search's best configuration after confirmation: seeds x methods."""
    confirmed = pd.DataFrame(r.confirmed).reindex(columns=["method", "seed", "val_accuracy"])
    return 100 * confirmed.pivot_table(index="seed", columns="method", values="val_accuracy")


def _lenet_best(r: LenetResults) -> Measured:
    s, table = r.settings, _lenet_confirmed(r)
    step, words = _resolution(_val_images(s["dataset"], None))
    methods = [m for m in LENET_REPORT if m in table]
    ours = {m: [round(v, 2) for v in table[m].dropna()] for m in methods}
    seeds = int(table[methods].notna().sum().min()) if methods else 0
    if not methods or s["dataset"] != "cifar10" or s["final_epochs"] < 40:
        return Measured((Unmeasured("accuracy depends on data and epochs: the report trained on all of CIFAR-10 "
                                    "for 40", comparable=False),), ours or None, _lenet_scale(s), seeds, words)
    parts = tuple(Level(table[m].dropna().tolist(), LENET_REPORT[m]["accuracy"], 1.0, step, at_least=True,
                        label=f"{m}'s confirmed best (%)") for m in methods)
    return Measured(parts, ours, _lenet_scale(s), seeds, words, "not recorded (confirmations before this ledger)")


def _lenet_epochs(r: LenetResults) -> Measured:
    s = r.settings
    spent = pd.DataFrame(r.search_epochs)
    ours = round(float(spent.full_data_epochs.median()), 1) if len(spent) else None
    share = f"{ours / 4000:.1%}" if ours else "a small share"
    return Measured((Unmeasured(f"a budget, not a finding: each run here spends {ours} full-data epochs, {share} of "
                                "the report's 4,000, by design; lenet.best_val_acc says what that buys",
                                comparable=False),), ours, _lenet_scale(s),
                    len(set(spent.seed)) if len(spent) else 0)


def _lenet_pair(r: LenetResults, first: str, second: str) -> list[float]:
    table = _lenet_confirmed(r)
    if first not in table or second not in table:
        return []
    both = table[[first, second]].dropna()
    return (both[first] - both[second]).tolist()


def _lenet_pso_bohb(r: LenetResults) -> Measured:
    s = r.settings
    step, words = _resolution(_val_images(s["dataset"], None))
    diff = _lenet_pair(r, "pso", "bohb")
    if not diff:
        return Measured((Unmeasured("PSO or BOHB was not run"),), None, _lenet_scale(s))
    part = Level(diff, 0.0, 1.0, step, label="PSO − BOHB, confirmed validation accuracy (pp)")
    return Measured((part,), {"PSO − BOHB (pp)": [round(d, 2) for d in diff]}, _lenet_scale(s), len(diff), words)


def _lenet_random_equal_epochs(r: LenetResults) -> Measured:
    s = r.settings
    step, words = _resolution(_val_images(s["dataset"], None))
    diffs = {m: _lenet_pair(r, "random", m) for m in ("pso", "bohb")}
    if not all(diffs.values()):
        return Measured((Unmeasured("random search, PSO or BOHB was not run"),), None, _lenet_scale(s))
    parts = tuple(Level(d, 0.0, 1.0, step, at_least=True, label=f"random − {m.upper()}, confirmed validation "
                                                                  "accuracy at equal epochs (pp)")
                  for m, d in diffs.items())
    ours = {f"random − {m.upper()} (pp)": [round(x, 2) for x in d] for m, d in diffs.items()}
    return Measured(parts, ours, _lenet_scale(s) + "; every run spends the same epochs",
                    min(map(len, diffs.values())), words)


def _lenet_report_configs(r: LenetResults) -> Measured:
    """The report's configurations retrained under the recipe the chapter chose (by the rule declared before the
    runs, :func:`hpolib.studies.lenet.chosen_recipe`), read on the test set after every epoch: after the last
    epoch and at the best one, each at least the report's number less 1 pp."""
    s = r.settings
    runs = pd.DataFrame(r.retrained)
    recipe = chosen_recipe(runs) if len(runs) else None
    if recipe is None:
        return Measured((Unmeasured("no recipe has retrained all three of the report's configurations yet"),))
    mine = runs[(runs.protocol == "report") & (runs.recipe == recipe)]
    step, words = _resolution(TEST_SET.get(s["dataset"]), "test")
    parts: list[Part] = []
    for reading in ("last", "best"):
        for method, row in LENET_REPORT.items():
            values = mine[mine.config == method].sort_values("seed")[reading].tolist()
            parts.append(Level(values, row["accuracy"], 1.0, step, at_least=True,
                               label=f"{method}'s configuration, {reading} epoch (%)"))
    if s["dataset"] != "cifar10" or s["final_epochs"] < 40:
        parts = [Unmeasured("the report trained on all of CIFAR-10 for 40 epochs", comparable=False)]
    ours = {f"{m}, {reading}": [round(v, 2) for v in mine[mine.config == m].sort_values("seed")[reading]]
            for reading in ("last", "best") for m in LENET_REPORT}
    scale = f"recipe {recipe} (the chosen one), 50,000 training images, 40 epochs, batch 64, float32"
    return Measured(tuple(parts), ours, scale, int(mine.groupby("config").seed.count().min()), words,
                    ", ".join(sorted(set(mine.cpu))))


def _lenet_grid(r: LenetResults) -> Measured:
    epochs = 40 * r.grid_size
    return Measured((Arithmetic(epochs, LENET_GRID_EPOCHS, 0.05, label="40 epochs x the full grid"),), epochs,
                    f"the full grid of the report's ranges ({r.grid_size:,} points) x 40 epochs")


# ------------------------------------------------------------------------------------------ AutoLRS (001)

def _autolrs_scale(s: dict) -> str:
    return (f"VGG-{s['depth']} x{s['width_multiplier']:g}, {_images(s['dataset'], s['subset'])}, {s['steps']:,} "
            f"steps, tau {s['tau']}..{s['tau_max']}, k {s['k']}, tau' = {s['explore_fraction']:g} tau, "
            f"{len(s['seeds'])} seed{'s' * (len(s['seeds']) != 1)}")


def _autolrs_accuracy(dataset: str) -> Callable[[AutolrsResults], Measured]:
    def evaluate(r: AutolrsResults) -> Measured:
        s = r.settings
        if s["dataset"] != dataset:
            return Measured((Unmeasured(f"this chapter trained on {s['dataset']}, not {dataset}, which the data "
                                        "root does not hold"),), None, _autolrs_scale(s))
        accuracy = list(r.test_accuracy("AutoLRS").values())
        step, words = _resolution(TEST_SET[dataset], "test")
        paper_scale = s["subset"] is None and s["depth"] == 16 and s["width_multiplier"] == 1.0 \
            and s["steps"] >= 100_000
        part: Part = Level(accuracy, AUTOLRS[dataset]["reproduction"], 1.0, step, at_least=True,
                           label="AutoLRS's test accuracy (%)") if paper_scale else \
            Unmeasured(f"the source trains full-width VGG-16 on all of {dataset} for hundreds of epochs on a GPU; "
                       f"this chapter trains VGG-{s['depth']} at x{s['width_multiplier']:g} width for "
                       f"{s['steps']:,} steps", comparable=False)
        return Measured((part,), [round(a, 2) for a in accuracy], _autolrs_scale(s), len(accuracy), words, r.cpu)
    return evaluate


def _autolrs_vs_tuned(r: AutolrsResults) -> Measured:
    """AutoLRS's test-accuracy gap to the step schedule (the paper's hand-tuned VGG-16 baseline) and to the tuned
    constant, per seed at equal training steps: matching means no more than half a point behind."""
    s = r.settings
    step_label = next((b for b in r.baselines if b.startswith("step ")), None)
    wanted = {"the step schedule": step_label, "the tuned constant": r.tuned_constant}
    gaps = {label: list(r.gap(label).values()) for label in wanted.values()}
    if not all(gaps.values()):
        return Measured((Unmeasured("AutoLRS or a baseline did not finish"),), None, _autolrs_scale(s))
    step, words = _resolution(TEST_SET.get(s["dataset"]), "test")
    parts = tuple(Level(gaps[label], 0.0, 0.5, step, at_least=True, label=f"AutoLRS − {name} ({label}), pp")
                  for name, label in wanted.items())
    ours = {label: [round(g, 2) for g in gaps[label]] for label in wanted.values()}
    return Measured(parts, ours, _autolrs_scale(s), min(len(gaps[label]) for label in wanted.values()), words,
                    r.cpu)


def _autolrs_fast(r: AutolrsResults) -> Measured:
    """AutoLRS's training steps with its exploration against the steps of tuning a constant by the chapter's grid
    (one full run per rate tried on that seed), paired by seed: the cost of choosing the learning rate."""
    autolrs_steps, grid_steps = r.tuning_steps()
    if not autolrs_steps:
        return Measured((Unmeasured("the chapter's results hold no tuning cost (run before it was measured)"),),
                        None, _autolrs_scale(r.settings))
    part = Effect(autolrs_steps, grid_steps, higher=False,
                  label="AutoLRS's steps with exploration below the constant grid's")
    ours = {"AutoLRS steps": autolrs_steps, "grid steps": grid_steps}
    return Measured((part,), ours, _autolrs_scale(r.settings) + "; steps, not seconds (load-independent)",
                    len(autolrs_steps), None, r.cpu)


# ----------------------------------------------------------------------------------- LCM and PBT (002)

def _lcm_scale(s: dict, cnn: bool) -> str:
    if cnn:
        return (f"four-conv width {s['cnn_width']}, {_images(s['cnn_dataset'], s['cnn_subset'], '')} "
                f"({_lcm_val(s, cnn):,} held out for validation), {s['cnn_trials']} trials x {s['cnn_epochs']} "
                f"epochs; seconds are wall times on a shared machine")
    return (f"one dense layer of {s['width']}, {_images(s['dataset'], s['subset'], '')} ({_lcm_val(s, cnn):,} held out "
            f"for validation), {s['n_trials']} trials x {s['epochs']} epochs; seconds are wall times on a shared "
            f"machine")


def _lcm_val(s: dict, cnn: bool) -> int:
    """The validation images of an LCM experiment: the four-conv network's (``cnn``) or the dense layer's."""
    prefix = "cnn_" if cnn else ""
    dataset = s["cnn_dataset" if cnn else "dataset"]
    fraction = s.get(f"{prefix}val_fraction", 0.1)  # results from before the knob held out load()'s tenth
    return _val_images(dataset, s[f"{prefix}subset"], fraction) or 0


def _lcm_other(r: LcmResults, dataset: str, cnn: bool) -> str | None:
    """Why an LCM experiment is not comparable with the slides' on ``dataset``, if it is not."""
    used = r.settings["cnn_dataset" if cnn else "dataset"]
    return None if used == dataset else f"this chapter's data is {used}, the slides' {dataset}"


def _lcm_share(dataset: str, cnn: bool) -> Callable[[LcmResults], Measured]:
    source = LCM[dataset]["lcm_seconds"] / LCM[dataset]["random_seconds"]

    def evaluate(r: LcmResults) -> Measured:
        pairs, other = r.pairs(cnn), _lcm_other(r, dataset, cnn)
        seconds = [p.seconds_share for p in pairs]
        ours = {"seconds": [round(x, 3) for x in seconds], "epochs": [round(p.epochs_share, 3) for p in pairs]}
        part: Part = Unmeasured(other, comparable=False) if other else Level(
            seconds, source, 0.10, at_least=True, higher=False, label="LCM's seconds / random search's")
        load = "" if r.load is None else f" (load average {r.load:.1f} as the chapter began)"
        return Measured((part,), ours, _lcm_scale(r.settings, cnn) + load, len(pairs), None, r.cpu)
    return evaluate


def _lcm_gap(dataset: str, cnn: bool) -> Callable[[LcmResults], Measured]:
    source = LCM[dataset]["lcm"] - LCM[dataset]["random"]

    def evaluate(r: LcmResults) -> Measured:
        s, pairs, other = r.settings, r.pairs(cnn), _lcm_other(r, dataset, cnn)
        gap = [p.accuracy_gap for p in pairs]
        step, words = _resolution(_lcm_val(s, cnn))
        part: Part = Unmeasured(other, comparable=False) if other else Level(
            gap, source, 0.5, step, at_least=True, label="LCM's best − random search's best (pp)")
        return Measured((part,), [round(g, 2) for g in gap], _lcm_scale(s, cnn), len(pairs), words, r.cpu)
    return evaluate


def _lcm_same_optimum(r: LcmResults) -> Measured:
    """Per LCM experiment, on how many seeds LCM's best configuration is random search's, against the slides' share
    (5 of 9 with one dense layer on MNIST, 7 of 12 with the four-conv network on CIFAR-10)."""
    s, ours = r.settings, {}
    parts: list[Share] = []
    for dataset, cnn in (("mnist", False), ("cifar10", True)):
        pairs = [p for p in r.pairs(cnn) if p.same_optimum is not None]
        if not pairs:
            continue
        same = sum(p.same_optimum is True for p in pairs)
        label = f"{lcm_experiment(s, cnn)}: seeds with random search's optimum"
        parts.append(Share(same, len(pairs), LCM[dataset]["same_optimum"] / LCM[dataset]["repeats"], 0.25,
                           label=label))
        ours[lcm_experiment(s, cnn)] = f"{same} of {len(pairs)}"
    if not parts:
        return Measured((Unmeasured("the chapter's results hold no same-optimum count (run before it was "
                                    "counted)"),))
    return Measured(tuple(parts), ours, _lcm_scale(s, False) + "; " + _lcm_scale(s, True),
                    min(part.repetitions for part in parts), None, r.cpu)


def _lcm_fixed_time(r: LcmResults) -> Measured:
    """Per LCM experiment and seed, LCM's and random search's best so far at equal epochs (the verdict's measure,
    load-independent) and at equal seconds (beside it), each averaged over the budgets (shares of LCM's spend)."""
    s, parts, ours = r.settings, [], {}
    for cnn in (False, True):
        rows = r.fixed_time(cnn)
        if not rows:
            continue
        epochs, seconds = fixed_time_by_seed(rows, "epochs"), fixed_time_by_seed(rows, "seconds")
        parts.append(Effect(epochs.lcm.tolist(), epochs.random.tolist(),
                            label=f"{lcm_experiment(s, cnn)}: LCM's best so far above random search's at equal "
                                  f"epochs (mean over budgets)"))
        ours[lcm_experiment(s, cnn)] = {
            f"at equal {by}": {"LCM": [round(x, 4) for x in frame.lcm], "random": [round(x, 4) for x in frame.random]}
            for by, frame in (("epochs", epochs), ("seconds", seconds))}
    if not parts:
        return Measured((Unmeasured("the chapter's results hold no fixed-time comparison (run before it was "
                                    "measured)"),))
    budgets = ", ".join(f"{f:g}" for f in s["fixed_fractions"])
    return Measured(tuple(parts), ours, f"budgets {budgets} of LCM's spend on each seed; " + _lcm_scale(s, False)
                    + "; " + _lcm_scale(s, True), min(len(p.first) for p in parts),
                    None, r.cpu)


def _pbt_scale(s: dict) -> str:
    seeds = len(s["pbt_seeds"]) if "pbt_seeds" in s else 1  # results from before the knob: PBT on one seed
    return (f"{s['population_size']} members x {s['pbt_epochs']} epochs, exploit and explore every {s['ready']} "
            f"epoch(s), {_images(s['dataset'], s['subset'])}, {seeds} seed{'s' * (seeds != 1)}")


def _pbt_words(s: dict) -> str | None:
    return _resolution(_val_images(s["dataset"], s["subset"], s.get("val_fraction", 0.1)))[1]


def _pbt_best(r: LcmResults) -> Measured:
    s = r.settings
    best = r.population_end("pbt") or ({0: r.pbt_best} if r.pbt_best is not None else {})
    return Measured((Unmeasured("an absolute accuracy of a population at another network, data and budget "
                                "than the slides'; pbt.vs_random and pbt.perturbation test PBT itself",
                                comparable=False),),
                    [round(v, 4) for v in best.values()] or None, _pbt_scale(s), len(best), _pbt_words(s), r.cpu)


def _pbt_against(other: str, measures: tuple[str, ...], what: str) -> Callable[[LcmResults], Measured]:
    """PBT's population against ``other``'s (:data:`hpolib.studies.lcm_pbt.ARMS`) from the same initial draws,
    paired by seed: one effect per member ``measures`` (``best``, ``mean``) at the last epoch."""
    def evaluate(r: LcmResults) -> Measured:
        parts, ours = [], {}
        for measure in measures:
            pbt, rival = r.population_end("pbt", measure), r.population_end(other, measure)
            seeds = sorted(set(pbt) & set(rival))
            if not seeds:
                return Measured((Unmeasured("the chapter's results hold no populations over seeds (run before "
                                            "they were measured)"),), None, _pbt_scale(r.settings))
            parts.append(Effect([pbt[k] for k in seeds], [rival[k] for k in seeds],
                                label=f"PBT's {measure} member above {what}'s"))
            ours[f"{measure} member"] = {"PBT": [round(pbt[k], 4) for k in seeds],
                                         what: [round(rival[k], 4) for k in seeds]}
        return Measured(tuple(parts), ours, _pbt_scale(r.settings), len(seeds), _pbt_words(r.settings), r.cpu)
    return evaluate


# ------------------------------------------------------------------------------- LeNet-5 table (000)

TABLE_BUDGET = "report"
"""The budget of ``benchmarks/lenet_table.py`` the table's claims read: the report's, scaled to the table."""


def _table_accuracy(r: dict) -> pd.DataFrame | None:
    """Each run's final validation accuracy on the table less the table's best (minus its regret, pp): seeds x
    methods, at :data:`TABLE_BUDGET`; ``None`` before ``benchmarks/lenet_table.py`` ran."""
    runs, record = r.get("lenet_table_runs.csv"), r.get("lenet_table.json")
    if runs is None or record is None or TABLE_BUDGET not in record["budgets"]:
        return None
    mine = runs[runs.budget == TABLE_BUDGET]
    return -100 * mine.pivot_table(index="seed", columns="method", values="regret")


def _table_scale(r: dict) -> str:
    record = r["lenet_table.json"]
    cost = record["grid_cost"]
    per_config = cost["epochs"] // cost["configurations"]
    evaluations = record["budgets"][TABLE_BUDGET]
    return (f"the LeNet-5 table ({cost['configurations']} configurations, {per_config} epochs on {TABLE_SUBSET:,} "
            f"CIFAR-10 images each); {evaluations * per_config:,} epochs a run, {evaluations} full evaluations' worth")


def _table_pso_bohb(r: dict) -> Measured:
    table = _table_accuracy(r)
    if table is None or not {"pso", "bohb"} <= set(table):
        return Measured((Unmeasured("not run yet: python benchmarks/lenet_table.py"),))
    step, words = _resolution(TABLE_VALIDATION)
    diff = (table.pso - table.bohb).dropna()
    part = Level(diff.tolist(), 0.0, 1.0, step, label="PSO − BOHB on the table, validation accuracy (pp)")
    ours = {"median PSO − BOHB (pp)": round(float(diff.median()), 2), "mean (pp)": round(float(diff.mean()), 2)}
    return Measured((part,), ours, _table_scale(r), len(diff), words)


def _table_random(r: dict) -> Measured:
    table = _table_accuracy(r)
    if table is None or not {"random", "pso", "bohb"} <= set(table):
        return Measured((Unmeasured("not run yet: python benchmarks/lenet_table.py"),))
    step, words = _resolution(TABLE_VALIDATION)
    diffs = {m: (table.random - table[m]).dropna() for m in ("pso", "bohb")}
    parts = tuple(Level(d.tolist(), 0.0, 1.0, step, at_least=True,
                        label=f"random − {m.upper()} on the table at equal epochs, validation accuracy (pp)")
                  for m, d in diffs.items())
    ours = {f"mean random − {m.upper()} (pp)": round(float(d.mean()), 2) for m, d in diffs.items()}
    return Measured(parts, ours, _table_scale(r) + "; every run has the same epoch budget",
                    min(map(len, diffs.values())), words)


# ------------------------------------------------------------------------------- IDRIS slides (003)

def _benchmark_file(r: dict, file: str) -> pd.DataFrame | None:
    return r.get(file)


def _bo_fewer_evaluations(r: dict) -> Measured:
    table = _benchmark_file(r, "optimizers_summary_held-out.csv")
    if table is None:
        return Measured((Unmeasured("not run yet: the held-out set of the optimiser benchmark"),))
    wide = table.pivot_table(index="problem", columns="method", values="regret@25")[["hpolib-gp", "hpolib-random"]]
    wide = wide.dropna()
    part = Effect(wide["hpolib-gp"].tolist(), wide["hpolib-random"].tolist(), higher=False,
                  label="GP-BO's median regret after 25 evaluations below random search's, per problem")
    ours = {display_name(p): {"GP-BO": round(float(g), 4), "random search": round(float(x), 4)}
            for p, g, x in zip(wide.index, wide["hpolib-gp"], wide["hpolib-random"])}
    seeds = int(table.seeds.min())
    return Measured((part,), ours, f"{len(wide)} held-out problems, {seeds}+ seeds each (medians per problem)",
                    len(wide))


HIGH_DIMENSIONS = (8, 16)
"""The dimensions at which the landscape benchmark judges "random search is better for high dimensional space"."""


def _random_high_dim(r: dict) -> Measured:
    """Random search's final regret against the grid's at equal evaluations, paired over seeds, per held-out
    problem at each of :data:`HIGH_DIMENSIONS`; the medians at every dimension as our value."""
    runs = _benchmark_file(r, "landscape_regret_held-out.csv")
    if runs is None:
        return Measured((Unmeasured("not run yet: benchmarks/landscape.py --set held-out"),))
    parts, ours = [], {}
    for (problem, dim), group in runs.groupby(["problem", "dim"], sort=False):
        wide = group.pivot_table(index="seed", columns="method", values="regret").dropna()
        ours[f"{display_name(problem)}, {dim}-D"] = {display_name(m): round(float(wide[m].median()), 4)
                                                     for m in ("grid", "random")}
        if dim in HIGH_DIMENSIONS:
            parts.append(Effect(wide["random"].tolist(), wide["grid"].tolist(), higher=False,
                                label=f"{display_name(problem)}, {dim}-D: random search's regret below the grid's"))
    seeds = int(runs.groupby(["problem", "dim", "method"]).seed.count().min())
    evals = int(runs.evaluations.max())
    return Measured(tuple(parts), ours, f"{runs.problem.nunique()} held-out problems at "
                                        f"{'/'.join(map(str, sorted(runs.dim.unique())))} dimensions, {evals} "
                                        f"evaluations each, {seeds} seeds (median final regret)", seeds)


def _hyperband_convergence(r: dict) -> Measured:
    runs = r.get("schedulers_runs_seeds0.json")
    if runs is None:
        return Measured((Unmeasured("not run yet: the scheduler benchmark"),))
    runs = [x for x in runs if x["method"] in ("hpolib-hyperband", "hpolib-bohb", "hpolib-random")]
    budget = {problem: min(x["cost"][-1] for x in runs if x["problem"] == problem) for problem in
              {x["problem"] for x in runs}}  # the whole budget all three spent: a trial that overran it is not counted
    final = pd.DataFrame([{"method": x["method"], "problem": x["problem"], "seed": x["seed"],
                           "regret": _regret_within(x, budget[x["problem"]])} for x in runs])
    parts, ours = [], {}
    for problem, group in final.groupby("problem"):
        wide = group.pivot_table(index="seed", columns="method", values="regret")
        for other in ("hpolib-bohb", "hpolib-random"):
            both = wide[["hpolib-hyperband", other]].dropna()
            parts.append(Effect(both[other].tolist(), both["hpolib-hyperband"].tolist(), higher=False,
                                label=f"{display_name(problem)}: {display_name(other)} ends below Hyperband's "
                                      "regret"))
        ours[display_name(problem)] = {display_name(m): round(float(wide[m].median()), 4)
                                       for m in ("hpolib-hyperband", "hpolib-bohb", "hpolib-random")}
    seeds = int(final.groupby(["problem", "method"]).seed.count().min())
    return Measured(tuple(parts), ours, f"{len(ours)} problems at 100 % of the budget, {seeds} seeds each "
                                        "(median final regret)", seeds)


def _hypergrad_many_hyperparameters(r: dict) -> Measured:
    runs = _benchmark_file(r, "hypergrad_summary_weight_decay.csv")
    if runs is None:
        return Measured((Unmeasured("not run yet: benchmarks/hypergrad.py"),))
    wide = runs.pivot_table(index="seed", columns="method", values="test_loss")
    ours = "per-weight hypergradient"
    parts = tuple(Effect(wide[ours].tolist(), wide[other].tolist(), higher=False,
                         label=f"test cross-entropy, per-weight decays by hypergradient against {other}")
                  for other in ("random search (one decay)", "none"))
    means = {m: round(float(v), 4) for m, v in wide.mean().items()}
    return Measured(parts, means, f"784-50-10 MLP, 39,760 weight decays, 1,000 MNIST training images, "
                                  f"{len(wide)} seeds (mean test cross-entropy)", len(wide),
                    "cross-entropy on 5,000 test images")


SLOW_TRIALS = 4
"""How many times slower a trial is in landscape.sha_fast_trials' slow case: at a fixed time, a quarter of the
trials, the scheduler benchmark's runs cut at a quarter of their budget."""


def _regret_within(run: dict, budget: float) -> float:
    """A scheduler run's incumbent regret once ``budget`` is spent (the last evaluation within it)."""
    within = [regret for cost, regret in zip(run["cost"], run["regret"]) if cost <= budget + 1e-9]
    return within[-1] if within else np.nan


def _sha_fast_trials(r: dict) -> Measured:
    """Hyperband's relative advantage over random search (1 − its regret / random search's) at a fixed time with
    fast trials (the whole budget) against trials :data:`SLOW_TRIALS` times slower (a share of it), paired over
    seeds, per problem. Hyperband's brackets do not depend on the total budget, so a run cut short is the run
    slower trials give in the same time."""
    runs, meta = r.get("schedulers_runs_seeds0.json"), r.get("schedulers_seeds0.json")
    if runs is None or meta is None:
        return Measured((Unmeasured("not run yet: the scheduler benchmark"),))
    budget = meta["budget"]
    frame = pd.DataFrame([{"problem": x["problem"], "seed": x["seed"], "method": x["method"],
                           "fast": _regret_within(x, budget), "slow": _regret_within(x, budget / SLOW_TRIALS)}
                          for x in runs if x["method"] in ("hpolib-hyperband", "hpolib-random")])
    parts, ours = [], {}
    for problem, group in frame.groupby("problem"):
        wide = group.pivot_table(index="seed", columns="method", values=["fast", "slow"])
        ahead = {}
        for speed in ("fast", "slow"):
            random = wide[speed]["hpolib-random"].where(wide[speed]["hpolib-random"] > 0)  # no regret: no share
            ahead[speed] = (1 - wide[speed]["hpolib-hyperband"] / random).tolist()
        parts.append(Effect(ahead["fast"], ahead["slow"], label=f"{display_name(problem)}: Hyperband's advantage "
                                                                f"over random search larger with fast trials than "
                                                                f"with trials {SLOW_TRIALS}x slower"))
        ours[display_name(problem)] = {f"{speed} trials, median advantage": round(float(np.nanmedian(v)), 3)
                                       for speed, v in ahead.items()}
    seeds = int(frame.groupby(["problem", "method"]).seed.count().min())
    return Measured(tuple(parts), ours, f"{len(ours)} problems, {seeds} seeds each; fast: the whole budget "
                                        f"({budget:g} units), slow: a {SLOW_TRIALS}th of it", seeds)


# ------------------------------------------------------------------------------ IIS and fANOVA (004)

def _iis_scale(s: dict) -> str:
    seeds = len(s["seeds"])
    val = _iis_val_images(s)
    return (f"{_images(s['dataset'], s['subset'])} (grey){f', {val:,} of them for validation' if val else ''}, "
            f"{'/'.join(map(str, s['resolutions']))} px, "
            f"{s['evaluations']} evaluations (IIS {'/'.join(map(str, s['iis_evaluations']))}), "
            f"{seeds} seed{'s' * (seeds != 1)}")


def _iis_time(r: IisResults) -> Measured:
    s, rows = r.settings, r.of("warm start")
    if not rows:
        return Measured((Unmeasured("no IIS search was run"),), None, _iis_scale(s))
    saved = [c.saved_total for c in rows]
    reached = sum(c.saved_to_direct_error is not None for c in rows)
    low, high = IIS_TIME_REDUCTION
    part = Level(saved, (low + high) / 2, (high - low) / 2, label="compute saved by IIS, pixel-epochs",
                 per="searches")
    ours = {"saved": [round(x, 3) for x in saved],
            "reached the direct search's validation error": f"{reached} of {len(rows)}"}
    return Measured((part,), ours, _iis_scale(s), len(rows), None, r.cpu)


def _iis_val_images(s: dict) -> int | None:
    return _val_images(s["dataset"], s["subset"], s.get("val_fraction", 0.1))


IIS_JUDGED = ("random", "ga")
"""The optimisers the notes name where they say IIS lowers the error ("For Random Search, GA")."""


def _iis_lower_error(r: IisResults) -> Measured:
    """Per IIS variant: IIS's test error against the direct search's, paired over the searches of the optimisers
    the notes name (:data:`IIS_JUDGED`, each seed a pair); every optimiser's differences as our value."""
    parts: list[Effect] = []
    ours: dict[str, list[float]] = {}
    for variant in VARIANTS:
        rows = sorted((c for c in r.of(variant) if c.optimizer in IIS_JUDGED), key=lambda c: (c.optimizer, c.seed))
        if rows:
            parts.append(Effect([100 * c.iis_test_error for c in rows], [100 * c.direct_test_error for c in rows],
                                higher=False, label=f"IIS ({variant}): its test error below the direct search's, "
                                                    f"{' and '.join(map(display_name, IIS_JUDGED))} searches"))
        for c in r.of(variant):
            ours.setdefault(f"{display_name(c.optimizer)}, {variant}: IIS − direct (pp)", []).append(
                round(100 * (c.iis_test_error - c.direct_test_error), 2))
    if not parts:
        return Measured((Unmeasured("random search or the GA was not run with IIS"),), None, _iis_scale(r.settings))
    words = _resolution(TEST_SET.get(r.settings["dataset"]), "test")[1]
    return Measured(tuple(parts), ours, _iis_scale(r.settings), min(len(p.first) for p in parts), words, r.cpu)


def _iis_validation_test(r: IisResults) -> Measured:
    """The gap between test and validation error of the configuration each search chose: the direct search's and
    IIS's (plain warm start), per search, within ±2 pp."""
    s, rows = r.settings, r.of("warm start")
    if not rows:
        return Measured((Unmeasured("no search was run"),), None, _iis_scale(s))
    gaps = {"the direct search's best": [100 * (c.direct_test_error - c.direct_val_error) for c in rows],
            "IIS's best (warm start)": [100 * (c.iis_test_error - c.iis_val_error) for c in rows]}
    step, words = _resolution(_iis_val_images(s))
    parts = tuple(Level(gap, 0.0, 2.0, step, label=f"{who}: test − validation error (pp)", per="searches")
                  for who, gap in gaps.items())
    return Measured(parts, {who: [round(g, 2) for g in gap] for who, gap in gaps.items()}, _iis_scale(s),
                    len(rows), words, r.cpu)


TAU_MARGIN = 0.2
"""How far below the noise floor (two seeds at one resolution) the rankings' tau across resolutions may lie for
the ranking to count as stable."""


def _iis_importance(r: IisResults) -> Measured:
    """Per optimiser and seed, Kendall's tau between the rankings at the smallest and the full resolution less the
    tau of two seeds at one resolution (the optimiser's median): no more than :data:`TAU_MARGIN` below it."""
    s = r.settings
    taus = [a.kendall_tau for a in r.agreements]
    above = [x for x in tau_above_floor(r.agreements, r.seed_agreements) if not np.isnan(x)]
    if not taus or not above:
        return Measured((Unmeasured("no noise floor: the chapter's results hold no tau of two seeds at one "
                                    "resolution (one seed, or results from before it was measured)"
                                    if taus else "no importance ranking was computed"),),
                        {"kendall_tau": [round(t, 3) for t in taus]} if taus else None, _iis_scale(s), len(taus))
    ranked = len({i.parameter for i in r.importance})
    step = 4 / (ranked * (ranked - 1)) if ranked > 1 else 0.0  # one pair of parameters swapped
    part = Level(above, 0.0, TAU_MARGIN, step, at_least=True,
                 label="tau across resolutions less the tau of two seeds at one resolution", per="searches")
    ours = {"tau across resolutions": [round(t, 3) for t in taus],
            "tau of two seeds at one resolution": [round(a.kendall_tau, 3) for a in r.seed_agreements]}
    return Measured((part,), ours, _iis_scale(s), len(above), f"tau over {ranked} parameters: one swapped pair "
                                                              f"is {step:.2g}", r.cpu)


def _iis_layers_vs_lr(r: IisResults) -> Measured:
    """Per optimiser and seed, how far the layer counts' summed fANOVA share moves from the smallest to the full
    resolution against how far the learning rate's does: the layer counts' further, paired."""
    if not r.shifts:
        return Measured((Unmeasured("the chapter's results hold no importance shifts (results from before they "
                                    "were measured)"),), None, _iis_scale(r.settings))
    part = Effect([x.layers_shift for x in r.shifts], [x.lr_shift for x in r.shifts],
                  label="the layer counts' share moves further across resolutions than the learning rate's")
    ours = {"layer counts' shift": [round(x.layers_shift, 3) for x in r.shifts],
            "learning rate's shift": [round(x.lr_shift, 3) for x in r.shifts]}
    return Measured((part,), ours, _iis_scale(r.settings), len(r.shifts), None, r.cpu)


OPTIMUM_MARGIN = 0.25
"""How far (a share of its range) a parameter's best values may move across resolutions and count as unchanged."""


def _iis_optimal_values(r: IisResults) -> Measured:
    """Per parameter of :data:`hpolib.studies.iis_fanova.VALUES`: how far the top configurations' mean position
    moves from the smallest to the full resolution, per optimiser and seed, at most :data:`OPTIMUM_MARGIN` of the
    range."""
    s = r.settings
    if not r.optima:
        return Measured((Unmeasured("the chapter's results hold no top configurations (results from before they "
                                    "were measured)"),), None, _iis_scale(s))
    moves = optimum_moves(r.optima, s)
    steps = {o.parameter: o.step for o in r.optima}
    parts = tuple(Level(moved, 0.0, OPTIMUM_MARGIN, steps[p], at_least=True, higher=False,
                        label=f"{display_name(p)}: the top configurations' move across resolutions (share of the "
                              "range)", per="searches") for p, moved in moves.items())
    ours = {display_name(p): [round(m, 3) for m in moved] for p, moved in moves.items()}
    coarsest = max(steps.values())
    return Measured(parts, ours, _iis_scale(s) + f"; the best {TOP_SHARE:.0%} of each search's trials",
                    min(map(len, moves.values())), f"a layer count's mean over the top configurations moves in "
                                                   f"steps of {coarsest:.2g} of its range", r.cpu)


# ------------------------------------------------------------------------------------------ the list

_CIFAR = "CIFAR-10 (50,000 training images), 40 epochs, batch 64, one run each"

CLAIMS: tuple[Claim, ...] = (
    Claim("lenet.best_val_acc", "000", None,
          "The best widths random search, PSO and BOHB found reach 67.83 %, 66.8 % and 66.5 % validation accuracy "
          "after 40 epochs of training.", "random 67.83 %, PSO 66.8 %, BOHB 66.5 % (the report's table)",
          "validation accuracy, %", _CIFAR,
          "each search's best configuration retrained 40 epochs on all training images, read on the held-out "
          "5,000; a floor per method: the mean over searches at least the report's number less 1 pp",
          "lenet_hpo", "confirmation-at-the-report-s-scale", _lenet_best),
    Claim("lenet.report_configs", "000", None,
          "The report's three configurations (C1-C3-C5-F6 27-30-40-224, 26-19-40-324, 30-15-44-318) reach "
          "67.83 %, 66.8 % and 66.5 % when trained 40 epochs at batch 64.",
          "67.83 %, 66.8 %, 66.5 % (the report's table)", "accuracy, %", _CIFAR,
          "the report's own configurations retrained over 3 seeds under declared recipes and both protocols "
          "(the report's train/test split and this chapter's train/validation split)", "lenet_hpo",
          "the-report-s-configurations-retrained",
          _lenet_report_configs),
    Claim("lenet.search_epochs", "000", None, "Each optimiser spends about 4,000 epochs (BOHB 1,600).",
          "4,000 epochs (BOHB 1,600)", "epochs per run", "CIFAR-10, 40-epoch trials",
          "the epochs each search spends, in full-data epochs", "lenet_hpo", "every-method-on-the-same-budget",
          _lenet_epochs),
    Claim("lenet.pso_vs_bohb", "000",
          "there is no clear way of knowing which of BOHB or PSO is best to solve this specific hyperparameter "
          "problem (whether 'best' is defined by convergence speed or reliability)",
          "Neither PSO nor BOHB is clearly the better optimiser of the report's space.", "no clear winner",
          "confirmed validation accuracy, pp", "CIFAR-10, one run per method",
          "an equivalence test: PSO's confirmed accuracy minus BOHB's, paired by seed, within ±1 pp",
          "lenet_hpo", "which-differences-the-seeds-can-tell-apart", _lenet_pso_bohb),
    Claim("lenet.random_vs_pso_bohb", "000",
          "so as to consume a similar number of epochs as PSO and BOHB",
          "At equal epochs, random search finds configurations at least as good as PSO's and BOHB's (the report's "
          "random search came out best, 67.83 % against 66.8 % and 66.5 %).", "random 67.83 % ≥ 66.8 %, 66.5 %",
          "confirmed validation accuracy, pp", "CIFAR-10, one run per method at a similar number of epochs",
          "non-inferiority: random search's confirmed accuracy minus PSO's (BOHB's), paired by seed, no lower "
          "than −1 pp", "lenet_hpo", "which-differences-the-seeds-can-tell-apart",
          _lenet_random_equal_epochs),
    Claim("lenet_table.pso_vs_bohb", "000",
          "there is no clear way of knowing which of BOHB or PSO is best to solve this specific hyperparameter "
          "problem (whether 'best' is defined by convergence speed or reliability)",
          "Neither PSO nor BOHB is clearly the better optimiser of the report's space: on the tabular benchmark.",
          "no clear winner", "validation accuracy on the table, pp",
          "CIFAR-10, one run per method", "an equivalence test on the table: PSO's final accuracy minus BOHB's, "
          "paired by seed, within ±1 pp", "lenet_table", "pso-or-bohb", _table_pso_bohb),
    Claim("lenet_table.random_vs_pso_bohb", "000",
          "so as to consume a similar number of epochs as PSO and BOHB",
          "At equal epochs, random search finds configurations at least as good as PSO's and BOHB's: on the "
          "tabular benchmark.", "random 67.83 % ≥ 66.8 %, 66.5 %",
          "validation accuracy on the table, pp", "CIFAR-10, one run per method at a similar number of epochs",
          "non-inferiority on the table: random search's final accuracy minus PSO's (BOHB's), paired by seed, no "
          "lower than −1 pp", "lenet_table", "random-search-against-the-others", _table_random),
    Claim("lenet.grid_cost", "000", None, "A full grid over the four widths would cost about 740 million epochs.",
          "~740 million epochs", "epochs", "the report's ranges x 40 epochs",
          "arithmetic: the grid's points (every whole width in the report's ranges) x 40 epochs", "lenet_hpo",
          "the-search-space-and-what-the-full-grid-would-cost", _lenet_grid),
    Claim("autolrs.cifar10_acc", "001", None, "AutoLRS trains VGG-16 on CIFAR-10 to 93.79 % test accuracy "
          "(the paper: 94.13 %).", "93.79 % (reproduction), 94.13 % (paper)", "test accuracy, %",
          "VGG-16, all of CIFAR-10, GPU", "AutoLRS's test accuracy per seed, a floor at the reproduction's "
          "number less 1 pp, at the source's scale only", "autolrs", "every-schedule-on-the-same-steps",
          _autolrs_accuracy("cifar10")),
    Claim("autolrs.cifar100_acc", "001", None, "AutoLRS trains VGG-16 on CIFAR-100 to 74.04 % test accuracy.",
          "74.04 % (reproduction)", "test accuracy, %", "VGG-16, all of CIFAR-100, GPU",
          "AutoLRS's test accuracy per seed on CIFAR-100", "autolrs", "every-schedule-on-the-same-steps",
          _autolrs_accuracy("cifar100")),
    Claim("autolrs.vs_tuned_schedule", "jin2021",
          "The LR schedules auto-generated by AutoLRS lead to a speedup of 1.22×, 1.43×, and 1.5× when training "
          "ResNet-50, Transformer, and BERT, respectively, compared to the LR schedules in their original papers, "
          "and an average speedup of 1.31× over state-of-the-art heavily-tuned LR schedules.",
          "AutoLRS's schedule is at least as good as hand-tuned schedules (the paper reports it faster to the "
          "same accuracy).", "speed-ups of 1.22-1.5x at equal accuracy", "test accuracy gap, pp",
          "ResNet-50, Transformer, BERT; VGG-16 on CIFAR-10 beside them; GPU",
          "non-inferiority at equal training steps: AutoLRS's test accuracy minus the step schedule's (the "
          "paper's hand-tuned VGG-16 baseline) and the tuned constant's, per seed, no lower than −0.5 pp",
          "autolrs", "judged-on-the-paper-s-terms", _autolrs_vs_tuned),
    Claim("autolrs.fast", "001", "is really fast … as compared to other learning rate optimization techniques",
          "AutoLRS's training, its search included, is fast compared with tuning a schedule by other means.",
          "qualitative", "steps and seconds", "VGG-16 on CIFAR-10, GPU",
          "AutoLRS's training steps with its exploration against the steps of tuning a constant learning rate by "
          "the chapter's grid (one full run per rate tried), paired by seed; whether AutoLRS then matches the "
          "tuned constant is autolrs.vs_tuned_schedule", "autolrs", "judged-on-the-paper-s-terms",
          _autolrs_fast),
    Claim("lcm.mnist_time_share", "002", None, "On MNIST, LCM needs about a fifth of random search's time for "
          "the same trials.", "21 % (778.5 s of 3,657.75 s)", "share of random search's seconds",
          "MNIST, one dense layer", "LCM's seconds over random search's, per seed (epochs shown beside); a "
          "ceiling at the slides' share plus 0.10", "lcm_pbt", "lcm-against-random-search-same-configurations",
          _lcm_share("mnist", cnn=False)),
    Claim("lcm.mnist_acc_gap", "002", None, "On MNIST, LCM's best accuracy is within a third of a point of "
          "random search's.", "−0.31 pp (97.10 % against 97.41 %)", "pp", "MNIST, one dense layer",
          "LCM's best validation accuracy minus random search's, per seed; a floor at the slides' gap less 0.5 pp",
          "lcm_pbt", "lcm-against-random-search-same-configurations", _lcm_gap("mnist", cnn=False)),
    Claim("lcm.cifar10_time_share", "002", None, "On CIFAR-10, LCM needs about a third of random search's time.",
          "30 % (8,069 s of 26,498 s)", "share of random search's seconds", "CIFAR-10, four-conv network",
          "LCM's seconds over random search's, per seed (epochs shown beside); a ceiling at the slides' share "
          "plus 0.10", "lcm_pbt", "lcm-against-random-search-same-configurations", _lcm_share("cifar10", cnn=True)),
    Claim("lcm.cifar10_acc_gap", "002", None, "On CIFAR-10, LCM's best accuracy is within a quarter of a point "
          "of random search's.", "−0.21 pp (67.05 % against 67.26 %)", "pp", "CIFAR-10, four-conv network",
          "LCM's best validation accuracy minus random search's, per seed; a floor at the slides' gap less 0.5 pp",
          "lcm_pbt", "lcm-against-random-search-same-configurations", _lcm_gap("cifar10", cnn=True)),
    Claim("lcm.same_optimum", "002", "In 5 of 9 experiments, these two algorithms got the same optimal "
          "hyperparameters", "LCM and random search end at the same best configuration in about half the "
          "repetitions.", "5 of 9 (MNIST), 7 of 12 (CIFAR-10)", "repetitions", "MNIST and CIFAR-10",
          "the count of seeds on which LCM's best configuration is random search's, its share within 0.25 of "
          "the slides' (5/9 for one dense layer, 7/12 for the four-conv network)", "lcm_pbt",
          "the-same-optimum", _lcm_same_optimum),
    Claim("lcm.fixed_time", "002", "Given fixed computing time, we compared two algorithms' best performances. "
          "The same experiments are repeated 5 times", "Given the same computing time, LCM's best accuracy is "
          "above random search's.", "MNIST 100-1,600 s: 96.27-97.22 % against 95.44-96.35 %; CIFAR-10 "
          "1,000-8,000 s: 59.23-67.74 % against 57.96-66.88 %", "accuracy, %", "MNIST and CIFAR-10, 5 repeats",
          "best-so-far accuracy of LCM and random search at 5 equal budgets (1/16 to all of LCM's spend on the "
          "seed), averaged over the budgets per seed, paired by seed; epochs for the verdict (load-independent), "
          "seconds beside", "lcm_pbt", "given-fixed-computing-time", _lcm_fixed_time),
    Claim("pbt.mnist_best", "002", None, "PBT's best worker reaches 0.957 on MNIST.", "0.9574 (perturbed), "
          "0.957 (not perturbed)", "validation accuracy", "MNIST, FC-sigmoid network, 10 workers",
          "the best member's validation accuracy", "lcm_pbt", "population-based-training", _pbt_best),
    Claim("pbt.vs_random", "002", "PBT outperforms the standard hyperparameter tuning benchmarks … Grid Search "
          "and Random Search", "PBT's best member beats random search over the same initial draws and epochs.",
          "qualitative", "validation accuracy", "MNIST, 10 workers",
          "PBT's best member against the best of the same population with exploit and explore switched off (each "
          "member trains its initial draw for the same epochs: random search), paired by seed", "lcm_pbt",
          "pbt-against-random-search-and-without-perturbation",
          _pbt_against("random", ("best",), "random search")),
    Claim("pbt.perturbation", "002", "Dynamic and adaptive learning rate optimization … improves the convergence "
          "of neural networks", "Perturbing the learning rate (by 120 % or 80 %, equally likely) gives better "
          "members than not perturbing it.", "best 0.9574 against 0.957; mean about 0.934 against 0.923",
          "validation accuracy", "MNIST, 10 workers",
          "PBT with and without perturbation of the copied hyperparameters (the slides' Trial 1 and Trial 2) "
          "from the same initial draws: best and mean member at the end, paired by seed", "lcm_pbt",
          "pbt-against-random-search-and-without-perturbation",
          _pbt_against("pbt_no_perturbation", ("best", "mean"), "PBT without perturbation")),
    Claim("landscape.bo_fewer_evaluations", "003", None, "Bayesian optimisation finds good optima in fewer "
          "evaluations than random search.", "qualitative", "median regret after 25 evaluations",
          "slides: no numbers", "GP-BO's median regret after 25 evaluations against random search's, paired over "
          "the held-out problems", "benchmarks", "optimisers-beside-their-peers", _bo_fewer_evaluations),
    Claim("landscape.random_high_dim", "003", "Random search is better for high dimensional space",
          "Random search beats grid search at equal evaluations as the dimension grows.", "qualitative",
          "regret at equal evaluations", "slides: no numbers",
          "grid against random search at equal evaluations (256) at 2, 4, 8 and 16 dimensions on the held-out "
          "problems, paired over 20 seeds; judged at 8 and 16 dimensions, one test per problem and dimension "
          "(Holm), the lower dimensions shown beside", "benchmarks",
          "grid-against-random-search-as-the-dimension-grows", _random_high_dim),
    Claim("landscape.hyperband_convergence", "003", "Limited convergence",
          "Given the whole budget, Hyperband ends further from the optimum than BOHB and random search.",
          "qualitative", "regret at 100 % of the budget", "slides: no numbers",
          "Hyperband's final regret against BOHB's and random search's, paired over seeds, per problem",
          "benchmarks", "schedulers-beside-their-peers", _hyperband_convergence),
    Claim("landscape.sha_fast_trials", "003", "Works well with small or medium model -> Trials must be fast !",
          "Successive halving works well only when trials are fast: at a fixed time, its advantage over random "
          "search shrinks as each trial gets slower.", "qualitative", "share of random search's regret removed",
          "slides: no numbers",
          f"at a fixed time, trials {SLOW_TRIALS}x slower leave a {SLOW_TRIALS}th of the budget: Hyperband's (brackets "
          "of successive halving) relative advantage over random search, 1 − its regret / random search's, with the "
          f"whole budget against a {SLOW_TRIALS}th of it (its brackets do not depend on the total budget, so a run cut "
          "short is the run slower trials give), paired over seeds, per problem (Holm)", "benchmarks",
          "schedulers-beside-their-peers", _sha_fast_trials),
    Claim("landscape.hypergrad_many_hyperparameters", "003", None, "Gradient-based HPO by implicit "
          "differentiation tunes very many continuous hyperparameters at once (high dimensionality, bi-level "
          "optimisation): one weight decay per weight beats one tuned weight decay.", "qualitative",
          "test cross-entropy", "slides: no numbers",
          "a weight decay per weight tuned by hypergradients against one weight decay tuned by random search at "
          "equal training compute and against none, test cross-entropy paired over seeds", "benchmarks",
          "gradient-based-hpo-a-weight-decay-per-weight", _hypergrad_many_hyperparameters),
    Claim("iis.time_saved", "004", "Between 9% to 42% time reduction",
          "Searching at increasing image sizes reduces the search's time by 9 % to 42 %.", "9 % to 42 %",
          "share of compute (pixel-epochs) saved", "STL-10 and Flowers-102, 1,500 evaluations, 32-128 px",
          "the compute IIS saves against the direct search at full resolution, in pixel-epochs (load-independent), "
          "per search; inside the band 9-42 %", "iis_fanova",
          "experiment-2-increasing-image-sizes-against-a-direct-search", _iis_time),
    Claim("iis.lower_error", "004", "For Random Search, GA, IIS => lower error rates and faster convergence",
          "With random search and the GA, IIS gives lower test error than the direct search.", "qualitative",
          "test error, pp", "STL-10, 1,500 evaluations",
          "IIS's test error against the direct search's, paired over the random-search and GA searches (each "
          "optimiser and seed a pair), one test per IIS variant (Holm); every optimiser's differences shown",
          "iis_fanova", "experiment-2-increasing-image-sizes-against-a-direct-search", _iis_lower_error),
    Claim("iis.importance_stable", "004", None,
          "The hyperparameters' importance ranking stays about the same across resolutions.", "qualitative",
          "fANOVA importance ranking across resolutions", "STL-10, 1,500 evaluations",
          "Kendall's tau between the rankings at the smallest and the full resolution, per optimiser and seed, "
          "against the tau of two seeds at one resolution (the noise floor, the optimiser's median; two seeds "
          "differ in data split and candidates too, so the floor is generous); non-inferiority: no more than "
          f"{TAU_MARGIN:g} below it", "iis_fanova", "does-the-ranking-stay-the-same",
          _iis_importance),
    Claim("iis.layers_vs_lr", "004", "the impact of changing the learning rate is fairly consistent",
          "The layer counts' importance changes with the resolution; the learning rate's stays about the same.",
          "qualitative", "fANOVA share, change across resolutions", "STL-10, 1,500 evaluations",
          "per optimiser and seed, the change from the smallest to the full resolution of the layer counts' "
          "summed fANOVA share (conv and dense layers) against the learning rate's; the layer counts' larger, "
          "paired", "iis_fanova", "layer-counts-against-the-learning-rate", _iis_layers_vs_lr),
    Claim("iis.optimal_values", "004", "Optimal values seems to be independent regardless of image resolution",
          "The best configurations' values hardly change with the resolution.", "qualitative",
          "the top configurations' values", "STL-10, 1,500 evaluations",
          "the learning rate, batch size, L1, L2 and layer counts of each search's best quarter of trials: their "
          "mean position in the parameter's range at the smallest and the full resolution, per optimiser and seed; "
          f"the move no more than {OPTIMUM_MARGIN:.0%} of the range", "iis_fanova",
          "the-best-configurations-at-each-resolution", _iis_optimal_values),
    Claim("iis.validation_test", "004", "Test results similar to validation results which implies "
          "hyperparameters generalize well", "The chosen configuration's test error is close to its validation "
          "error.", "qualitative", "test − validation error, pp", "STL-10, 1,500 evaluations",
          "the configuration each search chose, the direct search's and IIS's (warm start): test error minus "
          "validation error, per search, within ±2 pp", "iis_fanova",
          "experiment-2-increasing-image-sizes-against-a-direct-search", _iis_validation_test),
)


def _results(folder: Path, benchmarks: Path) -> dict[str, dict]:
    """Every chapter's results file in ``folder`` by notebook name (with its provenance as ``_provenance``), and
    the benchmark tables and runs."""
    found = {}
    for path in sorted(folder.glob("*_results.json")):
        name = path.name.removesuffix("_results.json")
        provenance = folder / f"{name}_provenance.json"
        found[name] = {**json.loads(path.read_text()),
                       "_provenance": json.loads(provenance.read_text()) if provenance.exists() else {}}
    tables: dict[str, object] = {p.name: pd.read_csv(p) for p in sorted(benchmarks.glob("*_summary_*.csv"))}
    for name in ("development", "held-out"):  # the whole set's runs, with later runs of some methods in place
        if (benchmarks / f"optimizers_summary_{name}.csv").exists():
            tables[f"optimizers_summary_{name}.csv"] = merged(benchmarks, f"optimizers_summary_{name}",
                                                              ["problem", "method"])
    tables |= {p.name: pd.read_csv(p) for p in sorted(benchmarks.glob("landscape_regret_*.csv"))}
    for path in sorted([*benchmarks.glob("schedulers_runs_*.json"), *benchmarks.glob("schedulers_seeds*.json")]):
        tables[path.name] = json.loads(path.read_text())
    found["benchmarks"] = tables
    found["lenet_table"] = {name: (pd.read_csv(path) if path.suffix == ".csv" else json.loads(path.read_text()))
                            for name in ("lenet_table.json", "lenet_table_runs.csv")
                            if (path := benchmarks / name).exists()}
    return found


def ledger(folder: str | Path, benchmarks: str | Path | None = None) -> list[dict]:
    """One row per claim of :data:`CLAIMS`, measured from the results in ``folder`` (and ``benchmarks``)."""
    benchmarks = Path(benchmarks) if benchmarks else ROOT / "benchmarks" / "results"
    results = _results(Path(folder), benchmarks)
    return [_row(claim, results.get(claim.chapter)) for claim in CLAIMS]


def chapter_verdicts(chapter: str, results) -> list[dict]:
    """The ledger's rows of one chapter's claims, measured from its ``results`` (as the notebook writes them, or
    its typed results): what a chapter shows of the ledger, so the page and ``claims.json`` say the same."""
    rows = [_row(claim, results) for claim in CLAIMS if claim.chapter == chapter]
    if not rows:
        raise ValueError(f"chapter must be one of {sorted({c.chapter for c in CLAIMS})}, got {chapter!r}")
    return rows


def counts(rows: list[dict]) -> dict[str, int]:
    """How many rows have each verdict, in :class:`Verdict`'s order."""
    return {v.value: sum(row["verdict"] == v.value for row in rows) for v in Verdict}


READERS: dict[str, Callable] = {
    "lenet_hpo": LenetResults.read,
    "autolrs": AutolrsResults.read,
    "lcm_pbt": LcmResults.read,
    "iis_fanova": IisResults.read,
}
"""How a chapter's results file is read, where the chapter has a typed results class."""


def _row(claim: Claim, results) -> dict:
    if isinstance(results, dict) and claim.chapter in READERS:
        results = READERS[claim.chapter](results)
    measured = claim.evaluate(results) if results is not None else \
        Measured((Unmeasured(f"no {claim.chapter} results at this profile"),), None, "not run at this profile")
    judged = judge(*measured.parts)
    details = judged.parts
    return {"id": claim.id, "source": claim.source, "source_quote": claim.quote, "claim": claim.claim,
            "source_value": claim.source_value, "unit": claim.unit, "source_scale": claim.source_scale,
            "measure": claim.measure, "chapter": claim.chapter, "section": claim.section,
            "cite": SOURCES[claim.source].cite, "our_value": measured.our_value, "our_scale": measured.our_scale,
            "seeds": measured.seeds, "verdict": judged.verdict.value, "reason": judged.reason,
            "per_seed": [{"label": d["label"], **({"values": d["per_seed"]} if "per_seed" in d else
                                                  {"first": d["first"], "second": d["second"]})}
                         for d in details if d["kind"] in ("level", "effect")],
            "interval": [{"label": d["label"], "interval": d["interval"], "confidence": d["confidence"],
                          "band": [d["source"] - d["tolerance"], d["source"] + d["tolerance"]],
                          "at_least": d["at_least"], **({"count": [d["hits"], d["n"]]} if d["kind"] == "share" else {})}
                         for d in details if "interval" in d],
            "test": [{k: d[k] for k in ("label", "test", "n", "wins", "p", "p_other_way", "smallest_p")}
                     for d in details if d["kind"] == "effect"],
            "resolution": measured.resolution, "cpu": measured.cpu}


def write(folder: str | Path, benchmarks: str | Path | None = None) -> Path:
    """Write ``claims.json`` (the ledger of the results in ``folder``) into ``folder``; return its path."""
    path = Path(folder) / "claims.json"
    path.write_text(json.dumps(ledger(folder, benchmarks), indent=1, default=float) + "\n")
    return path
