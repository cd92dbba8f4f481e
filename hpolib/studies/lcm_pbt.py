"""The LCM and PBT chapter: learning-curve matching against random search on the same configurations, at the
same epochs and seconds, and populations trained by PBT, by PBT without perturbation and without exploitation.

The experiments (:func:`lcm_versus_random`, :func:`populations`) and their analysis (:class:`Pair`'s time
share, accuracy gap and same optimum, :func:`fixed_time`, :func:`progress`, :func:`final_members`,
:func:`beside_slides`, :func:`headline`) are here, where tests reach them; the notebook holds the narrative,
parameters, figures and calls, and writes :class:`Results`, which the claims ledger reads. The slides' numbers are
read from :mod:`hpolib.book.sources`.

Where the trials run: every function that trains takes ``executor`` (:class:`hpolib.executors.Executor`, default
serial; the notebook's ``--executor``), and every :class:`~hpolib.Study` it makes runs its trials there.

- *LCM against random search* (:func:`lcm_versus_random`): each search's trials run at once on the executor's
  workers, one search after the other. Random search's proposals are fixed by the seed, so both searches train
  the same configurations under the same numbers on any executor, and random search's trials (seeded training)
  are the serial run's. LCM's stops are not: a running trial is matched against the curves that have completed
  by then, which on several workers depends on which trial finished first, so LCM may stop other trials than
  serially (a trial it lets finish still ends with the serial run's value). Each search starts its own workers,
  whose first trials pay their start-up (data, kernels): the seconds count it, for both searches alike.
- *PBT* (:func:`population`, :func:`populations`): a population's members train at once, a segment each per
  worker; PBT's rule is then asynchronous, as in the paper (a member ready for its next segment is ranked among
  the others' latest values), so which member copies which, and the schedules, differ from the serial run's.
  A member continues from a checkpoint in ``checkpoint_dir`` (default: a temporary folder of the driver), which
  every worker must see: on a cluster, a folder on a shared file system (the notebook gives one in its output
  folder when it has an executor). PBT has no step that waits for the whole population, so nothing keeps it
  serial.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import cast

import pandas as pd

from ..book.names import name
from ..book.sources import LCM, LCM_FIXED_TIME
from ..executors import Executor, SerialExecutor
from ..space import Float, Int, Space
from ..storage import rerun_agreement, rerun_in_words, studies_set_aside
from .stored import Stored, typed

__all__ = ["SPACE", "PBT_NETWORK", "ARMS", "four_conv", "Pair", "FixedTime", "Member", "PopulationPoint", "Results",
           "lcm_versus_random", "fixed_time", "fixed_time_by_seed", "fixed_time_table", "slides_fixed_time",
           "same_optimum_table", "table", "seconds_table", "pbt_space", "population", "populations", "progress",
           "final_members", "population_table", "beside_slides", "headline", "set_aside",
           "experiment", "TABLE_COLUMNS", "seed_table"]

SPACE = Space({"lr": Float(1e-3, 1.0, log=True), "momentum": Float(0.0, 0.95),
               "weight_decay": Float(1e-6, 1e-2, log=True), "batch_size": Int(16, 256, log=True)})
"""The space both LCM experiments search: learning rate, momentum, decay and batch size, as the slides'."""

PBT_NETWORK = {"hidden_layers": 2, "activation": "sigmoid", "batch_size": 32, "momentum": 0.0}
"""The slides' PBT member, FC-sigmoid-FC-sigmoid-FC trained by plain SGD at batch 32 (its width: ``width``)."""

ARMS = {"pbt": {}, "pbt_no_perturbation": {"explore": False}, "random": {"exploit": False}}
"""The populations trained on every seed from the same initial draws, with the :class:`hpolib.PBT` switches each
sets: PBT (the slides' Trial 1), PBT whose copies keep their donor's hyperparameters (Trial 2, "No
perturbation"), and neither exploit nor explore: each member trains its draw to the end (random search)."""


