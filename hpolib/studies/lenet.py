"""The LeNet-5 chapter: its searches' analysis, and the report's own configurations retrained.

The searches (:func:`search_runs`, :func:`best_per_run`, :func:`confirm`, :func:`comparisons`) are analysed
here, where tests reach them; the notebook holds the narrative, parameters, figures and calls, and writes
:class:`Results`, which the claims ledger reads.

The report (Goulas and Hocquette) gives its three methods' best widths and their validation accuracies
after 40 epochs at batch 64, but not how it trained: activation, optimiser, learning rate and augmentation
are left open. :data:`RECIPES` declares, before any run, the choices a course project training LeNet-5 on
CIFAR-10 in PyTorch would most likely have made, each with where it comes from; :data:`PROTOCOLS` the two
readings of "validation accuracy" (the report's 50,000 / 10,000 train / test split read after every epoch,
and this project's 45,000 / 5,000 train / validation split). :func:`retrain_all` trains every
(configuration, recipe, protocol, seed) once and keeps each run's per-epoch record in a file, so a stopped
sequence resumes where it stopped:

    python -m hpolib.studies.lenet --folder runs/book/full/lenet_retrained --protocol report --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

import pandas as pd
import torch

from ..book.sources import LENET_REPORT
from .stored import Stored

__all__ = ["Results", "search_runs", "per_method", "best_per_run", "confirm", "curve_of", "comparisons",
           "beside_report", "REPORT_CONFIGS", "Recipe", "RECIPES", "PROTOCOLS", "Run", "retrain", "retrain_all",
           "retrain_precision", "runs_of", "per_run", "summary", "chosen_recipe", "wider_space", "space_was_the_limit"]

WIDTHS = ("f6", "c1", "c3", "c5")  # the report's order, F6-C1-C3-C5
REPORT_CONFIGS = {method: {k: int(row[k]) for k in WIDTHS} for method, row in LENET_REPORT.items()}
"""The report's best configuration of each method (its table of results)."""
EPOCHS, BATCH_SIZE = 40, 64  # the report's training of each configuration
DATA_OPTIONS = {"size": 32, "grayscale": False}  # CIFAR-10 as the chapter's full profile loads it
RECORD_VERSION = 1  # part of every stored run's key: raise it when a change to the training changes the numbers


@dataclass(frozen=True)
class Recipe:
    """How a configuration is trained, where the report is silent; ``reference`` says where each choice comes
    from."""

    name: str
    activation: str
    optimizer: str
    lr: float
    augment: str
    reference: str
    momentum: float = 0.9


RECIPES = {r.name: r for r in (
    Recipe("hpolib", "tanh", "sgd", 0.01, "none",
           "this chapter's search and confirmations: LeNet-5's tanh (LeCun et al. 1998), SGD at 0.01 with "
           "momentum 0.9, no augmentation"),
    Recipe("pytorch-tutorial", "relu", "sgd", 0.001, "none",
           "PyTorch's CIFAR-10 tutorial 'Training a classifier' (a ReLU LeNet, SGD at 0.001 with momentum 0.9, "
           "no augmentation), the usual starting point of a course project"),
    Recipe("relu-crop-flip", "relu", "sgd", 0.01, "crop-flip",
           "ReLU, SGD at 0.01 with momentum 0.9, and the standard CIFAR augmentation: random crops of 4-px "
           "padded images and horizontal flips (He et al. 2016, sec. 4.2)"),
    Recipe("adam-crop-flip", "relu", "adam", 0.001, "crop-flip",
           "ReLU, Adam at its default 0.001 (Kingma and Ba 2015), random crops and flips"),
)}
"""The declared recipes, fixed before the first run; every one tried is reported."""

PROTOCOLS = {
    "report": "trained on all 50,000 training images, accuracy on the 10,000 test images after every epoch",
    "hpolib": "trained on 45,000 training images, accuracy on the other 5,000 (validation) and on the 10,000 "
              "test images after every epoch",
}


