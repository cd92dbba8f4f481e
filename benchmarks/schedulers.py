"""hpolib's multi-fidelity schedulers beside HpBandSter's BOHB and DEHB, on the same budgets and seeds, in one run.

Methods: hpolib random search (every trial at the full budget), Hyperband
(random configurations), BOHB (Hyperband + the BOHB model), ASHA,
learning-curve matching (LCM) and DEHB; HpBandSter's BOHB and the ``dehb``
package as the peers.

Problems, budget = fidelity with ``R = 27``, ``eta = 3``: Branin and
Hartmann-6 with their fidelity knob (biased, noisy below the full budget),
and a real learning task: a scikit-learn MLP on the bundled digits, trained
for real with one ``partial_fit`` pass per unit of budget. Every method gets
the same total budget, two Hyperband cycles (846 units). The incumbent after
each evaluation is the best value among the evaluations at the largest budget
evaluated so far (HpBandSter's rule), the same rule for every method; its
regret is the full-fidelity value minus the optimum (on the MLP, its
validation error). Reports the median regret at 25, 50 and 100 % of the
budget, a one-sided Wilcoxon signed-rank test over seeds of hpolib's BOHB
against HpBandSter's and the ``dehb`` package's, and of hpolib's DEHB against
the ``dehb`` package's (is hpolib worse?), the scheduler's wall-clock overhead
per evaluation, and an anytime plot.

A second experiment repeats the source study's LCM comparison on the MLP:
the same random configurations (same seed) run once to the end (random
search) and once under LCM, at a fixed number of trials; it reports LCM's
share of random search's budget and the difference of their best errors.

HpBandSter's Pyro4 dispatcher does not deliver jobs to a worker on this
machine, so its BOHB runs in process: HpBandSter's own ``SuccessiveHalving``
iterations (its bracket sizes) and its BOHB config generator, driven as its
``Master`` drives them with one worker. DEHB 0.1.2 runs through its ask/tell
interface; its wheel pins numpy < 2 although its code runs on numpy 2, so it
is installed without dependencies (see ``benchmarks/requirements.txt``).

    pip install -r benchmarks/requirements.txt && pip install --no-deps dehb==0.1.2
    python benchmarks/schedulers.py                      # seeds 0-9
    python benchmarks/schedulers.py --methods hpolib-dehb,dehb --lcm-seeds 0   # the DEHB pair alone
"""

from __future__ import annotations

import os

# One BLAS thread per process: the runs go in parallel on every core.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import contextlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hpolib import (  # noqa: E402
    ASHA,
    BOHB,
    DEHB,
    Categorical,
    Float,
    Hyperband,
    Incumbent,
    Int,
    LearningCurveMatching,
    RandomSearch,
    Study,
    TrialState,
)
from hpolib.analysis.stats import call, paired  # noqa: E402
from hpolib.problems import Branin, DigitsMLP, Hartmann6  # noqa: E402

RESULTS = Path(__file__).parent / "results"
R, ETA = 27, 3
BUDGET = 846  # two Hyperband cycles for R = 27, eta = 3: (108 + 99 + 108 + 108) * 2
FRACTIONS = (0.25, 0.5, 1.0)

PROBLEMS = {
    "branin": lambda: Branin(max_budget=R),
    "hartmann6": lambda: Hartmann6(max_budget=R),
    "mlp_digits": lambda: DigitsMLP(max_budget=R),
}
METHODS = ["hpolib-random", "hpolib-hyperband", "hpolib-bohb", "hpolib-asha", "hpolib-lcm", "hpolib-dehb",
           "hpbandster-bohb", "dehb"]
PAIRS = {"hpolib-bohb": ("hpbandster-bohb", "dehb"), "hpolib-dehb": ("dehb",)}  # hpolib's method: its peers
# Chosen on seeds 100-105 (replaying recorded curves), apart from the reported seeds 0-9.
LCM_SETTINGS = {"checkpoints": [3, 6], "split_rate": 0.1, "early_stopping_rate": 0.995, "n_neighbours": 3}