def four_conv(width: int) -> dict:
    """The slides' CIFAR-10 network (Keras' CIFAR-10 example) with ``width`` filters in its first two conv layers:
    two 3x3 conv layers, 2x2 max-pooling and dropout 0.25, two of twice the width, pooling and dropout again, a
    dense layer of 16 x ``width`` with dropout 0.5. A width of 32 is the slides' network."""
    return {"filters": [width, width, 2 * width, 2 * width], "pool": [False, True, False, True],
            "dropouts": [0.0, 0.25, 0.0, 0.25], "dense": [16 * width], "dense_dropout": 0.5}


@dataclass(frozen=True)
class Pair:
    """One seed's random search with and without LCM on the same configurations: the epochs each trained, the
    trials LCM stopped, each one's best validation accuracy, random search's best once it had spent LCM's epochs
    (NaN if its first trial cost more), LCM's share of the epochs, the seconds each trained (wall time), and
    whether both ended on the same configuration."""

    seed: int
    random_epochs: float
    lcm_epochs: float
    lcm_stopped: int
    random_best: float
    lcm_best: float
    random_best_at_lcm_epochs: float
    epochs_share: float
    random_seconds: float
    lcm_seconds: float
    same_optimum: bool | None = None  # None: not recorded (a results file from before it was counted)

    @property
    def seconds_share(self) -> float:
        """LCM's seconds over random search's."""
        return self.lcm_seconds / self.random_seconds

    @property
    def accuracy_gap(self) -> float:
        """LCM's best validation accuracy minus random search's, in percentage points."""
        return 100 * (self.lcm_best - self.random_best)


@dataclass(frozen=True)
class FixedTime:
    """One seed's best-so-far validation accuracy of LCM and of random search given the same compute:
    ``fraction`` of what LCM spent in all on that seed, as epochs (``epochs``) and as seconds (``seconds``); NaN
    where a search had no complete trial by then."""

    seed: int
    fraction: float
    epochs: float
    seconds: float
    lcm_at_epochs: float
    random_at_epochs: float
    lcm_at_seconds: float
    random_at_seconds: float


@dataclass(frozen=True)
class PopulationPoint:
    """A population of ``arm`` (:data:`ARMS`) on ``seed`` at ``epoch``: its best and mean member's latest
    validation accuracy."""

    arm: str
    seed: int
    epoch: float
    best: float
    mean: float


@dataclass(frozen=True)
class Member:
    """A PBT member at the end of training: its last validation accuracy and hyperparameters."""

    member: int
    value: float
    lr: float
    lr_decay: float
    lr_decay_every: int


@dataclass
class Results(Stored):
    """What the chapter's notebook writes (``lcm_pbt_results.json``) and the claims ledger reads: the settings,
    one :class:`Pair` per seed of each LCM experiment (one dense layer; the four-conv network) and its
    :class:`FixedTime` rows, the first seed's PBT members at the end, every population's progress
    (:class:`PopulationPoint`), and the CPU it ran on with the machine's load average as it began."""

    profile: str
    settings: dict
    lcm: list[Pair] = field(default_factory=list)
    lcm_cnn: list[Pair] = field(default_factory=list)
    pbt_final: list[Member] = field(default_factory=list)
    cpu: str | None = None
    fixed: list[FixedTime] = field(default_factory=list)
    fixed_cnn: list[FixedTime] = field(default_factory=list)
    pbt: list[PopulationPoint] = field(default_factory=list)
    load: float | None = None

    def __post_init__(self):
        self.lcm, self.lcm_cnn = typed(Pair, self.lcm), typed(Pair, self.lcm_cnn)
        self.fixed, self.fixed_cnn = typed(FixedTime, self.fixed), typed(FixedTime, self.fixed_cnn)
        self.pbt_final, self.pbt = typed(Member, self.pbt_final), typed(PopulationPoint, self.pbt)

    def pairs(self, cnn: bool = False) -> list[Pair]:
        """The four-conv network's pairs (``cnn``), else the dense layer's."""
        return self.lcm_cnn if cnn else self.lcm

    def fixed_time(self, cnn: bool = False) -> list[FixedTime]:
        """The four-conv network's fixed-time rows (``cnn``), else the dense layer's."""
        return self.fixed_cnn if cnn else self.fixed

    @property
    def pbt_best(self) -> float | None:
        """The best member's validation accuracy at the end (the first seed's PBT)."""
        return max((m.value for m in self.pbt_final), default=None)

    def population_end(self, arm: str, measure: str = "best") -> dict[int, float]:
        """Per seed, the ``best`` or ``mean`` member's accuracy of ``arm``'s population at its last epoch."""
        if measure not in ("best", "mean"):
            raise ValueError(f"measure must be 'best' or 'mean', got {measure!r}")
        last: dict[int, PopulationPoint] = {}
        for point in self.pbt:
            if point.arm == arm and (point.seed not in last or point.epoch > last[point.seed].epoch):
                last[point.seed] = point
        return {seed: getattr(point, measure) for seed, point in sorted(last.items())}


