"""Study-loop overhead per trial: hpolib against Optuna, in one process.

1,000 trivial trials (random search on a 2-D quadratic, one intermediate
report each, so every trial writes a start, a report and an end), with
in-memory storage and with a SQLite file. Prints a table and writes
``benchmarks/results/study_overhead.json``.

    python benchmarks/study_overhead.py [--trials 1000]
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import optuna

import hpolib
from hpolib import Float, RandomSearch, Space, Study


def hpolib_run(n_trials: int, storage) -> float:
    space = Space({"x": Float(-5, 5), "y": Float(-5, 5)})

    def objective(config, budget, report):
        value = config["x"] ** 2 + config["y"] ** 2
        report(1, value)
        return value

    study = Study(space, RandomSearch(space, seed=0), name="overhead", storage=storage)
    start = time.perf_counter()
    study.optimize(objective, n_trials=n_trials, progress=False)
    return time.perf_counter() - start


def optuna_run(n_trials: int, storage) -> float:
    def objective(trial):
        value = trial.suggest_float("x", -5, 5) ** 2 + trial.suggest_float("y", -5, 5) ** 2
        trial.report(value, 1)
        return value

    study = optuna.create_study(study_name="overhead", storage=storage,
                                sampler=optuna.samplers.RandomSampler(seed=0))
    start = time.perf_counter()
    study.optimize(objective, n_trials=n_trials)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "study_overhead.json"))
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        runs = [
            ("hpolib", "memory", lambda: hpolib_run(args.trials, None)),
            ("optuna", "memory", lambda: optuna_run(args.trials, None)),
            ("hpolib", "sqlite", lambda: hpolib_run(args.trials, Path(tmp) / "hpolib.db")),
            ("optuna", "sqlite", lambda: optuna_run(args.trials, f"sqlite:///{tmp}/optuna.db")),
        ]
        for library, storage, run in runs:
            seconds = run()
            rows.append({"library": library, "storage": storage, "trials": args.trials, "seconds": seconds,
                         "ms_per_trial": 1000 * seconds / args.trials})
    print(f"{'library':8} {'storage':8} {'trials':>7} {'seconds':>8} {'ms/trial':>9}")
    for r in rows:
        print(f"{r['library']:8} {r['storage']:8} {r['trials']:7d} {r['seconds']:8.2f} {r['ms_per_trial']:9.3f}")
    result = {"benchmark": "study_overhead", "python": platform.python_version(), "machine": platform.machine(),
              "hpolib": hpolib.__version__, "optuna": optuna.__version__, "rows": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
