"""Import time: ``import hpolib`` against ``import optuna``, each in a fresh interpreter.

Each library is imported ``--runs`` times with ``python -X importtime -c "import <name>"``;
the table gives the medians of what ``-X importtime`` counts for the package (its imports
included) and of the whole process's wall-clock time, beside an interpreter that imports
nothing, with the machine's load average when it started (other work slows every
import alike). Prints a table and writes ``benchmarks/results/import_time.json``.

    python benchmarks/import_time.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

HEAVY = ("numpy", "scipy", "sklearn", "pandas", "tqdm", "torch", "sqlalchemy")


def import_once(name: str | None) -> dict:
    """One fresh interpreter importing ``name`` (nothing when None): its wall time, what ``-X importtime`` counts
    for ``name``, and which heavy libraries came with it."""
    code = "pass" if name is None else f"import sys, {name}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    counted = [line.split("|") for line in done.stderr.splitlines() if line.startswith("import time:")]
    package = next((int(cumulative) for _, cumulative, module in counted if module.strip() == name), 0)
    return {"wall_s": wall, "import_s": package / 1e6, "heavy": done.stdout.split()}


def measure(name: str | None, runs: int) -> dict:
    once = [import_once(name) for _ in range(runs)]
    return {"library": name or "(nothing)", "runs": runs,
            "import_s": statistics.median(r["import_s"] for r in once),
            "wall_s": statistics.median(r["wall_s"] for r in once), "heavy": once[0]["heavy"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "import_time.json"))
    args = parser.parse_args()
    load = os.getloadavg()[0]  # other work on the machine slows every import alike: recorded beside the times
    rows = [measure(name, args.runs) for name in (None, "hpolib", "optuna")]
    print(f"{'library':10} {'import s':>9} {'wall s':>7}  imports")
    for r in rows:
        print(f"{r['library']:10} {r['import_s']:9.3f} {r['wall_s']:7.3f}  {', '.join(r['heavy']) or '-'}")
    result = {"benchmark": "import_time", "python": platform.python_version(), "machine": platform.machine(),
              "hpolib": version("hpolib"), "optuna": version("optuna"), "load_average_1min": load, "rows": rows}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
