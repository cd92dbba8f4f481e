"""Every method of the LeNet chapter on the LeNet-5 tabular benchmark, over 100 seeds: the report's question with
the repetitions it could not afford.

The LeNet report ends: "there is no clear way of knowing which of BOHB or PSO is best to solve this specific
hyperparameter problem", because "each optimization run took important amounts of time, allowing minimal
repetitions". On the table (:func:`hpolib.problems.lenet_table`: every configuration of a grid over the
report's four widths trained once, its curve stored) a run costs milliseconds, so every method runs on 100
seeds, and its regret is exact: the table's optimum is known.

Each method runs as the chapter runs it (:func:`hpolib.methods.method_factories`, the chapter's settings:
PSO with the report's S = 5, phi_l = phi_g = 2, w = 0.5; grid search at 3 values an axis, shuffled by the
seed; Hyperband, BOHB and DEHB between 3 and 12 epochs with eta = 3, the report's BOHB range of 10 to 40
epochs scaled to the table's 12, so rungs of 4 and 12 epochs), beside Optuna's TPE at its defaults. A trial a
scheduler promotes continues from its parent's epoch, as real training does. Two budgets, in the table's epochs:

- ``chapter``: 50 full evaluations' worth, 600 epochs (the chapter's runs spend 300 epochs on 6-epoch trials);
- ``report``: 100 full evaluations' worth, 1,200 epochs (the report's runs about 4,000 epochs of 40-epoch
  trials).

Measures, per budget and method, over seeds: the regret (validation error after 12 epochs of the incumbent, the
best at the largest budget seen, HpBandSter's rule, less the table's optimum; one validation image is 0.1 pp),
its median and interquartile range, how often the optimum itself was found; the epochs and the seconds (the
table's training seconds, on the CPU it records) to come within 1 pp of the optimum; the probability that one
method ends below another (paired by seed, ties counted half) and a one-sided Wilcoxon signed-rank test for
PSO against BOHB and for every method against random search; anytime curves in epochs and in seconds. Then the
importance of the four widths on the whole table (exact, :func:`hpolib.analysis.fanova.grid_importance`)
beside a forest's estimate from 50 random grid points, as a search would see them, and the cost of the full
grid.

No setting was tuned on the table: every seed is a reported one.

    python benchmarks/lenet_table.py                       # seeds 0-99, both budgets
    python benchmarks/lenet_table.py --seeds 10 --jobs 2   # a quicker look
    python benchmarks/lenet_table.py --table PATH          # another build of the table
"""

from __future__ import annotations

import os

# One BLAS thread per process: the runs go in parallel on every core.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import functools  # noqa: E402
import gzip  # noqa: E402
import hashlib  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hpolib import Incumbent, Study  # noqa: E402
from hpolib.analysis.fanova import fanova, grid_importance  # noqa: E402
from hpolib.analysis.stats import call, paired  # noqa: E402
from hpolib.book.names import name  # noqa: E402
from hpolib.methods import method_factories  # noqa: E402
from hpolib.problems import LENET_TABLE, lenet_table  # noqa: E402

RESULTS = Path(__file__).parent / "results"
BUDGETS = {"chapter": 50, "report": 100}  # full evaluations' worth of epochs
MIN_EPOCHS, ETA, GRID_RESOLUTION = 3, 3, 3
METHODS = ["grid", "random", "pso", "ga", "tpe", "gp", "cmaes", "hyperband", "bohb", "dehb", "optuna-tpe"]
WITHIN = 0.01  # "within 1 pp of the optimum"
FANOVA_SAMPLE = 50  # grid points a sampled fANOVA sees, as many as the chapter's search runs evaluate
WIDTHS = ("c1", "c3", "c5", "f6")


@functools.cache
def _table(path: str):
    return lenet_table(path=path)


@functools.cache
def _rows(path: str) -> pd.DataFrame:
    """The table's rows of the seed its objective answers with, every epoch."""
    rows = pd.read_csv(path)
    return rows[rows.seed == _table(path).seed]


