"""Per-trial overhead of the executors on short trials: serial, a process pool and Dask, on this machine.

The same study (random search, one report per trial, memory storage) of a
trivial objective and of one that sleeps 0.1 s, on every executor:
``serial``, ``processes:W``, ``dask:W`` (a local cluster started for the
study) and a Dask scheduler already running on the loopback (its address).
Per trial: the steady-state wall time between two trials' ends, times the
workers, less the objective's own time: what each trial costs beyond its
work once the workers are up (the time to the first result, start-up
included, is its own column). Median of ``--repeats`` interleaved repeats.
Prints a table and writes ``benchmarks/results/executors.json`` and
``executors.csv``, with the load average before and after (other work on the
machine inflates every number).

    python benchmarks/executors.py [--trials 40] [--repeats 3] [--workers 2] [--note TEXT]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import time
from pathlib import Path

import distributed

import hpolib
from hpolib import Float, RandomSearch, Space, Study
from hpolib.executors import from_spec

SPACE = Space({"x": Float(-1.0, 1.0)})
OBJECTIVES = {"trivial": 0.0, "sleep 0.1 s": 0.1}  # name -> seconds the objective takes


def objective(config, budget, report, seconds):
    time.sleep(seconds)
    report(1, config["x"])
    return config["x"] ** 2


def make_objective(seconds):
    return lambda config, budget, report: objective(config, budget, report, seconds)


def measure(spec: str, seconds: float, trials: int, workers: int) -> dict:
    """One repeat: seconds to the first trial's end and to the last, and the overhead of a trial in between."""
    study = Study(SPACE, RandomSearch(SPACE, seed=0), storage=None, executor=from_spec(spec))
    began = time.time()
    study.optimize(make_objective(seconds), n_trials=trials, progress=False)
    ends = sorted(t.finished for t in study.trials)
    at_once = 1 if spec == "serial" else workers
    between = (ends[-1] - ends[0]) / (trials - 1)  # steady state: one trial ends every `between` seconds
    return {"first_s": ends[0] - began, "wall_s": ends[-1] - began, "ideal_s": trials * seconds / at_once,
            "overhead_ms_per_trial": 1000 * (at_once * between - seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--note", default="", help="what else the machine was doing, for the record")
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "executors"))
    args = parser.parse_args()
    load_before = os.getloadavg()
    with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None) as running:
        specs = {"serial": "serial", f"processes:{args.workers}": f"processes:{args.workers}",
                 f"dask:{args.workers} (started per study)": f"dask:{args.workers}",
                 "dask, running scheduler": running.scheduler_address}
        raw: dict[tuple, list[dict]] = {}
        for _ in range(args.repeats):  # interleaved, so that a change in the load touches every executor alike
            for name, seconds in OBJECTIVES.items():
                for label, spec in specs.items():
                    raw.setdefault((name, label), []).append(measure(spec, seconds, args.trials, args.workers))
    load_after = os.getloadavg()
    rows = [{"objective": name, "executor": label, "trials": args.trials,
             **{key: statistics.median(r[key] for r in runs) for key in runs[0]}}
            for (name, label), runs in raw.items()]
    print(f"{'objective':12} {'executor':30} {'trials':>6} {'first s':>8} {'wall s':>7} {'ideal s':>8} "
          f"{'overhead ms/trial':>18}")
    for r in rows:
        print(f"{r['objective']:12} {r['executor']:30} {r['trials']:6d} {r['first_s']:8.2f} {r['wall_s']:7.2f} "
              f"{r['ideal_s']:8.2f} {r['overhead_ms_per_trial']:18.1f}")
    print(f"\nmedian of {args.repeats} repeats on {os.cpu_count()} CPUs; load average (1, 5, 15 min) "
          f"{', '.join(f'{x:.2f}' for x in load_before)} before, {', '.join(f'{x:.2f}' for x in load_after)} after"
          + (f"; {args.note}" if args.note else ""))
    result = {"benchmark": "executors", "python": platform.python_version(), "machine": platform.machine(),
              "cpus": os.cpu_count(), "hpolib": hpolib.__version__, "distributed": distributed.__version__,
              "repeats": args.repeats, "workers": args.workers, "note": args.note,
              "loadavg_before": load_before, "loadavg_after": load_after, "rows": rows,
              "runs": [{"objective": name, "executor": label, **run}
                       for (name, label), runs in raw.items() for run in runs]}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    with out.with_suffix(".csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"written to {out.with_suffix('.json')} and {out.with_suffix('.csv')}")


if __name__ == "__main__":
    main()