_LCM_STUDY = re.compile(r"lcm-(cnn-)?(full|early)-(\d+)")


def set_aside(storage: str | os.PathLike | None) -> str:
    """Which seeds' LCM searches in ``storage`` were run again after being set aside
    (:data:`hpolib.storage.SET_ASIDE`: a trial of theirs was timed across a pause of the whole run, so both
    searches of that seed were run again, to be timed alike), and how the runs again agree with the first runs
    (:func:`hpolib.storage.rerun_agreement`), in sentences ("" if none)."""
    seeds: dict[str, set[int]] = {}
    agreements = []
    for study in studies_set_aside(storage):
        found = _LCM_STUDY.fullmatch(study)
        if found:
            seeds.setdefault("four-conv network" if found[1] else "one dense layer", set()).add(int(found[3]))
            agreements.append(rerun_agreement(cast(str, storage), study))  # a store exists here
    if not seeds:
        return ""
    which = "; ".join(f"{network}: seed{'s' if len(numbers) > 1 else ''} {', '.join(map(str, sorted(numbers)))}"
                      for network, numbers in sorted(seeds.items(), reverse=True))
    both = {key: sum(a[key] for a in agreements) for key in ("trials", "same_config", "same_value")}
    both["largest_gap"] = max(a["largest_gap"] for a in agreements)
    waiting = sum(a["trials"] == 0 for a in agreements)
    return (f"Run again from scratch, both searches of each ({which}): a trial of the first run had been timed "
            "across a pause of the whole run, so its seconds were not its training's. The first runs are kept in "
            f"the store, set aside. Their {rerun_in_words(both, 'result', sum(a['trials'] > 0 for a in agreements))}"
            + (f" ({waiting} of the {len(agreements)} searches not run again yet)." if waiting else "."))


def _experiment(settings: dict, cnn: bool) -> dict:
    """One LCM experiment's seeds, trials, epochs and checkpoints: the four-conv network's (``cnn``) or the dense
    layer's."""
    prefix = "cnn_" if cnn else ""
    return {"seeds": settings[f"{prefix}seeds"], "n_trials": settings["cnn_trials" if cnn else "n_trials"],
            "epochs": settings[f"{prefix}epochs"], "checkpoints": settings[f"{prefix}checkpoints"]}