# ------------------------------------------------------------------ one run: the incumbent's regret after each trial

def run(method: str, seed: int, evaluations: int, path: str) -> dict:
    """One search on the table: after each finished trial, the epochs and seconds spent and the regret."""
    table = _table(path)
    finished = _optuna_tpe(table, seed, evaluations) if method == "optuna-tpe" else \
        _hpolib(table, method, seed, evaluations)
    incumbent, epochs, seconds, trace = Incumbent("minimize"), 0.0, 0.0, []
    for config, budget, value, start, end in finished:
        epochs += end - start
        seconds += table.seconds(config, end) - (table.seconds(config, start) if start >= 1 else 0.0)
        incumbent.offer(config, value, budget)
        regret = table(incumbent.item) - table.optimum if incumbent.item is not None else math.nan
        trace.append((epochs, round(seconds, 3), round(regret, 6)))
    final = incumbent.item and table.nearest(incumbent.item)
    return {"method": method, "seed": seed, "evaluations": evaluations, "trace": trace, "final": final}


def _hpolib(table, method: str, seed: int, evaluations: int) -> list[tuple]:
    """Each finished trial of a hpolib study as (config, budget, value, first epoch, last epoch)."""
    make = method_factories(MIN_EPOCHS, table.max_budget, ETA, GRID_RESOLUTION, n_trials=evaluations)[method]
    optimizer, scheduler = make(table.space, seed)
    with Study(table.space, optimizer, storage=None, scheduler=scheduler) as study:
        study.optimize(table, total_budget=evaluations * table.max_budget,
                       trial_budget=None if scheduler else table.max_budget, progress=False)
    return [(t.config, t.budget or table.max_budget, t.value, int(t.start_step), int(t.budget_used))
            for t in study.trials if t.value is not None]


def _optuna_tpe(table, seed: int, evaluations: int) -> list[tuple]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))
    space = table.space
    study.optimize(lambda trial: table({k: trial.suggest_int(k, space[k].low, space[k].high) for k in space}),
                   n_trials=evaluations)
    return [(t.params, table.max_budget, t.value, 0, table.max_budget) for t in study.trials]


# ------------------------------------------------------------------ measures over seeds