@dataclass(frozen=True)
class Run:
    """One training run: a configuration, a recipe, a protocol and a seed.

    ``config`` names one of the report's configurations (:data:`REPORT_CONFIGS`), or, with ``widths``
    (F6, C1, C3, C5), any other, e.g. the best one a search here confirmed.
    """

    config: str
    recipe: str
    protocol: str
    seed: int
    widths: tuple[int, int, int, int] | None = None

    def __post_init__(self):
        if self.widths is None and self.config not in REPORT_CONFIGS:
            raise ValueError(f"config must be one of {', '.join(REPORT_CONFIGS)}, or come with its widths, got "
                             f"{self.config!r}")
        if self.widths is not None and not (len(self.widths) == 4 and all(
                isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in self.widths)):
            raise ValueError(f"widths must be four whole numbers >= 1 (F6, C1, C3, C5), got {self.widths!r}")
        for name, value, known in (("recipe", self.recipe, RECIPES), ("protocol", self.protocol, PROTOCOLS)):
            if value not in known:
                raise ValueError(f"{name} must be one of {', '.join(known)}, got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a whole number >= 0, got {self.seed!r}")

    @property
    def layers(self) -> dict[str, int]:
        """The widths by name."""
        return REPORT_CONFIGS[self.config] if self.widths is None else dict(zip(WIDTHS, self.widths))


def _splits(protocol: str, data):
    """The dataset a protocol trains and reads: the report's protocol trains on train + validation."""
    from ..dl.data import Dataset, Split

    if protocol == "hpolib":
        return data
    train = Split(torch.cat([data.train.x, data.val.x]), torch.cat([data.train.y, data.val.y]))
    return Dataset(data.name, train, data.test, data.test, data.classes, data.mean, data.std)


def retrain(run: Run, data, epochs: int = EPOCHS, progress: bool = False, code: str | None = None,
            precision: str = "float32") -> dict:
    """Train ``run`` on ``data`` (as :func:`hpolib.dl.data.load` gives it) for ``epochs`` epochs in ``precision``
    (see :func:`retrain_precision`); the record holds each epoch's train loss, validation and test accuracy and
    loss, and seconds, and ``code``: the commit the process imported its code from (default: the commit checked
    out now)."""
    from tqdm.auto import tqdm

    from ..book.provenance import commit, cpu_name
    from ..dl.models import lenet5
    from ..dl.training import Diverged, evaluate, train

    code = commit() if code is None else code
    recipe, split = RECIPES[run.recipe], _splits(run.protocol, data)
    torch.manual_seed(run.seed)
    widths = run.layers
    model = lenet5(widths["c1"], widths["c3"], widths["c5"], widths["f6"], in_channels=split.shape[0],
                   num_classes=split.num_classes, input_size=split.shape[1], activation=recipe.activation)
    epochs_seen: list[dict] = []
    bar = tqdm(total=epochs, desc=f"{run.config}, {run.recipe}, seed {run.seed}", leave=False, disable=not progress)

    def record(epoch: int, metrics: dict) -> None:
        bar.update()
        test_loss, test_accuracy = evaluate(model, split.test)
        held_out = run.protocol == "hpolib"
        epochs_seen.append({"epoch": epoch, "train_loss": metrics["train_loss"],
                            "val_accuracy": metrics["val_accuracy"] if held_out else None,
                            "val_loss": metrics["val_loss"] if held_out else None,
                            "test_accuracy": test_accuracy, "test_loss": test_loss, "seconds": metrics["seconds"]})

    failure = None
    try:
        train(model, split, epochs, optimizer=recipe.optimizer, lr=recipe.lr, momentum=recipe.momentum,
              batch_size=BATCH_SIZE, seed=run.seed, augment=recipe.augment, report=record, precision=precision)
    except Diverged as error:
        failure = str(error)
    bar.close()
    return {"epochs": epochs_seen, "failure": failure, "commit": code, "cpu": cpu_name(),
            "threads": torch.get_num_threads(), "capability": torch.backends.cpu.get_cpu_capability(),
            "torch": torch.__version__, "precision": precision, "train_images": len(split.train),
            "read_images": len(split.val)}


def _key(run: Run, epochs: int, data: dict, precision: str = "float32") -> dict:
    return {**asdict(run), "widths": run.layers, "recipe_settings": asdict(RECIPES[run.recipe]), "epochs": epochs,
            "batch_size": BATCH_SIZE, "data": data, "version": RECORD_VERSION,
            **({} if precision == "float32" else {"precision": precision})}  # float32 runs keep their first keys


def retrain_precision(profile_precision: str) -> str:
    """The arithmetic the report's configurations are retrained in: float32, PyTorch's default and so the report's,
    but float64 where the profile trains in float64 (``smoke``, whose nbval baseline must read alike on any CPU)."""
    return "float64" if profile_precision == "float64" else "float32"


def _path(folder: Path, key: dict) -> Path:
    return folder / (hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16] + ".json")