def lcm_versus_random(objective: Callable, settings: dict, cnn: bool = False, space: Space = SPACE, storage=None, *,
                      executor: Executor | None = None) -> tuple[list[Pair], list[FixedTime]]:
    """Per seed, random search with and without LCM on the same configurations of ``space``
    (:func:`hpolib.analysis.compare.stopping_runs`), as ``settings`` (the chapter's) set the dense layer's
    experiment, or the four-conv network's (``cnn``): a :class:`Pair` per seed, and both searches' best so far at
    the budgets ``settings["fixed_fractions"]`` of LCM's spend (:func:`fixed_time`). Their trials run on
    ``executor`` (default: serially; what holds on several workers: the module's description) and are kept in
    ``storage`` (a SQLite path: a rerun resumes where it stopped; studies ``lcm-full-<seed>`` and
    ``lcm-early-<seed>``, ``lcm-cnn-...`` for the four-conv network)."""
    from ..analysis.compare import stopping_runs, stopping_summary
    from ..schedulers import LearningCurveMatching

    run = _experiment(settings, cnn)

    def lcm() -> LearningCurveMatching:
        return LearningCurveMatching(run["checkpoints"], n_trials=run["n_trials"], split_rate=settings["split_rate"],
                                     early_stopping_rate=settings["early_stopping_rate"],
                                     n_neighbours=settings["n_neighbours"], budget=run["epochs"])

    if hasattr(objective, "data") and isinstance(executor, (SerialExecutor, type(None))):  # an image classifier
        objective(space.sample(seed=0), 1)  # trained one epoch, untimed, before the searches, or the first seed's
        # random search pays the process's start-up (data, kernels); elsewhere each study's workers pay their own
    runs = stopping_runs(space, objective, lcm, run["seeds"], n_trials=run["n_trials"], trial_budget=run["epochs"],
                         metric="val_accuracy", storage=storage, name="lcm-cnn" if cnn else "lcm", progress=False,
                         executor=executor)
    found = stopping_summary(runs).rename(columns=lambda c: c.replace("full", "random").replace("early", "lcm")
                                          .replace("same_best", "same_optimum"))
    return typed(Pair, found.to_dict("records")), fixed_time(runs, settings["fixed_fractions"])


def fixed_time(runs: pd.DataFrame, fractions: Sequence[float]) -> list[FixedTime]:
    """Per seed of ``runs`` (:func:`hpolib.analysis.compare.stopping_runs`, "early" being LCM), the best-so-far
    validation accuracy of LCM and of random search once each had spent ``fraction`` of what LCM spent in all on
    that seed, in epochs and in seconds. LCM's whole spend is the largest budget both searches ran to: the slides
    ran each algorithm for a fixed time, and LCM, which stops trials, tries more configurations in it."""
    from ..analysis.compare import best_within

    for f in fractions:
        if not 0 < f <= 1:
            raise ValueError(f"fixed_fractions must hold numbers in (0, 1], got {f!r}")
    rows = []
    for seed, trials in runs.groupby("seed", sort=False):
        lcm, random = trials[trials.search == "early"], trials[trials.search == "full"]
        for f in fractions:
            epochs, seconds = f * lcm.cost.sum(), f * lcm.seconds.sum()
            rows.append(FixedTime(int(seed), float(f), float(epochs), float(seconds),
                                  best_within(lcm, epochs)[0], best_within(random, epochs)[0],
                                  best_within(lcm, seconds, "seconds")[0], best_within(random, seconds, "seconds")[0]))
    return rows


def fixed_time_by_seed(rows: list[FixedTime], by: str = "epochs") -> pd.DataFrame:
    """Per seed, LCM's and random search's best so far at equal ``by`` (``epochs`` or ``seconds``), averaged over
    the budgets at which both had one: columns seed, lcm, random, budgets."""
    if by not in ("epochs", "seconds"):
        raise ValueError(f"by must be 'epochs' or 'seconds', got {by!r}")
    frame = pd.DataFrame([asdict(r) for r in rows], columns=[f.name for f in fields(FixedTime)])
    frame = frame.rename(columns={f"lcm_at_{by}": "lcm", f"random_at_{by}": "random"}).dropna(subset=["lcm", "random"])
    means = frame.groupby("seed").agg(lcm=("lcm", "mean"), random=("random", "mean"), budgets=("lcm", "size"))
    return means.reset_index()


