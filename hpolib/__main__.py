"""Command line: ``python -m hpolib demo`` or ``python -m hpolib run STUDY`` (or the ``hpolib`` script).

``run`` executes study notebooks with papermill at a profile (see :mod:`hpolib.book.runner`).

``demo`` runs grid and random search on two synthetic functions and a real
scikit-learn MLP on the bundled digits, several seeds each, stores every
trial in a SQLite file (running it again resumes rather than repeats) and
prints a result table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from . import GridSearch, Optimizer, ProcessExecutor, RandomSearch, SerialExecutor, Study
from .problems import Branin, DigitsMLP, Hartmann3


def _grid_resolution(space, n_trials: int) -> int:
    """The finest per-parameter resolution (at least 2) whose grid fits in ``n_trials``."""
    k = 2
    while space.grid(k + 1).size <= n_trials:
        k += 1
    return k


def demo(n_trials: int, seeds: int, workers: int, storage: str, progress: bool | None) -> pd.DataFrame:
    """Grid and random search on Branin, Hartmann-3 and the digits MLP; one row per problem and method."""
    problems: dict[str, Branin | Hartmann3 | DigitsMLP] = {"branin": Branin(), "hartmann3": Hartmann3(),
                                                           "digits_mlp": DigitsMLP(max_budget=8)}
    rows = []
    for problem, objective in problems.items():
        for method in ("grid", "random"):
            for seed in range(seeds):
                if method == "grid":
                    resolution = _grid_resolution(objective.space, n_trials)
                    optimizer: Optimizer = GridSearch(objective.space, resolution=resolution, shuffle=True, seed=seed)
                else:
                    optimizer = RandomSearch(objective.space, seed=seed)
                executor = ProcessExecutor(workers) if workers > 1 else SerialExecutor()
                study = Study(objective.space, optimizer, name=f"demo-{problem}-{method}-seed{seed}",
                              storage=storage, executor=executor)
                started = time.perf_counter()
                study.optimize(objective, n_trials=n_trials, progress=progress)
                best = study.best
                assert best.value is not None  # the best trial is a complete one
                rows.append({"problem": problem, "method": method, "seed": seed, "trials": len(study.trials),
                             "best": best.value, "regret": best.value - objective.optimum,
                             "seconds": time.perf_counter() - started})
    runs = pd.DataFrame(rows)
    return (runs.groupby(["problem", "method"], sort=False)
            .agg(seeds=("seed", "count"), trials=("trials", "max"), median_regret=("regret", "median"),
                 best_regret=("regret", "min"), seconds=("seconds", "sum"))
            .reset_index())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hpolib", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("demo", help="grid vs random search on synthetic functions and the digits MLP")
    p.add_argument("--trials", type=int, default=30, help="trials per study (default 30)")
    p.add_argument("--seeds", type=int, default=2, help="seeds per method (default 2)")
    p.add_argument("--workers", type=int, default=2, help="worker processes; 1 runs in-process (default 2)")
    p.add_argument("--storage", default="runs/demo.db", help="SQLite file (default runs/demo.db)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    r = commands.add_parser("run", help="run study notebooks with papermill at a profile")
    r.add_argument("studies", nargs="+", help="notebook names, or 'all'")
    r.add_argument("--profile", default="quick", help="smoke | quick | full | paper (default quick)")
    r.add_argument("-p", "--parameter", action="append", default=[], metavar="KEY=VALUE",
                   help="set a notebook parameter (repeatable); VALUE is read as a Python literal when it is one")
    r.add_argument("--output", default=None, help="results folder (default runs/book); a subfolder per profile")
    r.add_argument("--baseline", action="store_true",
                   help="write the nbval baseline (smoke profile) into tests/notebooks instead")
    r.add_argument("--executor", default=None, metavar="SPEC",
                   help="where the trials run: serial (default), processes:N, dask, dask:N, dask://HOST:PORT, "
                        "tcp://HOST:PORT, tls://HOST:PORT, or slurm with --executor-config")
    r.add_argument("--executor-config", default=None, metavar="FILE",
                   help="the SLURM cluster's YAML file (queue, cores, memory, walltime, jobs; account, gpus)")
    r.add_argument("--executor-insecure", action="store_true",
                   help="allow plain tcp:// to a scheduler on another machine (neither encrypted nor authenticated)")
    r.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="notebooks run at once, the cores shared out among them (default 1)")
    r.add_argument("--allow-dirty", action="store_true",
                   help="run the full or paper profile from uncommitted code (an experiment: its provenance says so)")
    r.add_argument("--mlflow", nargs="?", const="", default=None, metavar="URI",
                   help="after each chapter, export every study of its SQLite store (<chapter>.db) to MLflow, "
                        "experiment hpo-study, at URI (default $MLFLOW_TRACKING_URI, else mlruns/ here)")
    b = commands.add_parser("book", help="build the Jupyter Book of a profile from its executed notebooks")
    b.add_argument("--profile", default="quick", help="smoke | quick | full | paper (default quick)")
    b.add_argument("--executed", default=None, help="folder of executed notebooks (default runs/book/PROFILE)")
    b.add_argument("--browser", action="store_true",
                   help="then open every page in headless Chromium, check each figure is drawn, save screenshots")
    args = parser.parse_args(argv)
    if args.command == "run":
        return _run(parser, args)
    if args.command == "book":
        from .book.build import build, check_in_browser
        from .book.runner import check_checkout

        try:
            check_checkout()
            html = build(args.profile, args.executed)
        except ValueError as exc:
            parser.error(str(exc))
        except RuntimeError as exc:
            print(f"hpolib book: {exc}", file=sys.stderr)
            return 1
        print(f"book: {html / 'index.html'}")
        if args.browser:
            try:
                drawn = check_in_browser(html)
            except RuntimeError as exc:
                print(f"hpolib book: {exc}\nscreenshots: {html.parent / 'screenshots'}", file=sys.stderr)
                return 1
            for page, counts in drawn.items():
                print(f"  {page:<32} " + ", ".join(f"{n:>3} {what}" for what, n in counts.items()))
            print("  checked: " + ", ".join(f"{sum(c[what] for c in drawn.values())} {what}"
                                             for what in ("figures", "tables", "links")) + ", 0 problems")
            print(f"screenshots: {html.parent / 'screenshots'}")
        return 0
    for name in ("trials", "seeds", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    table = demo(args.trials, args.seeds, args.workers, args.storage, progress=False if args.no_progress else None)
    with pd.option_context("display.width", 120, "display.float_format", "{:.4g}".format):
        print(table.to_string(index=False))
    print(f"\nevery trial is stored in {args.storage}; run the same command again to resume, not repeat")
    return 0


def _run(parser, args) -> int:
    from .book.runner import NOTEBOOKS, NotebookFailed, check, check_checkout, parse_parameter, run_many

    if args.baseline and args.profile == "quick":  # the default: a baseline is always the smoke profile
        args.profile = "smoke"
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    failed = 0
    try:
        check_checkout()
        studies = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) if args.studies == ["all"] else args.studies
        parameters = dict(parse_parameter(text) for text in args.parameter)
        for study in studies:  # every study's parameters, before the first one runs
            check(study, args.profile, parameters, args.baseline, args.allow_dirty, args.executor)
        for study, path, seconds in run_many(
                studies, args.profile, args.jobs, parameters=parameters, output=args.output, baseline=args.baseline,
                executor=args.executor, executor_config=args.executor_config,
                executor_insecure=args.executor_insecure, allow_dirty=args.allow_dirty):
            if isinstance(path, NotebookFailed):
                print(f"hpolib run: {path}", file=sys.stderr)
                failed += 1
                continue
            print(f"{study}: {path} ({seconds:.0f} s)")
            if args.mlflow is not None:
                _export(path, study, args.profile, args.mlflow or None)
    except ValueError as exc:
        parser.error(str(exc))
    return 1 if failed else 0


def _export(notebook: Path, chapter: str, profile: str, uri: str | None) -> None:
    """Export every study of a chapter's SQLite store to MLflow (``hpolib run --mlflow``)."""
    from .tracking import to_mlflow

    db = notebook.with_suffix(".db")
    if not db.exists():
        print(f"{chapter}: no SQLite store ({db.name}) to export to MLflow")
        return
    runs = to_mlflow(db, name="hpo-study", tracking_uri=uri, tags={"chapter": chapter, "profile": profile})
    print(f"{chapter}: {len(runs)} studies exported to MLflow (experiment hpo-study)")


if __name__ == "__main__":
    sys.exit(main())