def retrain_all(folder: str | Path, runs: list[Run], dataset="cifar10", data_options: dict | None = None,
                epochs: int = EPOCHS, progress: bool = True, precision: str = "float32") -> pd.DataFrame:
    """Every run of ``runs`` on ``dataset`` (a name for :func:`hpolib.dl.data.load` with ``data_options``,
    loaded only if a run is not stored yet; or a loaded dataset), trained, or read back from ``folder`` where an
    earlier call stored it, as :func:`runs_of` gives them."""
    from tqdm.auto import tqdm

    from ..dl.data import load
    from ..storage import stored

    from ..book.provenance import commit

    folder, about = Path(folder), _data_key(dataset, data_options)
    data = None if isinstance(dataset, str) else dataset
    code = commit()  # once: a long queue's later runs use the code imported now, whatever is checked out then
    for run in tqdm(runs, desc="LeNet-5 retrained", disable=not progress):
        key = _key(run, epochs, about, precision)
        if not _path(folder, key).exists():
            data = load(dataset, **(data_options or {})) if data is None else data
            stored(_path(folder, key), key,
                   lambda run=run, data=data: retrain(run, data, epochs, progress, code, precision))
    return runs_of(folder, runs, dataset, data_options, epochs, precision)


def _data_key(dataset, data_options: dict | None) -> dict:
    return {"dataset": dataset if isinstance(dataset, str) else dataset.name, **(data_options or {})}


def runs_of(folder: str | Path, runs: list[Run], dataset="cifar10", data_options: dict | None = None,
            epochs: int = EPOCHS, precision: str = "float32") -> pd.DataFrame:
    """One row per stored epoch of ``runs`` (those not stored yet are left out): the run's fields, its widths,
    the CPU, and the epoch's metrics."""
    rows, about = [], _data_key(dataset, data_options)
    for run in runs:
        path = _path(Path(folder), _key(run, epochs, about, precision))
        if not path.exists():
            continue
        record = json.loads(path.read_text())["record"]
        fields = {"config": run.config, "recipe": run.recipe, "protocol": run.protocol, "seed": run.seed,
                  "widths": "-".join(str(run.layers[k]) for k in WIDTHS), "cpu": record["cpu"],
                  "failure": record["failure"]}
        rows += [{**fields, **epoch} for epoch in record["epochs"]]
    return pd.DataFrame(rows)


KEYS = ["protocol", "recipe", "config", "widths"]


def per_run(frame: pd.DataFrame) -> pd.DataFrame:
    """Per run (a row of :func:`runs_of` per epoch in ``frame``): the accuracy (%) read after the last epoch and
    at the best epoch, that epoch, and the CPU. The accuracy read is the test set's under the report's protocol
    and the validation set's under this chapter's."""
    if not len(frame):
        return pd.DataFrame(columns=[*KEYS, "seed", "last", "best", "best_epoch", "cpu"])
    read = frame.test_accuracy.where(frame.protocol == "report", frame.val_accuracy) * 100
    return frame.assign(read=read).groupby([*KEYS, "seed"], sort=False).agg(
        last=("read", "last"), best=("read", "max"), best_epoch=("read", lambda r: int(r.values.argmax()) + 1),
        cpu=("cpu", "first")).reset_index()


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per configuration, recipe and protocol: seeds, the last- and best-epoch accuracy (mean and standard
    deviation over seeds, in %), the median best epoch, and the CPUs (see :func:`per_run`)."""
    runs = per_run(frame)
    return runs.groupby(KEYS, sort=False).agg(
        seeds=("last", "size"), last_mean=("last", "mean"), last_sd=("last", "std"), best_mean=("best", "mean"),
        best_sd=("best", "std"), best_epoch=("best_epoch", "median"),
        cpu=("cpu", lambda c: ", ".join(sorted(set(c))))).reset_index()


def chosen_recipe(runs: pd.DataFrame) -> str | None:
    """The recipe the chapter goes on with, by the rule declared before the runs: the highest mean last-epoch
    accuracy over the report's three configurations under the report's protocol, among the recipes with every
    configuration on at least one seed."""
    report = runs[(runs.protocol == "report") & runs.config.isin(list(REPORT_CONFIGS))]
    complete = report.groupby("recipe").filter(lambda r: r.config.nunique() == len(REPORT_CONFIGS))
    if not len(complete):
        return None
    return str(complete.groupby(["recipe", "config"])["last"].mean().groupby("recipe").mean().idxmax())


# ------------------------------------------------------------------------------------- the searches

HEADLINE = ("random", "pso", "bohb")  # the report's three methods
COMPARED = [("pso", "random"), ("bohb", "random"), ("pso", "bohb"), ("bohb", "pso"), ("tpe", "random"),
            ("gp", "random"), ("ga", "random"), ("hyperband", "random"), ("dehb", "random"),
            ("dehb", "bohb")]  # each: the first ahead of the second?


@dataclass
class Results(Stored):
    """What the chapter's notebook writes (``lenet_hpo_results.json``) and the claims ledger reads."""

    profile: str
    settings: dict
    grid_size: int
    full_data_share: float
    summary: list[dict] = field(default_factory=list)
    search_epochs: list[dict] = field(default_factory=list)
    confirmed: list[dict] = field(default_factory=list)
    tests: list[dict] = field(default_factory=list)
    retrained: list[dict] = field(default_factory=list)
    wider: list[dict] = field(default_factory=list)



