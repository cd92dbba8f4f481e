"""Grid search against random search at equal evaluations as the dimension grows (the IDRIS landscape slides:
"Random search is better for high dimensional space").

Each test function of the optimiser benchmark (``benchmarks/optimizers.py``) that takes any dimension (Rosenbrock
and the off-centre bowl in the *development* set, Levy and Ackley held out) runs at 2, 4, 8 and 16 dimensions with
the same number of evaluations for both methods (256 by default: a 16 x 16 grid in 2-D, 4^4 in 4-D). The grid
takes ``max(3, floor(evals ** (1 / d)))`` values per axis, end points included, and walks its points in a
seeded shuffled order, so that where the whole grid does not fit the budget (8 and 16 dimensions) the points it
does reach are spread over all of it; where it fits, the whole grid is evaluated. Random search draws uniformly
in the box. Both are hpolib's own (:class:`hpolib.GridSearch`, :class:`hpolib.RandomSearch`).

Reports, per set, problem and dimension, the median final simple regret of each method over seeds, the seeds
each ends lower on, and one-sided exact Wilcoxon signed-rank tests over paired seeds that random search's regret
is lower, and that the grid's is. The development set runs on seeds from 0, the held-out set on seeds from 1000,
reported apart. Writes ``landscape_regret_<set>.csv`` (every run's final regret), ``landscape_summary_<set>.csv``
and ``landscape_<set>.json`` to ``benchmarks/results/``.

    python benchmarks/landscape.py                  # the development set, 20 seeds
    python benchmarks/landscape.py --set held-out   # Levy and Ackley, seeds from 1000
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from hpolib import GridSearch, RandomSearch, SpaceExhausted  # noqa: E402
from hpolib.analysis.stats import ALPHA, call, paired  # noqa: E402
from hpolib.problems import FUNCTIONS  # noqa: E402

RESULTS = Path(__file__).parent / "results"
DIMENSIONS = (2, 4, 8, 16)
SETS = {"development": (("rosenbrock", "bowl"), 0), "held-out": (("levy", "ackley"), 1000)}  # problems, first seed
METHODS = ("grid", "random")


def problem(name: str, dim: int):
    """The test function ``name`` (one of :data:`hpolib.problems.FUNCTIONS` that takes any dimension) in ``dim``
    dimensions."""
    return FUNCTIONS[name](dim=dim)


def grid_levels(evals: int, dim: int) -> int:
    """Values per axis of the grid: the most whose full grid fits ``evals``, and at least 3 (the box's centre
    among them).

    >>> grid_levels(256, 2), grid_levels(256, 4), grid_levels(256, 8), grid_levels(256, 16)
    (16, 4, 3, 3)
    """
    if evals < 1 or dim < 1:
        raise ValueError(f"evals and dim must be >= 1, got evals={evals!r}, dim={dim!r}")
    levels = int(math.floor(evals ** (1 / dim) + 1e-9))
    return max(3, levels)


def optimizer(method: str, space, evals: int, seed: int):
    if method == "grid":
        return GridSearch(space, resolution=grid_levels(evals, len(space)), shuffle=True, seed=seed)
    return RandomSearch(space, seed=seed)


def run(job: tuple[str, str, int, int, int]) -> dict:
    """One method on one problem, dimension and seed: its final simple regret after ``evals`` evaluations."""
    method, name, dim, seed, evals = job
    f = problem(name, dim)
    search, best, spent = optimizer(method, f.space, evals, seed), math.inf, 0
    for _ in range(evals):
        try:
            config = search.ask()
        except SpaceExhausted:
            break
        value = f(config)
        search.tell(config, value)
        best, spent = min(best, value), spent + 1
    return {"method": method, "problem": name, "dim": dim, "seed": seed, "evaluations": spent,
            "regret": float(best - f.optimum)}


def _p(test: dict) -> float:
    return 1.0 if math.isnan(test["p"]) else test["p"]  # every seed tied


def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    """Per problem and dimension: each method's median final regret, the seeds each ends lower on, and one-sided
    Wilcoxon tests over paired seeds that random search's regret is lower and that the grid's is
    (:func:`hpolib.analysis.stats.paired`)."""
    rows = []
    for (name, dim), group in runs.groupby(["problem", "dim"], sort=False):
        wide = group.pivot_table(index="seed", columns="method", values="regret")
        lower, higher = (paired(wide["random"], wide["grid"], alternative=a) for a in ("less", "greater"))
        verdict = call(lower, ("random lower", "too few seeds", "within noise"))
        rows.append({"problem": name, "dim": int(dim), "seeds": len(wide),
                     "grid_levels": grid_levels(int(group.evaluations.max()), int(dim)),
                     "grid_median": float(wide["grid"].median()), "random_median": float(wide["random"].median()),
                     "random_wins": lower["wins"], "grid_wins": higher["wins"], "p_random_lower": _p(lower),
                     "p_grid_lower": _p(higher),
                     "verdict": "grid lower" if _p(higher) < ALPHA else verdict})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=list(SETS), default="development",
                        help="development: Rosenbrock and the bowl, seeds from 0; held-out: Levy and Ackley, seeds "
                             "from 1000")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--evals", type=int, default=256)
    args = parser.parse_args()
    if args.seeds < 1 or args.evals < 1:
        parser.error(f"--seeds and --evals must be >= 1, got {args.seeds} and {args.evals}")
    problems, first = SETS[args.set]
    jobs = [(m, p, d, s, args.evals) for p in problems for d in DIMENSIONS for s in range(first, first + args.seeds)
            for m in METHODS]
    started, load = time.perf_counter(), [os.getloadavg()[0]]
    runs = pd.DataFrame([run(job) for job in jobs])
    elapsed, load = time.perf_counter() - started, load + [os.getloadavg()[0]]
    summary = summarise(runs)
    with pd.option_context("display.width", 160, "display.float_format", "{:.4g}".format):
        print(summary.to_string(index=False))
    print(f"\n{len(jobs)} runs in {elapsed:.0f} s, one worker")
    RESULTS.mkdir(exist_ok=True)
    runs.to_csv(RESULTS / f"landscape_regret_{args.set}.csv", index=False)
    summary.to_csv(RESULTS / f"landscape_summary_{args.set}.csv", index=False)
    (RESULTS / f"landscape_{args.set}.json").write_text(json.dumps(
        {"python": platform.python_version(), "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
         "seconds": elapsed, "args": vars(args), "first_seed": first,
         "dimensions": list(DIMENSIONS), "cpus": os.cpu_count(), "load": load,
         "summary": summary.to_dict("records")}, indent=1, default=float) + "\n")
    print(f"written to {RESULTS}/landscape_*_{args.set}.*")


if __name__ == "__main__":
    main()