def fixed_time_table(rows: list[FixedTime]) -> pd.DataFrame:
    """``rows`` as the slides' fixed-time table: per budget (a share of LCM's spend), the median over seeds of the
    budget in epochs and seconds, and of each search's best so far (%) at equal epochs and at equal seconds."""
    frame = pd.DataFrame([asdict(r) for r in rows], columns=[f.name for f in fields(FixedTime)])
    accuracy = [c for c in frame.columns if "_at_" in c]
    frame[accuracy] = 100 * frame[accuracy]
    table = frame.groupby("fraction").median(numeric_only=True).drop(columns="seed").reset_index()
    names = {"fraction": "share of LCM's spend", "lcm_at_epochs": "LCM at equal epochs (%)",
             "random_at_epochs": "random at equal epochs (%)", "lcm_at_seconds": "LCM at equal seconds (%)",
             "random_at_seconds": "random at equal seconds (%)"}
    return table.rename(columns=names)


def slides_fixed_time() -> pd.DataFrame:
    """The slides' fixed-computing-time table (:data:`hpolib.book.sources.LCM_FIXED_TIME`): per data set and
    budget in seconds, LCM's and random search's best accuracy (%) and LCM's lead (pp)."""
    rows = [{"data": name, "seconds": seconds, "LCM (%)": lcm, "random (%)": random, "LCM − random (pp)": lcm - random}
            for dataset, name in (("mnist", "MNIST"), ("cifar10", "CIFAR-10"))
            for seconds, lcm, random in zip(*(LCM_FIXED_TIME[dataset][k] for k in ("seconds", "lcm", "random")))]
    return pd.DataFrame(rows)


def same_optimum_table(settings: dict, lcm: list[Pair], lcm_cnn: list[Pair]) -> pd.DataFrame:
    """How often LCM and random search ended on the same configuration, beside the slides' count, for the dense
    layer and the four-conv network."""
    return pd.DataFrame([{"experiment": experiment(settings, False), "same optimum":
                          sum(p.same_optimum is True for p in lcm), "repetitions": len(lcm),
                          "slides (MNIST)": f"{LCM['mnist']['same_optimum']} of {LCM['mnist']['repeats']}"},
                         {"experiment": experiment(settings, True), "same optimum":
                          sum(p.same_optimum is True for p in lcm_cnn), "repetitions": len(lcm_cnn),
                          "slides (CIFAR-10)": f"{LCM['cifar10']['same_optimum']} of {LCM['cifar10']['repeats']}"}])


def experiment(settings: dict, cnn: bool) -> str:
    """What an LCM experiment is called on the page and in the ledger: its data and network."""
    if cnn:
        return f"{name(settings['cnn_dataset'])}, four-conv network"
    return f"{name(settings['dataset'])}, one dense layer"


TABLE_COLUMNS = {"random_epochs": "random search epochs", "lcm_epochs": "LCM epochs",
                 "lcm_stopped": "trials LCM stopped", "random_best": "random search best", "lcm_best": "LCM best",
                 "random_best_at_lcm_epochs": "random search best at LCM's epochs",
                 "epochs_share": "LCM share of epochs", "same_optimum": "same optimum"}
"""The reader's names of :func:`table`'s columns (``table(pairs).rename(columns=TABLE_COLUMNS)``)."""


def table(pairs: list[Pair]) -> pd.DataFrame:
    """``pairs`` as a table, one row per seed."""
    return pd.DataFrame([asdict(p) for p in pairs], columns=[f.name for f in fields(Pair)])


def seed_table(pairs: list[Pair]) -> pd.DataFrame:
    """:func:`table` as the page shows it: the epochs and accuracies under the reader's names, the seconds left to
    :func:`seconds_table`."""
    frame = table(pairs).drop(columns=["random_seconds", "lcm_seconds"])
    frame["same_optimum"] = frame["same_optimum"].map({True: "yes", False: "no"})
    return frame.rename(columns=TABLE_COLUMNS)


def seconds_table(pairs: list[Pair]) -> pd.DataFrame:
    """Per seed of ``pairs``, the seconds each search trained and LCM's share of them beside its share of the
    epochs."""
    return pd.DataFrame([{"seed": p.seed, "random seconds": p.random_seconds, "LCM seconds": p.lcm_seconds,
                          "LCM share of seconds": p.seconds_share, "LCM share of epochs": p.epochs_share}
                         for p in pairs])