def search_runs(trials: pd.DataFrame, epochs: float, share: float) -> pd.DataFrame:
    """Per method and seed: trials, failed trials, trials at the full budget, epochs spent on the search's subset
    and in full-data epochs (``share``: one subset epoch in full-data epochs)."""
    runs = trials.groupby(["method", "seed"], sort=False).agg(
        trials=("number", "count"), failed=("state", lambda x: int((x == "failed").sum())),
        top_budget=("budget", lambda b: int((b == epochs).sum())), epochs=("cost", "sum"))
    return runs.assign(full_data_epochs=runs.epochs * share).reset_index()


def per_method(runs: pd.DataFrame) -> pd.DataFrame:
    """:func:`search_runs` per method: seeds, and the median over them."""
    return runs.groupby("method", sort=False).agg(seeds=("trials", "size"), trials=("trials", "median"),
                                                  at_full_budget=("top_budget", "median"), failed=("failed", "sum"),
                                                  full_data_epochs=("full_data_epochs", "median"))


def best_per_run(trials: pd.DataFrame) -> pd.DataFrame:
    """Per method and seed, the incumbent (the best at the largest budget evaluated, :class:`hpolib.Incumbent`):
    its widths (C1, C3, C5, F6) and its validation accuracy in the search."""
    from ..direction import Incumbent

    rows = []
    for (method, seed), group in trials[trials.state == "complete"].groupby(["method", "seed"], sort=False):
        best = Incumbent("maximize")
        for row in group.itertuples():
            best.offer(row, row.value, row.budget)
        rows.append({"method": method, "seed": seed, **{k.upper(): int(getattr(best.item, k)) for k in
                                                        ("c1", "c3", "c5", "f6")}, "search_val_accuracy": best.value})
    return pd.DataFrame(rows)


def _kept(folder: Path, key: dict, make: Callable[[], dict]) -> dict:
    """``make()``'s record, stored under ``folder`` in a file named by a hash of ``key``."""
    from ..storage import stored

    name = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return stored(folder / f"{name}.json", key, make)


def _config(row) -> dict:
    return {k: int(row[k.upper()]) for k in ("c1", "c3", "c5", "f6")}


def confirm(best: pd.DataFrame, train: Callable, folder: str | Path, key: dict) -> pd.DataFrame:
    """``best`` (:func:`best_per_run`) with each configuration's validation and test accuracy after ``train``
    (an objective, ``train(config)`` -> metrics), each kept in ``folder`` under ``key`` and its configuration."""
    def metrics(config: dict) -> dict:
        return _kept(Path(folder), key | {"config": config}, lambda: {k: float(v) for k, v in train(config).items()})

    found = [metrics(_config(row)) for _, row in best.iterrows()]
    return best.assign(val_accuracy=[m.get("val_accuracy", np.nan) for m in found],
                       test_accuracy=[m.get("test_accuracy", np.nan) for m in found])


def curve_of(config: dict, train: Callable, folder: str | Path, key: dict) -> pd.Series:
    """The validation accuracy after each epoch of ``train(config, report=...)``, kept in ``folder``."""
    def recording() -> dict:
        seen: list[float] = []
        train(config, report=lambda epoch, value: seen.append(float(value)))
        return {"val_accuracy": seen}

    seen = _kept(Path(folder), key | {"config": config, "per_epoch": "val_accuracy"}, recording)["val_accuracy"]
    return pd.Series(seen, index=range(1, len(seen) + 1), name="val_accuracy")


def comparisons(at_budget: dict[str, pd.DataFrame], confirmed: pd.DataFrame) -> pd.DataFrame:
    """Each pair of :data:`COMPARED` both run, at each budget (``at_budget``: a label and a seeds x methods frame
    of the incumbent's accuracy) and after confirmation: :func:`hpolib.analysis.stats.paired` and its
    :func:`~hpolib.analysis.stats.call`."""
    from ..analysis.stats import call, paired

    values = {**at_budget, "confirmed": confirmed.pivot_table(index="seed", columns="method",
                                                              values="val_accuracy")}
    rows = []
    for first, second in COMPARED:
        for measure, frame in values.items():
            if first in frame and second in frame:
                row = paired(frame[first], frame[second], alternative="greater")
                rows.append({"comparison": f"{first} > {second}", "measure": measure, **row,
                             "mean_diff_pp": 100 * row["mean_diff"], "verdict": call(row)})
    return pd.DataFrame(rows)