def finals(runs: list[dict]) -> pd.DataFrame:
    """One row per run: budget name, method, seed, final regret, and the epochs and seconds at which it first came
    within :data:`WITHIN` of the optimum (NaN if it never did)."""
    rows = []
    for r in runs:
        trace = np.array(r["trace"], dtype=float)
        within = np.flatnonzero(trace[:, 2] <= WITHIN + 1e-9)
        first = within[0] if len(within) else None
        rows.append({"budget": r["budget"], "method": r["method"], "seed": r["seed"], "regret": trace[-1, 2],
                     "epochs_to_1pp": trace[first, 0] if first is not None else math.nan,
                     "seconds_to_1pp": trace[first, 1] if first is not None else math.nan})
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per budget and method: median regret (pp) and IQR, optimum found, and the median epochs and seconds to
    within 1 pp over the seeds that came within it (how many did)."""
    def row(g):
        reached = g.epochs_to_1pp.notna()
        return pd.Series({"seeds": len(g), "median regret (pp)": 100 * g.regret.median(),
                          "IQR (pp)": 100 * (g.regret.quantile(0.75) - g.regret.quantile(0.25)),
                          "optimum found": int((g.regret <= 1e-9).sum()), "within 1 pp": int(reached.sum()),
                          "median epochs to 1 pp": g.epochs_to_1pp[reached].median(),
                          "median seconds to 1 pp": g.seconds_to_1pp[reached].median()})
    frame = table.groupby(["budget", "method"], sort=False).apply(row, include_groups=False).reset_index()
    return frame.astype({"seeds": int, "optimum found": int, "within 1 pp": int})


def beats(table: pd.DataFrame, budget: str) -> pd.DataFrame:
    """P(row method ends with lower regret than column method), paired by seed, ties counted half."""
    wide = table[table.budget == budget].pivot(index="seed", columns="method", values="regret")
    methods = [m for m in METHODS if m in wide]
    return pd.DataFrame({b: {a: float(((wide[a] < wide[b]) + 0.5 * (wide[a] == wide[b])).mean())
                             for a in methods} for b in methods})[methods]


def tests(table: pd.DataFrame) -> pd.DataFrame:
    """One-sided Wilcoxon tests over paired seeds: PSO against BOHB both ways, every method against random."""
    pairs = [("pso", "bohb"), ("bohb", "pso")] + [(m, "random") for m in METHODS if m != "random"]
    rows = []
    for budget, group in table.groupby("budget", sort=False):
        wide = group.pivot(index="seed", columns="method", values="regret")
        for a, b in pairs:
            if a in wide and b in wide:
                row = paired(wide[a], wide[b], alternative="less")  # is a's regret lower?
                rows.append({"budget": budget, "method": a, "against": b, **row, "call": call(row)})
    return pd.DataFrame(rows)


def anytime(runs: list[dict], by: str, grid: np.ndarray) -> pd.DataFrame:
    """Median regret over seeds at each point of ``grid`` (epochs or seconds spent), per budget and method."""
    column = {"epochs": 0, "seconds": 1}[by]
    rows = []
    for (budget, method), group in itertools.groupby(sorted(runs, key=lambda r: (r["budget"], r["method"])),
                                                     key=lambda r: (r["budget"], r["method"])):
        curves = []
        for r in group:
            trace = np.array(r["trace"], dtype=float)
            index = np.searchsorted(trace[:, column], grid, side="right") - 1
            curves.append(np.where(index >= 0, trace[np.maximum(index, 0), 2], np.nan))
        rows += [{"budget": budget, "method": method, by: float(x), "median regret": float(v)}
                 for x, v in zip(grid, pd.DataFrame(curves).median())]  # NaN before any trial ended
    return pd.DataFrame(rows)


def importance(path: str, seed: int = 0) -> pd.DataFrame:
    """Fraction of the variance of the final validation error explained by each width and pair: exact on the
    whole grid, and a forest's fANOVA from :data:`FANOVA_SAMPLE` random grid points."""
    table, grid = _table(path), _rows(path)
    grid = grid[grid.epoch == table.max_budget].copy()
    grid["error"] = 1 - grid.val_accuracy
    exact = grid_importance(grid, WIDTHS, "error")
    sample = grid.sample(min(FANOVA_SAMPLE, len(grid)), random_state=seed)
    forest = fanova(table.space, sample[list(WIDTHS)].to_dict("records"), sample.error, seed=seed).importance(
        pairs=True)
    return exact.join(forest["mean"].rename(f"forest on {FANOVA_SAMPLE} points"), how="left")


def grid_cost(path: str) -> dict:
    """What the table's whole grid cost: configurations, epochs and training seconds (seed 0)."""
    grid = _rows(path)
    configs = grid.groupby(list(WIDTHS)).ngroups
    return {"configurations": configs, "epochs": int(len(grid)), "seconds": float(grid.seconds.sum()),
            "cpus": sorted(set(grid.cpu))}


# ------------------------------------------------------------------ the run

