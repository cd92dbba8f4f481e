"""The AutoLRS chapter: every schedule trained on the same steps, and what the comparison shows.

The notebook builds the network, trains through :class:`hpolib.dl.lr.ScheduleRuns`, draws the figures and
calls what is here, where tests reach it: which runs are trained (:func:`train_all`: the constant grid on the
first two seeds, then the tuned constant, the fixed schedules and AutoLRS on every seed), the table of runs
(:func:`run_table`), test accuracy at equal steps (:func:`equal_steps`), the steps AutoLRS needs to reach each
baseline's final accuracy (:func:`reach`), how its forecasts were made (:func:`forecast_quality`), the ablation
(:func:`ablation`, :func:`spread_note`) and the sources' numbers beside ours (:func:`beside_paper`). What the
choice of a learning rate cost is :func:`hpolib.analysis.schedules.tuning_cost`.

The notebook writes :class:`Results` (``autolrs_results.json``), which the claims ledger reads.

Its runs are trained one after the other, in this process: the chapter takes no ``--executor``. The runs are
independent, but they are not a search's trials: there is no space or optimiser to hand them out, the tuned
constant waits for the whole constant grid, and a run's record (its every step, kept by
:class:`~hpolib.dl.lr.ScheduleRuns` in a JSON file) is not a trial's metrics. Sending them through an executor
would mean dressing each up as a :class:`~hpolib.Study` trial, and its workers would share the cores the runs'
seconds are measured on, which the comparison of schedules reads.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.schedules import gaps, smoothed, steps_to_target, tuned_constant
from ..book.sources import AUTOLRS as SOURCE
from ..dl.lr import LRRun

__all__ = ["Results", "upgrade", "AUTOLRS", "variants", "run_key", "constants", "baselines", "train_all", "run_table",
           "shown", "lr_runs", "finished", "equal_steps", "reach", "forecast_quality", "ablation", "seed_spread_pp",
           "spread_note", "by_schedule", "beside_paper", "in_short"]

AUTOLRS = "AutoLRS"
"""The label of AutoLRS as configured; each ablation is ``"AutoLRS: <name>"``."""
AUTOLRS_KNOBS = ("lr_min", "lr_max", "tau", "tau_max", "k", "explore_fraction", "kappa", "loss")
"""The chapter's settings that are :class:`hpolib.dl.lr.AutoLRS`'s."""
RUN_KNOBS = ("dataset", "subset", "grayscale", "depth", "width_multiplier", "steps", "batch_size", "val_size",
             "momentum", "weight_decay")
"""The settings every run depends on besides its schedule and seed."""
TUNING_SEEDS = 2  # the constant grid runs on the first two seeds
COLUMNS = ("schedule", "seed", "steps", "explore_steps", "final_lr", "val_accuracy", "test_accuracy", "diverged",
           "note")


def variants(settings: dict) -> dict[str, dict]:
    """AutoLRS as configured and each of ``settings["ablations"]``, by label: their :class:`~hpolib.dl.lr.AutoLRS`
    settings.

    >>> s = {"lr_min": 1e-3, "lr_max": 0.1, "tau": 20, "tau_max": 40, "k": 3, "explore_fraction": 0.25,
    ...      "kappa": 1e6, "loss": "train", "ablations": [{"name": "k = 2", "k": 2}]}
    >>> {label: v["k"] for label, v in variants(s).items()}
    {'AutoLRS': 3, 'AutoLRS: k = 2': 2}
    """
    configured = {name: settings[name] for name in AUTOLRS_KNOBS}
    return {AUTOLRS: configured} | {f"{AUTOLRS}: {a['name']}": configured | {n: v for n, v in a.items() if n != "name"}
                                    for a in settings["ablations"]}


def run_key(settings: dict, arithmetic: str) -> dict:
    """What every run depends on besides its schedule and seed: the data, network and optimiser settings, and the
    arithmetic it trains in (:func:`hpolib.dl.precision.resolve_precision`'s name)."""
    return {name: settings[name] for name in RUN_KNOBS} | {"precision": arithmetic}


def constants(settings: dict) -> list[str]:
    """The labels of the constant grid's runs."""
    return [f"constant {lr:g}" for lr in settings["constant_lrs"]]


def baselines(settings: dict) -> list[str]:
    """The labels of the fixed schedules' runs (step, cosine, one-cycle at the base rate)."""
    return [f"{name} {settings['base_lr']:g}" for name in settings["schedules"]]


def train_all(record: Callable[[str, int], dict], settings: dict) -> tuple[list[dict], str | None]:
    """Every run of the comparison, each ``record(label, seed)`` (:meth:`hpolib.dl.lr.ScheduleRuns.record`), and
    the tuned constant: the constant grid on the first two seeds, the best of it by mean validation accuracy over
    both (:func:`~hpolib.analysis.schedules.tuned_constant`), then on every seed the tuned constant (where the grid
    did not run it), the fixed schedules and AutoLRS."""
    tuning = settings["seeds"][:TUNING_SEEDS]
    records = [record(label, seed) for seed in tuning for label in constants(settings)]
    tuned = tuned_constant(pd.DataFrame(records).reindex(columns=["schedule", "seed", "val_accuracy"]), len(tuning))
    for seed in settings["seeds"]:
        for label in ([tuned] if tuned and seed not in tuning else []) + baselines(settings) + [AUTOLRS]:
            records.append(record(label, seed))
    return records, tuned


def run_table(records: list[dict], tuned: str | None) -> pd.DataFrame:
    """One row per run (its record without the per-step run), the tuned constant's marked in ``note``."""
    table = pd.DataFrame([{name: value for name, value in r.items() if name != "run"} for r in records])
    return table.assign(note=np.where(table.schedule == tuned, "tuned constant", ""))


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """The columns of :func:`run_table` the chapter shows, an empty note as missing."""
    return table[[c for c in COLUMNS if c in table]].replace("", None)


def lr_runs(records: list[dict]) -> dict[tuple[str, int], LRRun]:
    """Each finished run's record of every step, by label and seed."""
    return {(r["schedule"], r["seed"]): LRRun.from_dict(r["run"]) for r in records if "run" in r}


def finished(table: pd.DataFrame) -> pd.DataFrame:
    """The runs of ``table`` that did not diverge (they have a test accuracy)."""
    return table.dropna(subset=["test_accuracy"]) if "test_accuracy" in table else table.iloc[:0]


def equal_steps(table: pd.DataFrame, labels: list[str | None]) -> pd.DataFrame:
    """AutoLRS's test-accuracy gap to each of the baselines ``labels`` at equal training steps, per seed, in
    percentage points (:func:`~hpolib.analysis.schedules.gaps`)."""
    done = finished(table)
    return gaps(done[done.schedule.isin([*labels, AUTOLRS])])


def reach(runs: dict[tuple[str, int], LRRun], labels: list[str | None], seeds: list[int], steps: int,
          window: int) -> pd.DataFrame:
    """Per seed and baseline of ``labels``: the baseline's final validation accuracy (the running mean over its
    last ``window`` evaluations), the training and total steps (exploration included) at which AutoLRS's running
    mean first reached it (NaN: never), and the speed-ups, ``steps`` over each."""
    rows = []
    for seed in [seed for seed in seeds if (AUTOLRS, seed) in runs]:
        for label in [label for label in labels if label is not None and (label, seed) in runs]:
            target = smoothed(runs[label, seed].validation, window)[-1]
            reached = steps_to_target(runs[AUTOLRS, seed].validation, target, window)
            rows.append({"seed": seed, "target": label, "target_val_accuracy": target, **reached,
                         "speed-up (training steps)": steps / reached["steps"],
                         "speed-up (with exploration)": steps / reached["total_steps"]})
    return pd.DataFrame(rows)


def _forecasts(runs: dict[tuple[str, int], LRRun]) -> pd.DataFrame:
    """One row per exploration of AutoLRS as configured: its seed, how its forecast was made, and the forecast
    over the loss it had reached."""
    return pd.DataFrame([{"seed": seed, "how": e["how"], "reach": e["forecast"] / e["realised"]}
                         for (label, seed), run in runs.items() if label == AUTOLRS for e in run.explored])


def forecast_quality(runs: dict[tuple[str, int], LRRun]) -> pd.DataFrame:
    """Per seed of AutoLRS as configured: how many forecasts were made each way (``exponential``, ``fallback``,
    ``diverged``), the median of forecast over realised loss, and that median over the rates the stages trained
    with (1: "the loss stays where it is"; small: a steep extrapolation). Empty where AutoLRS did not finish."""
    forecasts = _forecasts(runs)
    if forecasts.empty:
        return pd.DataFrame()
    how = forecasts.groupby(["seed", "how"]).size().unstack(fill_value=0)
    how["median forecast / realised"] = forecasts.groupby("seed").reach.median()
    how["chosen: forecast / realised"] = [
        float(np.median([e["forecast"] / e["realised"] for e in runs[AUTOLRS, seed].explored
                         if e["lr"] == runs[AUTOLRS, seed].stages[e["stage"]]["lr"]])) for seed in how.index]
    return how


def _ablation_row(variant: str, record: dict) -> dict:
    run = LRRun.from_dict(record["run"]) if "run" in record else None
    return {"variant": variant, "test_accuracy": record.get("test_accuracy"),
            "explore_steps": record.get("explore_steps"),
            "stage_lrs": " ".join(f"{stage['lr']:.3g}" for stage in run.stages) if run else "diverged",
            "fallback": sum(e["how"] == "fallback" for e in run.explored) if run else None,
            "diverged": sum(e["how"] == "diverged" for e in run.explored) if run else None}


def ablation(records: dict[str, dict]) -> pd.DataFrame:
    """One row per AutoLRS variant run on one seed (``records``: label -> record, as :func:`variants` labels them),
    AutoLRS as configured first (left out if it diverged): test accuracy, exploration steps, the rate of each
    stage, the forecasts that fell back or diverged and, beside AutoLRS as configured, the difference to it in
    percentage points."""
    configured = records.get(AUTOLRS, {})
    rows = ([_ablation_row("as configured above", configured)] if "run" in configured else []) + [
        _ablation_row(label.removeprefix(f"{AUTOLRS}: "), r) for label, r in records.items() if label != AUTOLRS]
    table = pd.DataFrame(rows)
    if "run" in configured and len(table) > 1:
        table["vs configured (pp)"] = 100 * (table.test_accuracy - table.test_accuracy.iloc[0])
    return table


def seed_spread_pp(table: pd.DataFrame) -> float:
    """How far apart AutoLRS's test accuracies over its seeds lie (max − min, pp); NaN with fewer than two."""
    done = finished(table)
    accuracy = done.loc[done.schedule == AUTOLRS, "test_accuracy"]
    return 100 * float(accuracy.max() - accuracy.min()) if len(accuracy) > 1 else math.nan


def spread_note(ablation: pd.DataFrame, table: pd.DataFrame) -> str:
    """What the one-seed variants of ``ablation`` show beside the spread of AutoLRS's own seeds in ``table``: how
    many differ from AutoLRS as configured by more than that spread."""
    spread, seeds = seed_spread_pp(table), int((finished(table).schedule == AUTOLRS).sum())
    if math.isnan(spread):
        return "AutoLRS ran on one seed here: there is no seed-to-seed spread to judge the variants by"
    if "vs configured (pp)" not in ablation:
        return "AutoLRS as configured diverged on the first seed: there is nothing to judge the variants against"
    beyond = int((ablation["vs configured (pp)"].iloc[1:].abs() > spread).sum())
    return (f"AutoLRS as configured spans {spread:.1f} pp of test accuracy over its {seeds} seeds; {beyond} of "
            f"{len(ablation) - 1} one-seed variants differ from it by more than that")


def by_schedule(table: pd.DataFrame) -> pd.DataFrame:
    """Test accuracy per schedule over the seeds it finished: mean, min, max and count."""
    return finished(table).groupby("schedule").test_accuracy.agg(["mean", "min", "max", "count"])


def beside_paper(table: pd.DataFrame, labels: list[str | None], here: str) -> pd.DataFrame:
    """The sources' test accuracies (:data:`hpolib.book.sources.AUTOLRS`) beside ours of each schedule of
    ``labels`` (``here``: our network, data and steps, in words)."""
    sources = [("paper", "cifar10", "paper"), ("reproduction", "cifar10", "reproduction"),
               ("reproduction", "cifar100", "reproduction")]
    names = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100"}
    rows = [{"": f"{who}: AutoLRS, VGG-16, {names[dataset]}", "test accuracy": f"{SOURCE[dataset][key]:.2f} %"}
            for who, dataset, key in sources]
    mean = by_schedule(table)
    for label, m in mean.loc[[x for x in labels if x in mean.index]].iterrows():
        rows.append({"": f"here: {label}, {here}", "test accuracy": f"{100 * m['mean']:.2f} % (mean of "
                     f"{int(m['count'])} seeds, {100 * m['min']:.2f}-{100 * m['max']:.2f})"})
    return pd.DataFrame(rows)


@dataclass
class Results:
    """What the chapter's notebook writes (``autolrs_results.json``) and the claims ledger reads.

    ``runs``: one row per schedule and seed (:func:`run_table`'s columns but the note, with the seconds);
    ``baselines``: the fixed schedules' labels; ``stages`` and ``explored``: AutoLRS's (as configured) per seed;
    ``cpu``: the CPU the runs were trained on. The other fields are the chapter's tables as it shows them.
    """

    profile: str
    settings: dict
    tuned_constant: str | None
    baselines: list[str]
    runs: list[dict]
    steps_to_target: list[dict] = field(default_factory=list)
    tuning_cost: list[dict] = field(default_factory=list)
    forecasts: list[dict] = field(default_factory=list)
    ablation: list[dict] = field(default_factory=list)
    stages: dict[int, list[dict]] = field(default_factory=dict)
    explored: dict[int, list[dict]] = field(default_factory=dict)
    cpu: str | None = None

    @classmethod
    def collect(cls, profile: str, settings: dict, tuned: str | None, table: pd.DataFrame,
                runs: dict[tuple[str, int], LRRun], reached: pd.DataFrame, cost: pd.DataFrame,
                forecasts: pd.DataFrame, variants: pd.DataFrame) -> Results:
        """The chapter's results from its tables (:func:`run_table`, :func:`reach`, the tuning cost,
        :func:`forecast_quality`, :func:`ablation`) and its runs, on this machine's CPU."""
        from ..book.provenance import cpu_name

        mine = {seed: run for (label, seed), run in runs.items() if label == AUTOLRS}
        return cls(profile, settings, tuned, baselines(settings), table.drop(columns="note").to_dict("records"),
                   reached.to_dict("records"), cost.to_dict("records"),
                   forecasts.reset_index().to_dict("records") if len(forecasts) else [],
                   variants.to_dict("records"), {seed: run.stages for seed, run in mine.items()},
                   {seed: run.explored for seed, run in mine.items()}, cpu_name())

    def write(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=1, default=str) + "\n")

    @classmethod
    def read(cls, source: str | Path | dict) -> Results:
        """From a results file or its parsed content; a file written before this class existed is read as
        :func:`upgrade` gives it, and one written before a field existed leaves it empty."""
        data = source if isinstance(source, dict) else json.loads(Path(source).read_text())
        data = upgrade(data) if "table" in data else data
        results = cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})
        results.stages = {int(seed): stages for seed, stages in results.stages.items()}
        results.explored = {int(seed): explored for seed, explored in results.explored.items()}
        return results

    def frame(self) -> pd.DataFrame:
        """The runs as a table (every column of :func:`run_table` but the note, where a run had it)."""
        table = pd.DataFrame(self.runs)
        return table.reindex(columns=list(dict.fromkeys([*COLUMNS[:-1], *table.columns])))

    def _accuracy(self, schedule: str | None) -> dict[int, float]:
        done = finished(self.frame())
        done = done[done.schedule == schedule].sort_values("seed", kind="stable")
        return {int(seed): float(a) for seed, a in zip(done.seed, done.test_accuracy)}

    def test_accuracy(self, schedule: str) -> dict[int, float]:
        """The test accuracy (%) of ``schedule`` on each seed it finished, by seed."""
        return {seed: 100 * a for seed, a in self._accuracy(schedule).items()}

    def gap(self, against: str | None) -> dict[int, float]:
        """AutoLRS's test accuracy less ``against``'s (pp) on each seed both finished, by seed (as
        :func:`equal_steps` shows it)."""
        mine, theirs = self._accuracy(AUTOLRS), self._accuracy(against)
        return {seed: 100 * (mine[seed] - theirs[seed]) for seed in mine if seed in theirs}

    def tuning_steps(self) -> tuple[list[int], list[int]]:
        """Per seed of the tuning cost: AutoLRS's steps with its exploration, and the constant grid's."""
        cost = pd.DataFrame(self.tuning_cost).reindex(columns=["seed", f"{AUTOLRS} steps", "grid steps"])
        return cost[f"{AUTOLRS} steps"].astype(int).tolist(), cost["grid steps"].astype(int).tolist()