class Timed:
    """The objective, counting the seconds spent inside it (the rest of a run is the optimiser's overhead)."""

    def __init__(self, f):
        self.f, self.space, self.seconds = f, f.space, 0.0

    def __call__(self, config, budget=None, report=None):
        start = time.perf_counter()
        try:
            return self.f(config, budget, report)
        finally:
            self.seconds += time.perf_counter() - start


# ------------------------------------------------------------------ runners: each returns its evaluations, in order

def run_hpolib(method, f, seed, budget):
    """Evaluations as (budget, loss, config, cost, complete) from a hpolib study."""
    optimizer, scheduler = RandomSearch(f.space, seed=seed), None
    n_full = int(budget // R)
    if method == "hpolib-hyperband":
        scheduler = Hyperband(1, R, eta=ETA)
    elif method == "hpolib-bohb":
        optimizer, scheduler = BOHB(f.space, seed=seed), Hyperband(1, R, eta=ETA)
    elif method == "hpolib-dehb":
        scheduler = DEHB(f.space, 1, R, eta=ETA, seed=seed)
    elif method == "hpolib-asha":
        scheduler = ASHA(1, R, eta=ETA)
    elif method == "hpolib-lcm":
        scheduler = LearningCurveMatching(n_trials=n_full, **LCM_SETTINGS)
    study = Study(f.space, optimizer, storage=None, scheduler=scheduler)
    study.optimize(f, total_budget=budget, trial_budget=R if scheduler is None else None, progress=False)
    return [(t.budget or R, t.value, t.config, t.cost, t.state is TrialState.COMPLETE) for t in study.trials]


def _configspace(space, seed):
    import ConfigSpace as CS

    cs = CS.ConfigurationSpace(seed=seed)
    for name, p in space.items():
        if isinstance(p, Categorical):
            cs.add(CS.Categorical(name, list(p.choices)))
        elif isinstance(p, Int):
            cs.add(CS.Integer(name, (p.low, p.high), log=p.log))
        elif isinstance(p, Float):
            cs.add(CS.Float(name, (p.low, p.high), log=p.log))
    return cs


def run_hpbandster(method, f, seed, budget):
    """HpBandSter's BOHB: its iterations and config generator, driven as its Master does with one worker."""
    from hpbandster.core.dispatcher import Job
    from hpbandster.optimizers.config_generators.bohb import BOHB as ConfigGenerator
    from hpbandster.optimizers.iterations import SuccessiveHalving

    np.random.seed(seed)
    generator = ConfigGenerator(configspace=_configspace(f.space, seed))
    n_stages = -int(np.log(1 / R) / np.log(ETA)) + 1
    budgets = R * np.power(ETA, -np.linspace(n_stages - 1, 0, n_stages))
    evaluations, spent, index = [], 0.0, 0
    while spent < budget:
        s = n_stages - 1 - index % n_stages  # as hpbandster.optimizers.BOHB.get_next_iteration
        n0 = int(np.floor(n_stages / (s + 1)) * ETA ** s)
        sizes = [max(int(n0 * ETA ** (-i)), 1) for i in range(s + 1)]
        iteration = SuccessiveHalving(HPB_iter=index, num_configs=sizes, budgets=budgets[-s - 1:],
                                      config_sampler=generator.get_config)
        while not iteration.is_finished and spent < budget:
            with contextlib.redirect_stdout(io.StringIO()):
                run = iteration.get_next_run()
            if run is None:
                break
            config_id, config, b = run
            job = Job(config_id, config=config, budget=b, working_directory=".")
            job.time_it("submitted")
            job.time_it("started")
            loss = f(dict(config), b)
            job.result = {"loss": loss, "info": {}}
            job.time_it("finished")
            with contextlib.redirect_stdout(io.StringIO()):  # its KDE prints debugging output
                iteration.register_result(job)
                generator.new_result(job)
            spent += b
            evaluations.append((float(b), loss, dict(config), float(b), True))
        index += 1
    return evaluations


def run_dehb(method, f, seed, budget):
    from dehb import DEHB
    from loguru import logger

    logger.remove()
    cs = _configspace(f.space, seed)
    optimizer = DEHB(cs=cs, dimensions=len(list(cs.values())), min_fidelity=1, max_fidelity=R, eta=ETA, n_workers=1,
                     seed=seed, output_path=tempfile.mkdtemp(prefix="dehb-"), save_freq="end", log_level="ERROR")
    evaluations, spent = [], 0.0
    while spent < budget:
        job = optimizer.ask()
        config, b = dict(job["config"]), float(job["fidelity"])
        loss = f(config, b)
        optimizer.tell(job, {"fitness": loss, "cost": b})
        spent += b
        evaluations.append((b, loss, config, b, True))
    return evaluations


def regret_trace(f, evaluations):
    """(cumulative cost, incumbent regret) after each evaluation."""
    costs, regrets, incumbent = [], [], Incumbent("minimize")
    spent = 0.0
    for b, loss, config, cost, complete in evaluations:
        spent += cost
        if complete:
            incumbent.offer(config, loss, b)
        if incumbent.value is None:
            regret = math.nan
        elif isinstance(f, DigitsMLP):
            regret = incumbent.value
        else:
            regret = f(incumbent.item) - f.optimum
        costs.append(spent)
        regrets.append(regret)
    return costs, regrets


def run(job):
    method, problem, seed, budget = job
    warnings.filterwarnings("ignore")
    f = PROBLEMS[problem]()
    timed = Timed(f)
    runner = run_hpbandster if method == "hpbandster-bohb" else run_dehb if method == "dehb" else run_hpolib
    start = time.perf_counter()
    evaluations = runner(method, timed, seed, budget)
    seconds = time.perf_counter() - start
    costs, regrets = regret_trace(f, evaluations)
    return {"method": method, "problem": problem, "seed": seed, "evaluations": len(evaluations), "seconds": seconds,
            "overhead_ms": 1000 * (seconds - timed.seconds) / max(len(evaluations), 1),
            "cost": costs, "regret": regrets}


def at_fraction(costs, regrets, fraction, budget=BUDGET):
    """The incumbent's regret once ``fraction`` of the budget is spent (the last evaluation within it)."""
    within = [r for c, r in zip(costs, regrets) if c <= fraction * budget + 1e-9]
    return within[-1] if within else math.nan


# ------------------------------------------------------------------ LCM against random search at a fixed trial count

class Accuracy:
    """The MLP's validation accuracy, per epoch and at the end (the source study matched accuracy curves)."""

    def __init__(self, f):
        self.f, self.space = f, f.space

    def __call__(self, config, budget=None, report=None):
        return 1.0 - self.f(config, budget, None if report is None else lambda s, v: report(s, 1.0 - v))


def run_lcm_pair(job):
    seed, n_trials, settings = job
    warnings.filterwarnings("ignore")
    f = Accuracy(DigitsMLP(max_budget=R))
    plain = Study(f.space, RandomSearch(f.space, seed=seed), storage=None, direction="maximize")
    plain.optimize(f, n_trials=n_trials, trial_budget=R, progress=False)
    lcm = Study(f.space, RandomSearch(f.space, seed=seed), storage=None, direction="maximize",
                scheduler=LearningCurveMatching(n_trials=n_trials, **settings))
    start = time.perf_counter()
    lcm.optimize(f, n_trials=n_trials, progress=False)
    return {"seed": seed, "trials": n_trials,
            "random_cost": sum(t.cost for t in plain.trials), "lcm_cost": sum(t.cost for t in lcm.trials),
            "random_best": plain.best.value, "lcm_best": lcm.best.value,
            "stopped": sum(t.state is TrialState.STOPPED for t in lcm.trials),
            "lcm_seconds": time.perf_counter() - start}


# ------------------------------------------------------------------ report

def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (problem, method), group in runs.groupby(["problem", "method"], sort=False):
        row = {"problem": problem, "method": method, "seeds": len(group), "evals": int(group.evaluations.median())}
        for fraction in FRACTIONS:
            values = [at_fraction(c, r, fraction) for c, r in zip(group.cost, group.regret)]
            row[f"regret@{int(fraction * 100)}%"] = np.nanmedian(values) if not np.all(np.isnan(values)) else math.nan
        row["overhead ms/eval"] = group.overhead_ms.median()
        rows.append(row)
    return pd.DataFrame(rows)


def compare(runs: pd.DataFrame, ours="hpolib-bohb", peers=("hpbandster-bohb", "dehb")) -> pd.DataFrame:
    rows = []
    for peer in peers:
        for problem in PROBLEMS:
            a = runs[(runs.method == ours) & (runs.problem == problem)].set_index("seed")
            b = runs[(runs.method == peer) & (runs.problem == problem)].set_index("seed")
            seeds = sorted(set(a.index) & set(b.index))
            if not seeds:
                continue
            for fraction in FRACTIONS:
                x = np.array([at_fraction(a.cost[s], a.regret[s], fraction) for s in seeds])
                y = np.array([at_fraction(b.cost[s], b.regret[s], fraction) for s in seeds])
                worst = np.nanmax(np.concatenate([x, y]))
                x, y = np.nan_to_num(x, nan=worst), np.nan_to_num(y, nan=worst)  # no incumbent yet: the worst
                worse = paired(x, y, alternative="greater")  # hpolib's regret above the peer's
                unclear = "no worse" if np.median(x) <= np.median(y) else "worse, not significant"
                verdict = call(worse, ("clearly worse", unclear, unclear))
                p_worse = 1.0 if math.isnan(worse["p"]) else worse["p"]  # every seed tied
                rows.append({"hpolib": ours, "peer": peer, "problem": problem, "budget": f"{int(fraction * 100)}%",
                             "hpolib_median": np.median(x), "peer_median": np.median(y), "p_hpolib_worse": p_worse,
                             "verdict": verdict})
    return pd.DataFrame(rows)


def plot(runs: pd.DataFrame, path: Path) -> None:
    """Median regret against the budget spent with its interquartile band, one panel per problem: a colour per
    method, hpolib's solid and the peers' dashed, one legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    grid = np.linspace(BUDGET / 40, BUDGET, 80)
    methods = list(dict.fromkeys(runs.method))
    colour = dict(zip(methods, sns.color_palette("colorblind", len(methods))))
    fig, axes = plt.subplots(1, len(PROBLEMS), figsize=(7.5, 2.8), squeeze=False)
    for ax, problem in zip(axes[0], PROBLEMS):
        for method, group in runs[runs.problem == problem].groupby("method", sort=False):
            curves = np.array([[at_fraction(c, r, g / BUDGET) for g in grid]
                               for c, r in zip(group.cost, group.regret)])
            if np.all(np.isnan(curves)):
                continue
            style = "-" if method.startswith("hpolib") else "--"
            ax.plot(grid, np.nanmedian(curves, axis=0), style, color=colour[method], lw=1.3, label=method)
            ax.fill_between(grid, np.nanquantile(curves, 0.25, axis=0), np.nanquantile(curves, 0.75, axis=0),
                            color=colour[method], alpha=0.08)
        ax.set_yscale("log")
        ax.set_title(problem, fontsize=10)
        ax.set_xlabel("budget spent", fontsize=9)
        ax.tick_params(which="both", labelsize=8)
    axes[0][0].set_ylabel("regret (validation error on the MLP)", fontsize=9)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.17, 1, 1))
    fig.savefig(path, dpi=88)  # 7.5 inches: 660 px, the width the book shows it at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--seed-offset", type=int, default=0)
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--lcm-trials", type=int, default=40, help="trials of the LCM-versus-random experiment")
    parser.add_argument("--lcm-seeds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    seeds = range(args.seed_offset, args.seed_offset + args.seeds)
    jobs = [(m, p, s, BUDGET) for p in args.problems.split(",") for m in args.methods.split(",") for s in seeds]
    jobs.sort(key=lambda j: j[1] != "mlp_digits")  # the slow ones first, for balance
    lcm_jobs = [(s, args.lcm_trials, LCM_SETTINGS) for s in range(args.seed_offset, args.seed_offset + args.lcm_seeds)]
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        lcm_runs = pd.DataFrame(list(pool.map(run_lcm_pair, lcm_jobs))) if args.lcm_seeds else pd.DataFrame()
        runs = pd.DataFrame(list(pool.map(run, jobs)))
    elapsed = time.perf_counter() - started

    methods = args.methods.split(",")
    tag = f"seeds{args.seed_offset}" + ("" if methods == METHODS else "_" + "_".join(methods))
    RESULTS.mkdir(exist_ok=True)
    summary = summarise(runs)
    verdicts = pd.concat([compare(runs, ours, peers) for ours, peers in PAIRS.items()], ignore_index=True)
    lcm_summary = {}
    with pd.option_context("display.width", 170, "display.max_rows", 200, "display.float_format", "{:.4g}".format):
        print(summary.to_string(index=False))
        print()
        print(verdicts.to_string(index=False))
        if not lcm_runs.empty:
            lcm_runs["budget_share"] = lcm_runs.lcm_cost / lcm_runs.random_cost
            lcm_runs["best_gap_pp"] = 100 * (lcm_runs.random_best - lcm_runs.lcm_best)  # accuracy lost
            print()
            print(lcm_runs.to_string(index=False))
            lcm_summary = {"median_budget_share": float(lcm_runs.budget_share.median()),
                           "median_best_gap_pp": float(lcm_runs.best_gap_pp.median()),
                           "max_best_gap_pp": float(lcm_runs.best_gap_pp.max()),
                           "seeds_within_0.3pp": int((lcm_runs.best_gap_pp <= 0.3 + 1e-9).sum()),
                           "seeds": len(lcm_runs)}
            print(f"\nLCM: median {lcm_summary['median_budget_share']:.1%} of random search's budget, best error "
                  f"{lcm_summary['median_best_gap_pp']:+.2f} pp (median; max {lcm_summary['max_best_gap_pp']:+.2f}), "
                  f"within 0.3 pp on {lcm_summary['seeds_within_0.3pp']}/{lcm_summary['seeds']} seeds")
    print(f"\n{len(jobs) + len(lcm_jobs)} runs in {elapsed:.0f} s on {args.workers} workers")

    runs.to_json(RESULTS / f"schedulers_runs_{tag}.json", orient="records")
    summary.to_csv(RESULTS / f"schedulers_summary_{tag}.csv", index=False)
    verdicts.to_csv(RESULTS / f"schedulers_vs_peers_{tag}.csv", index=False)
    if not lcm_runs.empty:
        lcm_runs.to_csv(RESULTS / f"schedulers_lcm_vs_random_{tag}.csv", index=False)
    (RESULTS / f"schedulers_{tag}.json").write_text(json.dumps(
        {"python": platform.python_version(), "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
         "seconds": elapsed, "args": vars(args), "budget": BUDGET,
         "lcm_settings": LCM_SETTINGS, "summary": summary.to_dict("records"),
         "versus_peers": verdicts.to_dict("records"), "lcm_vs_random": lcm_summary}, indent=1, default=float) + "\n")
    plot(runs, RESULTS / f"schedulers_regret_{tag}.png")
    print(f"written to {RESULTS}/schedulers_*_{tag}.*")


if __name__ == "__main__":
    main()