def _widths(row) -> str:
    """A configuration's widths as C1-C3-C5-F6, from lower-case keys (the report's table) or upper-case ones (a
    confirmed run)."""
    keys = ("c1", "c3", "c5", "f6") if "f6" in row else ("C1", "C3", "C5", "F6")
    return "-".join(str(int(row[k])) for k in keys)


def wider_space(narrow: pd.DataFrame, wide: pd.DataFrame, ranges: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """Per method and seed confirmed (:func:`confirm`) in both the report's space (``narrow``) and a wider one:
    each best configuration's confirmed validation accuracy, their difference in points, the wider one's widths
    (C1-C3-C5-F6), and which of them lie outside the report's ``ranges``."""
    keys = ["method", "seed"]
    both = wide.merge(narrow[keys + ["val_accuracy"]], on=keys, suffixes=("", "_narrow"))

    def outside(row) -> str:
        names = [k.upper() for k, (low, high) in ranges.items() if not low <= row[k.upper()] <= high]
        return ", ".join(names) or "none"

    return pd.DataFrame({
        "method": both.method, "seed": both.seed,
        "report's space": both.val_accuracy_narrow, "wider space": both.val_accuracy,
        "wider − report's (pp)": 100 * (both.val_accuracy - both.val_accuracy_narrow),
        "wider space: C1-C3-C5-F6": [_widths(r) for _, r in both.iterrows()],
        "outside the report's ranges": [outside(r) for _, r in both.iterrows()]})


def space_was_the_limit(table: pd.DataFrame) -> str:
    """Whether the wider space's best configurations beat the report's space's, paired over every method and seed
    of :func:`wider_space` (:func:`hpolib.analysis.stats.paired`, one-sided), in a sentence."""
    from ..analysis.stats import call, paired

    if table.empty:
        return "No method ran in both spaces on a common seed."
    row = paired(table["wider space"], table["report's space"], alternative="greater")
    ahead = (f"The wider space's best came out ahead on {row['wins']} of {row['n']} method-seed pairs, by "
             f"{100 * row['mean_diff']:+.2f} points on average")
    if not row["p"] <= 1:  # no test on these pairs (one pair, or every pair tied)
        return f"{ahead}: too few pairs to tell."
    verdict = call(row, ("the report's ranges held the searches back", "too few pairs to tell",
                         "no sign that the report's ranges held the searches back"))
    return f"{ahead} (one-sided Wilcoxon signed-rank, p = {row['p']:.2g}): {verdict}."


def beside_report(confirmed: pd.DataFrame, methods: list[str]) -> pd.DataFrame:
    """The report's widths and accuracy per method beside the best confirmed configuration of each here."""
    paper = pd.DataFrame([{"method": m, "report: C1-C3-C5-F6": _widths(r), "report: validation accuracy":
                           r["accuracy"] / 100} for m, r in LENET_REPORT.items()])
    best = confirmed.loc[confirmed.groupby("method", sort=False).val_accuracy.idxmax().dropna()]
    ours = pd.DataFrame({"method": best.method, "here: C1-C3-C5-F6": [_widths(r) for _, r in best.iterrows()],
                         "here: best validation accuracy": best.val_accuracy,
                         "here: its test accuracy": best.test_accuracy})
    order = {name: k for k, name in enumerate(dict.fromkeys([*HEADLINE, *methods]))}
    return paper.merge(ours, on="method", how="outer").sort_values("method", key=lambda m: m.map(order),
                                                                   kind="stable").reset_index(drop=True)


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m hpolib.studies.lenet",
                                     description="Retrain the LeNet report's configurations (resumable).")
    parser.add_argument("--folder", required=True, help="where each run's record is kept")
    parser.add_argument("--protocol", choices=list(PROTOCOLS), nargs="+", default=["report"])
    parser.add_argument("--recipe", choices=list(RECIPES), nargs="+", default=list(RECIPES))
    parser.add_argument("--config", choices=list(REPORT_CONFIGS), nargs="+", default=list(REPORT_CONFIGS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args(argv)
    runs = [Run(c, r, p, s) for s in args.seeds for p in args.protocol for r in args.recipe for c in args.config]
    frame = retrain_all(args.folder, runs, data_options=DATA_OPTIONS, epochs=args.epochs)
    print(summary(frame).to_string(index=False))


if __name__ == "__main__":
    _main()