def plot(curves: dict[str, pd.DataFrame], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hpolib.book.display import FIGURES

    plt.rcParams.update(FIGURES)
    fig, axes = plt.subplots(2, 1, figsize=(7.5, 6.4), sharey=True)  # 7.5 inches: 660 px, as the book shows it
    colours = dict(zip(METHODS, plt.get_cmap("tab20").colors[::2] + plt.get_cmap("tab20").colors[1::2]))
    for ax, (by, frame) in zip(axes, curves.items()):
        budget = "report" if "report" in set(frame.budget) else frame.budget.iloc[0]
        frame = frame[frame.budget == budget]
        for method in (m for m in METHODS if m in set(frame.method)):
            g = frame[frame.method == method]
            ax.plot(g[by], 100 * g["median regret"], label=name(method), color=colours[method], lw=1.4,
                    ls="--" if method in ("hyperband", "bohb", "dehb") else "-")
        ax.set(xscale="log", yscale="symlog", xlabel=f"{by} spent (table's training {by})",
               title=f"median regret over seeds, by {by} ({budget} budget)")
        ax.axhline(100 * WITHIN, color="grey", lw=0.8, ls=":")
    for ax in axes:
        ax.set_ylabel("regret (pp of validation accuracy)")
    axes[0].legend(ncol=3)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", default=str(LENET_TABLE), help="the table (a CSV written by "
                        "python -m hpolib.studies.lenet_table)")
    parser.add_argument("--seeds", type=int, default=100, help="seeds 0 to SEEDS - 1")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=METHODS)
    parser.add_argument("--budgets", nargs="+", choices=list(BUDGETS), default=list(BUDGETS))
    parser.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--out", default=str(RESULTS), help="folder of the results")
    args = parser.parse_args(argv)
    if args.seeds < 2:
        parser.error(f"--seeds must be at least 2, got {args.seeds}")
    table, out = _table(args.table), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    jobs = [(m, s, BUDGETS[b], args.table, b) for b in args.budgets for m in args.methods for s in range(args.seeds)]
    runs = _run_all(jobs, args.jobs)
    per_run = finals(runs)
    table_summary, table_tests = summary(per_run), tests(per_run)
    epochs_grid = np.arange(table.max_budget, max(BUDGETS[b] for b in args.budgets) * table.max_budget + 1,
                            table.max_budget, dtype=float)
    seconds_grid = np.geomspace(1, max(r["trace"][-1][1] for r in runs), 60)
    curves = {"epochs": anytime(runs, "epochs", epochs_grid), "seconds": anytime(runs, "seconds", seconds_grid)}
    weights, cost = importance(args.table), grid_cost(args.table)
    probabilities = {b: beats(per_run, b) for b in args.budgets}
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(table, f"optimum {100 * (1 - table.optimum):.2f} % at {table.optimum_config}", sep="\n")
        print(table_summary.round(2).to_string(index=False))
        for b in args.budgets:
            print(f"\nP(row ends below column), budget {b}:\n{probabilities[b].round(2)}")
        print(table_tests.round(4).to_string(index=False))
        print(weights.round(3), "\nfull grid:", cost)
    record = {"started": started, "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "table": args.table, "table_sha256": hashlib.sha256(Path(args.table).read_bytes()).hexdigest(),
              "optimum": table.optimum, "optimum_config": table.optimum_config,
              "seeds": args.seeds, "budgets": {b: BUDGETS[b] for b in args.budgets}, "min_epochs": MIN_EPOCHS,
              "eta": ETA, "grid_resolution": GRID_RESOLUTION, "python": platform.python_version(),
              "summary": table_summary.to_dict("records"), "tests": table_tests.to_dict("records"),
              "beats": {b: p.to_dict() for b, p in probabilities.items()},
              "importance": weights.reset_index().to_dict("records"), "grid_cost": cost}
    (out / "lenet_table.json").write_text(json.dumps(record, indent=1, default=float) + "\n")
    per_run.to_csv(out / "lenet_table_runs.csv", index=False, float_format="%.6g")
    pd.concat(curves.values()).to_csv(out / "lenet_table_anytime.csv", index=False, float_format="%.6g")
    with gzip.open(out / "lenet_table_traces.json.gz", "wt") as f:
        json.dump(runs, f)
    plot(curves, out / "lenet_table_anytime.png")
    print(f"written to {out}")


def _run_all(jobs: list[tuple], processes: int) -> list[dict]:
    from tqdm.auto import tqdm

    def tagged(job, result):
        return {**result, "budget": job[4]}

    if processes <= 1:
        return [tagged(j, run(*j[:4])) for j in tqdm(jobs, desc="runs on the table")]
    with ProcessPoolExecutor(processes) as pool:
        return [tagged(j, r) for j, r in zip(jobs, tqdm(pool.map(run, *zip(*(j[:4] for j in jobs)), chunksize=4),
                                                       total=len(jobs), desc="runs on the table"))]


if __name__ == "__main__":
    main()
