"""A tabular benchmark of the LeNet report's space: every configuration of a grid trained once, curve and all.

The grid spans the report's ranges (F6 125-325, C1 and C3 1-32, C5 40-130). C1 and C3 are spaced
densest where a filter more changes accuracy most, where there are few (1, 4, 8, 16, 24, 32), F6 and C5
evenly: :data:`GRID`, 720 configurations. Each is trained once on the chapter's search
fidelity (a stratified 10,000-image subset of CIFAR-10's training images, 9,000 trained on and 1,000 held out,
for 12 epochs at batch 64 under a recipe of :data:`hpolib.studies.lenet.RECIPES`), and after every epoch its
train loss, validation and test accuracy and loss (test: all 10,000 test images), seconds and CPU are kept.
A random sample of :data:`NOISE_CONFIGS` configurations is trained on more seeds to give the table's noise.

:func:`build` trains what is not stored yet (one file per run, so a stopped build resumes where it stopped);
:func:`compile_table` gathers the runs into one compact CSV, the committed table:

    python -m hpolib.studies.lenet_table --folder runs/book/full/lenet_table --recipe hpolib

:class:`hpolib.problems.LenetTable` (``hpolib.problems.lenet_table()``) lets any optimiser query it.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from .lenet import BATCH_SIZE, RECIPES, WIDTHS, Run, retrain

__all__ = ["GRID", "NOISE_CONFIGS", "NOISE_SEEDS", "EPOCHS", "SUBSET", "configurations", "build", "compile_table"]

GRID = {"f6": (125, 175, 225, 275, 325), "c1": (1, 4, 8, 16, 24, 32), "c3": (1, 4, 8, 16, 24, 32),
        "c5": (40, 70, 100, 130)}
"""The values of each width; the grid is their product (5 x 6 x 6 x 4 = 720 configurations)."""
EPOCHS, SUBSET = 12, 10_000
NOISE_CONFIGS, NOISE_SEEDS = 100, (1, 2)  # configurations trained again on these seeds, for the table's noise
COLUMNS = ["f6", "c1", "c3", "c5", "seed", "epoch", "train_loss", "val_accuracy", "val_loss", "test_accuracy",
           "test_loss", "seconds", "cpu"]


def configurations() -> list[dict[str, int]]:
    """Every configuration of :data:`GRID`, in a fixed order."""
    return [dict(zip(WIDTHS, values)) for values in itertools.product(*(GRID[k] for k in WIDTHS))]


def _runs(recipe: str) -> list[Run]:
    """Seed 0 of every configuration, then the noise sample's other seeds (the sample drawn with seed 0)."""
    grid = configurations()
    sample = np.random.default_rng(0).choice(len(grid), size=NOISE_CONFIGS, replace=False)
    def run(index: int, seed: int) -> Run:
        widths = tuple(grid[index][k] for k in WIDTHS)
        return Run("table " + "-".join(map(str, widths)), recipe, "hpolib", seed, widths)  # type: ignore[arg-type]
    return [run(i, 0) for i in range(len(grid))] + [run(int(i), s) for s in NOISE_SEEDS for i in sorted(sample)]


def _path(folder: Path, key: dict) -> Path:
    return folder / (hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16] + ".json")


def _key(run: Run, data_key: dict) -> dict:
    return {"widths": run.layers, "seed": run.seed, "recipe": asdict(RECIPES[run.recipe]), "epochs": EPOCHS,
            "batch_size": BATCH_SIZE, "data": data_key}


def build(folder: str | Path, recipe: str, dataset="cifar10", data_options: dict | None = None,
          runs: list[Run] | None = None, progress: bool = True) -> int:
    """Train every run of the table (by default :func:`_runs` of ``recipe``) not stored in ``folder`` yet, on
    ``dataset`` (a name for :func:`hpolib.dl.data.load`, loaded only if needed, or a loaded dataset); return
    how many are stored."""
    from tqdm.auto import tqdm

    from ..dl.data import load
    from ..storage import stored

    options = {"subset": SUBSET, "size": 32, "grayscale": False} if data_options is None else data_options
    data_key = {"dataset": dataset if isinstance(dataset, str) else dataset.name, **options}
    data = None if isinstance(dataset, str) else dataset
    folder, runs = Path(folder), _runs(recipe) if runs is None else runs
    for run in tqdm(runs, desc="LeNet-5 table", disable=not progress):
        key = _key(run, data_key)
        if not _path(folder, key).exists():
            data = load(dataset, **options) if data is None else data
            stored(_path(folder, key), key, lambda run=run, data=data: retrain(run, data, EPOCHS))
    return sum(_path(folder, _key(run, data_key)).exists() for run in runs)


def compile_table(folder: str | Path, out: str | Path | None = None) -> pd.DataFrame:
    """Every stored run in ``folder`` as one row per epoch (:data:`COLUMNS`), sorted; written to ``out`` (a CSV,
    compressed when it ends in ``.gz``) when given."""
    rows = []
    for path in sorted(Path(folder).glob("*.json")):
        stored = json.loads(path.read_text())
        key, record = stored["key"], stored["record"]
        rows += [{**key["widths"], "seed": key["seed"], **epoch, "cpu": record["cpu"]} for epoch in record["epochs"]]
    table = pd.DataFrame(rows, columns=COLUMNS).sort_values(["f6", "c1", "c3", "c5", "seed", "epoch"])
    table = table.reset_index(drop=True)
    if out is not None:
        table.to_csv(out, index=False, float_format="%.6g")
    return table


def _main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m hpolib.studies.lenet_table",
                                     description="Build the LeNet-5 tabular benchmark (resumable).")
    parser.add_argument("--folder", required=True, help="where each run's record is kept")
    parser.add_argument("--recipe", choices=list(RECIPES), required=True)
    parser.add_argument("--table", help="write the compiled table here (.csv or .csv.gz)")
    args = parser.parse_args(argv)
    stored = build(args.folder, args.recipe)
    print(f"{stored} runs stored in {args.folder}")
    if args.table:
        print(f"{len(compile_table(args.folder, args.table)):,} rows written to {args.table}")


if __name__ == "__main__":
    _main()
