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

__all__ = ["GRID", "NOISE_CONFIGS", "NOISE_SEEDS", "EPOCHS", "SUBSET", "VALIDATION", "configurations", "build",
           "compile_table", "noise", "card"]

GRID = {"f6": (125, 175, 225, 275, 325), "c1": (1, 4, 8, 16, 24, 32), "c3": (1, 4, 8, 16, 24, 32),
        "c5": (40, 70, 100, 130)}
"""The values of each width; the grid is their product (5 x 6 x 6 x 4 = 720 configurations)."""
EPOCHS, SUBSET = 12, 10_000
VALIDATION = SUBSET // 10  # the images of the subset held out for validation: the loader's tenth
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

    from ..book.provenance import commit
    from ..dl.data import load
    from ..storage import stored

    code = commit()  # once: a build's later runs use the code imported now, whatever is checked out then
    options = {"subset": SUBSET, "size": 32, "grayscale": False} if data_options is None else data_options
    data_key = {"dataset": dataset if isinstance(dataset, str) else dataset.name, **options}
    data = None if isinstance(dataset, str) else dataset
    folder, runs = Path(folder), _runs(recipe) if runs is None else runs
    for run in tqdm(runs, desc="LeNet-5 table", disable=not progress):
        key = _key(run, data_key)
        if not _path(folder, key).exists():
            data = load(dataset, **options) if data is None else data
            stored(_path(folder, key), key, lambda run=run, data=data: retrain(run, data, EPOCHS, code=code))
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
    if out is not None:  # gzip without a time stamp: the same runs give the same bytes, so the checksum is stable
        table.to_csv(out, index=False, float_format="%.6g", compression={"method": "infer", "mtime": 0})
    return table


def noise(table: pd.DataFrame) -> dict[str, float]:
    """How far one training run reads a configuration, from the configurations trained on several seeds: the
    median and the largest spread (standard deviation over seeds) of the last epoch's validation accuracy, the
    same of its test accuracy, and Spearman's rank correlation between seed 0's and another seed's last-epoch
    validation accuracies (how well one run orders the configurations)."""
    last = table[table.epoch == table.epoch.max()]
    repeated = last.groupby(["f6", "c1", "c3", "c5"]).filter(lambda g: g.seed.nunique() > 1)
    if repeated.empty:
        return {}
    spread = repeated.groupby(["f6", "c1", "c3", "c5"])[["val_accuracy", "test_accuracy"]].std()
    by_seed = repeated.pivot_table(index=["f6", "c1", "c3", "c5"], columns="seed", values="val_accuracy")
    others = [seed for seed in by_seed.columns if seed != 0]
    return {"configurations": len(spread), "seeds": int(repeated.seed.nunique()),
            "val_sd_median": float(spread.val_accuracy.median()), "val_sd_max": float(spread.val_accuracy.max()),
            "test_sd_median": float(spread.test_accuracy.median()),
            "spearman": float(np.mean([by_seed[0].corr(by_seed[seed], method="spearman") for seed in others]))}


def card(table: pd.DataFrame, path: str | Path, recipe: str) -> str:
    """The data card of the compiled table at ``path``: what it holds, how it was made, its checksum and its
    noise, in Markdown."""
    last = table[(table.seed == 0) & (table.epoch == table.epoch.max())]
    best = last.loc[last.val_accuracy.idxmax()]
    n, digest = noise(table), hashlib.sha256(Path(path).read_bytes()).hexdigest()
    seconds = table.seconds.sum()
    lines = [
        "# The LeNet-5 / CIFAR-10 tabular benchmark", "",
        f"Every configuration of a grid over the LeNet report's four widths ({_grid_words()}: "
        f"{len(configurations())} configurations) trained once for {EPOCHS} epochs at batch {BATCH_SIZE} on a "
        f"stratified {SUBSET:,}-image subset of CIFAR-10's training images ({SUBSET - VALIDATION:,} trained on, "
        f"{VALIDATION:,} held out for "
        "validation), under the recipe "
        f"`{recipe}` ({RECIPES[recipe].reference}). After every epoch: the train loss, the validation and the test "
        "accuracy and loss (test: all 10,000 test images), the seconds the epoch's training took and the CPU.", "",
        "## Contents", "",
        f"- `{Path(path).name}`: {len(table):,} rows ({', '.join(COLUMNS)}), one per configuration, seed and "
        f"epoch; sha256 `{digest}`.",
        f"- {table[table.seed == 0].groupby(['f6', 'c1', 'c3', 'c5']).ngroups} of the {len(configurations())} "
        "configurations on seed 0" + (f"; {n['configurations']} of them, drawn at random, on {n['seeds']} seeds."
                                      if n else "."),
        f"- Best on seed 0 after {EPOCHS} epochs: C1-C3-C5-F6 {best.c1}-{best.c3}-{best.c5}-{best.f6}, validation "
        f"accuracy {best.val_accuracy:.3f}, test {best.test_accuracy:.3f}.",
        f"- Training time, summed over every run: {seconds / 3600:.1f} hours on one thread "
        f"({', '.join(sorted(set(table.cpu)))}), on a machine shared with other work: seconds are wall time.", "",
        "## Noise", "",
    ]
    if n:
        lines += [f"Over the {n['configurations']} configurations trained on {n['seeds']} seeds, the last epoch's "
                  f"validation accuracy moves by a median standard deviation of {100 * n['val_sd_median']:.2f} pp "
                  f"(at most {100 * n['val_sd_max']:.2f} pp), the test accuracy by "
                  f"{100 * n['test_sd_median']:.2f} pp; one run orders the configurations as another seed does "
                  f"with a Spearman correlation of {n['spearman']:.2f}. One validation image is 0.1 pp.", ""]
    else:
        lines += ["Not measured yet: no configuration is on more than one seed.", ""]
    lines += [
        "## How it was made", "",
        "```bash",
        f"python -m hpolib.studies.lenet_table --folder runs/book/full/lenet_table --recipe {recipe} \\",
        f"    --table {path}",
        "```", "",
        "The command trains what its folder does not hold yet (one file per run) and compiles the table, so a "
        "stopped build resumes where it stopped.", "",
        "## What it cannot say", "",
        f"- One fidelity: {EPOCHS} epochs on {SUBSET:,} images, not the report's 40 epochs on 50,000.",
        "- One training seed per configuration but for the noise sample: a method's regret is read against one "
        "draw of each configuration's accuracy.",
        "- A grid, not the report's continuous integer ranges: a configuration off the grid is answered by its "
        "nearest grid point.", ""]
    return "\n".join(lines)


def _grid_words() -> str:
    return "; ".join(f"{k.upper()} {', '.join(map(str, GRID[k]))}" for k in ("c1", "c3", "c5", "f6"))


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
        table = compile_table(args.folder, args.table)
        card_path = Path(args.table).with_name(Path(args.table).name.split(".")[0] + ".md")
        card_path.write_text(card(table, args.table, args.recipe))
        print(f"{len(table):,} rows written to {args.table}, its data card to {card_path}")


if __name__ == "__main__":
    _main()