def pbt_space(settings: dict) -> Space:
    """What PBT explores: the initial learning rate, the decay ratio and its pace, in the chapter's ranges."""
    return Space({"lr": Float(*settings["lr_range"]), "lr_decay": Float(*settings["decay_range"]),
                  "lr_decay_every": Int(*settings["decay_every"])})


def population(objective: Callable, settings: dict, seed: int, exploit: bool = True, explore: bool = True,
               storage=None, name: str = "pbt", *, executor: Executor | None = None,
               checkpoint_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """A population trained by PBT as ``settings`` set it on ``seed``, with or without its ``exploit`` and
    ``explore`` steps: every member's segments in order (:meth:`hpolib.PBT.schedule`). The initial draws depend
    on ``seed`` alone, so the populations of one seed start alike. Its segments run on ``executor`` (default:
    serially; several workers train several members at once, asynchronously), its checkpoints in
    ``checkpoint_dir`` (default: a temporary folder, removed with the study; beside ``storage``, if given), its
    segments kept in ``storage`` as the study ``name`` (a SQLite path: a rerun resumes)."""
    from ..optimizers import RandomSearch
    from ..schedulers import PBT
    from ..study import Study

    space = pbt_space(settings)
    pbt = PBT(space, population_size=settings["population_size"], ready=settings["ready"],
              max_steps=settings["pbt_epochs"], perturb=settings["perturb"],
              resample_probability=settings["resample_probability"], seed=seed, exploit=exploit, explore=explore)
    study = Study(space, RandomSearch(space, seed=seed), direction="maximize", metric="val_accuracy",
                  storage=storage, name=name, scheduler=pbt, executor=executor,
                  checkpoint_dir=None if checkpoint_dir is None else str(checkpoint_dir))
    study.optimize(objective, progress=False)
    if storage is not None and checkpoint_dir is None and study.checkpoint_dir is not None:
        shutil.rmtree(study.checkpoint_dir, ignore_errors=True)  # kept beside the store until the population ended
    return PBT.schedule(study.trials)


def populations(objective: Callable, settings: dict, storage=None, *, executor: Executor | None = None,
                checkpoint_dir: str | os.PathLike | None = None) -> dict[tuple[str, int], pd.DataFrame]:
    """Every arm of :data:`ARMS` on every seed of ``settings["pbt_seeds"]``: each population's schedule, by arm and
    seed, its segments run on ``executor`` (default: serially) and kept in ``storage`` (a SQLite path, studies
    ``pbt-<arm>-<seed>``: a rerun resumes). Its checkpoints are kept while it trains, in
    ``<checkpoint_dir>/<arm>-<seed>`` (default: a temporary folder, or beside ``storage``), and removed once it is
    done (``checkpoint_dir`` too, once empty)."""
    found = {}
    for seed in settings["pbt_seeds"]:
        for arm, switches in ARMS.items():
            folder = None if checkpoint_dir is None else Path(checkpoint_dir) / f"{arm}-{seed}"
            found[arm, seed] = population(objective, settings, seed, **switches, storage=storage,
                                          name=f"pbt-{arm}-{seed}", executor=executor, checkpoint_dir=folder)
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
    if checkpoint_dir is not None and Path(checkpoint_dir).is_dir() and not any(Path(checkpoint_dir).iterdir()):
        Path(checkpoint_dir).rmdir()
    return found


def progress(schedule: pd.DataFrame, arm: str, seed: int) -> list[PopulationPoint]:
    """The best and mean member of ``schedule`` (:func:`population`) at the end of every segment: each member's
    latest value by then (after a failed segment, its last good one, whose checkpoint PBT keeps)."""
    points = []
    for epoch in sorted(schedule.end.unique()):
        done = schedule[schedule.end <= epoch].sort_values("end").groupby("member").value.last().dropna()
        points.append(PopulationPoint(arm, seed, float(epoch), float(done.max()), float(done.mean())))
    return points


def final_members(schedule: pd.DataFrame) -> list[Member]:
    """Each member's last segment of ``schedule`` (:func:`population`): its value and hyperparameters."""
    last = schedule.sort_values("end").groupby("member").last().reset_index()
    return typed(Member, last.to_dict("records"))


def _here(pairs: list[Pair], label: str) -> dict:
    rows = table(pairs)
    return {"": f"here, {label} (median of {len(rows)} seeds)",
            "random": f"{rows.random_epochs.median():.0f} epochs, {100 * rows.random_best.median():.2f} %",
            "LCM": f"{rows.lcm_epochs.median():.0f} epochs, {100 * rows.lcm_best.median():.2f} %",
            "LCM share": rows.epochs_share.median()}


def _slides(dataset: str, label: str) -> dict:
    n = LCM[dataset]
    return {"": f"slides, {label}", "random": f"{n['random_seconds']:g} s, {n['random']:.2f} %",
            "LCM": f"{n['lcm_seconds']:g} s, {n['lcm']:.2f} %", "LCM share": n["lcm_seconds"] / n["random_seconds"]}


def beside_slides(settings: dict, lcm: list[Pair], lcm_cnn: list[Pair]) -> pd.DataFrame:
    """The slides' seconds and best accuracy of random search and LCM beside ours (epochs, median over seeds) on
    the dense layer (``lcm``) and the four-conv network (``lcm_cnn``), with LCM's share of each."""
    return pd.DataFrame([_slides("mnist", "MNIST"), _here(lcm, experiment(settings, False)),
                         _slides("cifar10", "CIFAR-10"), _here(lcm_cnn, experiment(settings, True))])


def population_table(results: Results) -> pd.DataFrame:
    """Per arm (:data:`ARMS`), the median over seeds of the best and the mean member's accuracy at the end, and the
    seeds on which each beat random search's population."""
    from ..book.names import name

    rows, random = [], {m: results.population_end("random", m) for m in ("best", "mean")}
    for arm in ARMS:
        ends = {m: results.population_end(arm, m) for m in ("best", "mean")}
        rows.append({"population": name(arm), "seeds": len(ends["best"]),
                     "best member (median)": pd.Series(ends["best"]).median(),
                     "mean member (median)": pd.Series(ends["mean"]).median(),
                     "best above random search's": _wins(ends["best"], random["best"]),
                     "mean above random search's": _wins(ends["mean"], random["mean"])})
    return pd.DataFrame(rows)


def _wins(first: dict[int, float], second: dict[int, float]) -> str:
    seeds = sorted(set(first) & set(second))
    return f"{sum(first[s] > second[s] for s in seeds)} of {len(seeds)}"


def headline(results: Results) -> dict[str, object]:
    """The numbers the chapter's summary quotes, by name: each LCM experiment's data, its median share of random
    search's epochs, its median accuracy gap (pp) and its same-optimum count, and the median best and mean member
    of each population (PBT, without perturbation, random search)."""
    numbers: dict[str, object] = {}
    for prefix, cnn in (("lcm", False), ("cnn", True)):
        pairs = results.pairs(cnn)
        numbers[f"{prefix}_dataset"] = name(results.settings["cnn_dataset" if cnn else "dataset"])
        numbers[f"{prefix}_share"] = float(pd.Series([p.epochs_share for p in pairs]).median())
        numbers[f"{prefix}_gap"] = float(pd.Series([p.accuracy_gap for p in pairs]).median())
        numbers[f"{prefix}_same"] = f"{sum(p.same_optimum is True for p in pairs)} of {len(pairs)}"
    for arm in ARMS:
        for measure in ("best", "mean"):
            ends = results.population_end(arm, measure)
            numbers[f"{arm}_{measure}"] = float(pd.Series(ends).median()) if ends else math.nan
    numbers["pbt_best"] = results.pbt_best
    return numbers