def upgrade(old: dict) -> dict:
    """A results file as the notebook wrote it before :class:`Results` in the current layout: ``table`` and
    ``seconds`` joined as ``runs`` (the note dropped: ``tuned_constant`` says it), ``autolrs_stages`` and
    ``autolrs_explored`` renamed; ``gaps`` and ``ablation_seed_noise_pp`` dropped, since they derive from the
    runs (:meth:`Results.gap`, :func:`seed_spread_pp`); the CPU taken from the provenance the ledger reads beside
    it (``_provenance``), where there is one."""
    runs = [{n: v for n, v in row.items() if n != "note"} | {"seconds": seconds}
            for row, seconds in zip(old["table"], old.get("seconds", [None] * len(old["table"])))]
    kept = ("profile", "settings", "tuned_constant", "baselines", "steps_to_target", "tuning_cost", "forecasts",
            "ablation")
    return {name: old[name] for name in kept if name in old} | {
        "runs": runs, "stages": old.get("autolrs_stages", {}), "explored": old.get("autolrs_explored", {}),
        "cpu": old.get("_provenance", {}).get("cpu")}


def in_short(results: Results) -> dict[str, float | str]:
    """The numbers the chapter's summary states: AutoLRS's mean test accuracy and seeds, the best fixed schedule's
    and the tuned constant's, AutoLRS's exploration steps on its first seed as a share of the training steps, and
    the share of its forecasts that were not the exponential fit."""
    table = results.frame()
    mean = by_schedule(table)
    fixed = mean.loc[[b for b in results.baselines if b in mean.index], "mean"]
    first = table[(table.schedule == AUTOLRS) & (table.seed == results.settings["seeds"][0])].dropna(
        subset=["explore_steps"])
    how = [e["how"] for explored in results.explored.values() for e in explored]
    return {"autolrs_test": float(mean.loc[AUTOLRS, "mean"]) if AUTOLRS in mean.index else math.nan,
            "autolrs_seeds": str(int(mean.loc[AUTOLRS, "count"])) if AUTOLRS in mean.index else "0",
            "best_fixed_test": float(fixed.max()) if len(fixed) else math.nan,
            "best_fixed_name": str(fixed.idxmax()) if len(fixed) else "none",
            "tuned_test": float(mean.loc[results.tuned_constant, "mean"]) if results.tuned_constant in mean.index
            else math.nan,
            "autolrs_extra": float(first.explore_steps.iloc[0]) / results.settings["steps"] if len(first)
            else math.nan,
            "fallback_share": float(np.mean([h != "exponential" for h in how])) if how else math.nan}
