"""hpolib's optimisers beside the peer libraries a user would otherwise pick, in one run.

Pairs (hpolib <-> peer): random <-> Optuna RandomSampler, TPE <-> Optuna
TPESampler (defaults), GP-BO <-> scikit-optimize gp_minimize and Optuna
GPSampler, PSO <-> pyswarms GlobalBestPSO (same swarm settings: S = 5,
c1 = c2 = 2, w = 0.5), GA <-> random search (no peer library), CMA-ES <->
Optuna CmaEsSampler (defaults: both start at the centre of the unit cube
with sigma0 = 1/6 and no restart; hpolib's integers are discrete coordinates
with margin, Optuna's rounded continuous ones).

Problems, in two sets. The *development* set (Branin, Hartmann-6,
Rosenbrock-4D, an off-centre bowl in 4-D, an integer-heavy bowl, and a real SVM
on the bundled digits with mixed log-Float, Int and Categorical parameters) on
seeds from 0 is what defaults are tuned on. The *held-out* set adds problems
never tuned on (Hartmann-3, Levy-4D, Levy-10D, a mixed space whose categorical
changes the landscape, and cross-validated gradient boosting on the
breast-cancer data) and runs every problem on seeds from 1000; it is run once
per change, to check that what helped on the first set holds. The *integers*
set is a family of bowls over wide and narrow integers (2 to 8 of them, 10
to 1,000 values each, optima off the centre and at bounds, beside floats and
a categorical or alone; :class:`hpolib.problems.QuadraticBowl`), the shape of
the LeNet study's widths among them, and one control, the six-integer coupled
bowl over floats (a gap on both is the bowl's, not the integers'): tuned on
with ``--set integers-tuning`` (seeds from 0), reported on seeds from 2000.

Reports the median and interquartile range of the simple regret (best value
minus the known optimum; for the real tasks, the error) after 25, 50 and all
evaluations, a one-sided Wilcoxon signed-rank test over seeds (is hpolib
worse?), the time to produce a proposal after 100 and 500 observations (with
the development set), and an anytime-regret plot. Raw traces go to
``benchmarks/results/``.

    pip install -r benchmarks/requirements.txt
    python benchmarks/optimizers.py                      # the development set, seeds 0-19
    python benchmarks/optimizers.py --set held-out       # every problem but the integer family, seeds 1000-1019
    python benchmarks/optimizers.py --set integers       # the integer family, seeds 2000-2019
    python benchmarks/optimizers.py --methods hpolib-cmaes optuna-cmaes --problems branin --seeds 6  # a subset
    python benchmarks/optimizers.py --methods hpolib-gp --reuse benchmarks/results/optimizers_runs_development.json
    python benchmarks/optimizers.py --set integers --methods hpolib-gp --reuse stored  # peers from every stored run
"""

from __future__ import annotations

import os

# One BLAS thread per process: the runs go in parallel on every core, and
# oversubscribed BLAS threads would slow every library several-fold.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from functools import partial  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from hpolib import Categorical, Float, GPOptimizer, Int  # noqa: E402
from hpolib.problems import (  # noqa: E402
    Branin,
    CancerBoosting,
    DigitsSVM,
    Hartmann3,
    Hartmann6,
    IntegerBowl,
    Levy,
    MixedBranches,
    QuadraticBowl,
    Rosenbrock,
    ShiftedBowl,
)
from hpolib.analysis.stats import call, paired  # noqa: E402
from hpolib.book.benchmark_tables import OPTIMIZER_FAMILIES, figure_name, later_runs  # noqa: E402
from hpolib.book.names import benchmark_name  # noqa: E402
from hpolib.methods import OPTIMIZERS, make_optimizer  # noqa: E402

RESULTS = Path(__file__).parent / "results"

PROBLEMS = {
    "branin": Branin,
    "hartmann6": Hartmann6,
    "rosenbrock4": lambda: Rosenbrock(dim=4),
    "bowl4": lambda: ShiftedBowl(dim=4),
    "integers6": lambda: IntegerBowl(dim=6),
    "svm_digits": DigitsSVM,
    # held out: never tuned on
    "hartmann3": Hartmann3,
    "levy4": lambda: Levy(dim=4),
    "levy10": lambda: Levy(dim=10),
    "mixed": MixedBranches,
    "boosting": CancerBoosting,
}
DEVELOPMENT = ("branin", "hartmann6", "rosenbrock4", "bowl4", "integers6", "svm_digits")
# The integer family: bowls on the unit scale (QuadraticBowl) over 2-8 integers of 10 to 1,000 values, optima
# off the centre and at bounds, alone or beside floats and a categorical; separable or coupled (rotation_seed).
_COUPLED6 = dict(zip([f"k{i}" for i in range(6)], [9, 50, 21, 63, 40, 2]))  # the coupled bowls' optimum
INTEGERS = {
    "lenet_widths": lambda: QuadraticBowl(  # the LeNet study's widths and a learning rate
        {"c1": Int(1, 32), "c3": Int(1, 32), "c5": Int(40, 130), "f6": Int(125, 325), "lr": Float(1e-4, 0.1, log=True)},
        {"c1": 6, "c3": 25, "c5": 112, "f6": 150, "lr": 3e-3}),
    "int2_wide": lambda: QuadraticBowl({"a": Int(0, 999), "b": Int(0, 999)}, {"a": 271, "b": 888}, rotation_seed=1),
    "int8_narrow": lambda: QuadraticBowl({f"k{i}": Int(0, 9) for i in range(8)},
                                         dict(zip([f"k{i}" for i in range(8)], [0, 9, 3, 7, 0, 5, 9, 2]))),
    "int3_floats": lambda: QuadraticBowl(  # integers at their bounds, coupled with two floats
        {"n": Int(1, 1000, log=True), "m": Int(0, 299), "k": Int(10, 109), "x": Float(-5, 5), "y": Float(0, 1)},
        {"n": 1, "m": 299, "k": 37, "x": 1.7, "y": 0.2}, rotation_seed=2),
    "int5_categorical": lambda: QuadraticBowl(
        {"a": Int(0, 19), "b": Int(0, 49), "c": Int(0, 99), "d": Int(0, 199), "w": Int(16, 512, log=True),
         "act": Categorical(["relu", "tanh", "elu"]), "lr": Float(1e-5, 0.1, log=True)},
        {"a": 14, "b": 3, "c": 61, "d": 180, "w": 64, "act": "tanh", "lr": 1e-3}),
    "int6_coupled": lambda: QuadraticBowl({k: Int(0, 63) for k in _COUPLED6}, _COUPLED6, rotation_seed=3),
    # int6_coupled over floats, the control: a gap on both is the bowl's, not the integers'
    "float6_coupled": lambda: QuadraticBowl({k: Float(0, 63) for k in _COUPLED6},
                                            {k: float(v) for k, v in _COUPLED6.items()}, rotation_seed=3),
}
PROBLEMS.update(INTEGERS)
SETS = {"development": (DEVELOPMENT, 0), "held-out": (tuple(p for p in PROBLEMS if p not in INTEGERS), 1000),
        # tuned on seeds from 0, reported on seeds from 2000
        "integers-tuning": (tuple(INTEGERS), 0), "integers": (tuple(INTEGERS), 2000)}  # problems, first seed

HPOLIB = {f"hpolib-{name}": partial(make_optimizer, name) for name in OPTIMIZERS}  # the study's settings
HPOLIB.update({
    # the GP without its target warping and length-scale prior: what the two defaults buy
    "hpolib-gp-plain": lambda space, seed: GPOptimizer(space, targets="standardise", length_scale_prior=(0.5, 10.0),
                                                              seed=seed),
})
PAIRS = [("hpolib-random", "optuna-random"), ("hpolib-tpe", "optuna-tpe"), ("hpolib-gp", "skopt-gp"),
         ("hpolib-gp", "optuna-gp"), ("hpolib-pso", "pyswarms-pso"), ("hpolib-ga", "optuna-random"),
         ("hpolib-cmaes", "optuna-cmaes")]
GP_METHODS = {"hpolib-gp", "hpolib-gp-plain", "skopt-gp", "optuna-gp"}


# ------------------------------------------------------------------ runners: each returns every value, in order

def run_hpolib(method, f, seed, n):
    from hpolib import SpaceExhausted

    optimizer, values = HPOLIB[method](f.space, seed), []
    for _ in range(n):
        try:
            config = optimizer.ask()
        except SpaceExhausted:  # a converged swarm: the rest of the budget is not spent
            break
        values.append(f(config))
        optimizer.tell(config, values[-1])
    return values


def _suggest(trial, space):
    config = {}
    for name, p in space.items():
        if isinstance(p, Categorical):
            config[name] = trial.suggest_categorical(name, list(p.choices))
        elif isinstance(p, Int):
            config[name] = trial.suggest_int(name, p.low, p.high, log=p.log)
        else:
            config[name] = trial.suggest_float(name, p.low, p.high, log=p.log)
    return config


def _optuna_sampler(method, seed):
    import optuna

    return {"optuna-random": lambda: optuna.samplers.RandomSampler(seed=seed),
            "optuna-tpe": lambda: optuna.samplers.TPESampler(seed=seed),
            "optuna-gp": lambda: optuna.samplers.GPSampler(seed=seed),
            "optuna-cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed)}[method]()


def run_optuna(method, f, seed, n):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=_optuna_sampler(method, seed))
    study.optimize(lambda trial: f(_suggest(trial, f.space)), n_trials=n)
    return [t.value for t in study.trials]


def _skopt_dimensions(space):
    from skopt.space import Categorical as SkCategorical
    from skopt.space import Integer, Real

    prior = lambda p: "log-uniform" if p.log else "uniform"  # noqa: E731
    return [SkCategorical(list(p.choices), name=name) if isinstance(p, Categorical)
            else Integer(p.low, p.high, prior=prior(p), name=name) if isinstance(p, Int)
            else Real(p.low, p.high, prior=prior(p), name=name) for name, p in space.items()]


def _from_skopt(space, x):
    return {name: (v.item() if hasattr(v, "item") else v) for name, v in zip(space, x)}


def run_skopt(method, f, seed, n):
    from skopt import gp_minimize

    result = gp_minimize(lambda x: f(_from_skopt(f.space, x)), _skopt_dimensions(f.space), n_calls=n,
                         random_state=seed)
    return list(result.func_vals)


def run_pyswarms(method, f, seed, n):
    """pyswarms searches a continuous box: the unit cube, decoded by the space (categories by index bins)."""
    import logging

    import pyswarms

    logging.getLogger("pyswarms").setLevel(logging.ERROR)
    np.random.seed(seed)  # pyswarms draws from numpy's global generator
    values = []

    def cost(positions):
        batch = [f(f.space.from_unit(x)) for x in positions]
        values.extend(batch)
        return np.array(batch)

    swarm = pyswarms.single.GlobalBestPSO(n_particles=5, dimensions=len(f.space),
                                          options={"c1": 2.0, "c2": 2.0, "w": 0.5},
                                          bounds=(np.zeros(len(f.space)), np.ones(len(f.space))))
    swarm.optimize(cost, iters=n // 5, verbose=False)
    return values[:n]


def run(job):
    method, problem, seed, n = job
    warnings.filterwarnings("ignore")
    f = PROBLEMS[problem]()
    runner = (run_hpolib if method.startswith("hpolib") else run_skopt if method.startswith("skopt")
              else run_pyswarms if method.startswith("pyswarms") else run_optuna)
    start = time.perf_counter()
    values = runner(method, f, seed, n)
    seconds = time.perf_counter() - start
    regret = np.minimum.accumulate(np.array(values) - f.optimum)
    regret = np.append(regret, [regret[-1]] * (n - len(regret)))  # a converged swarm keeps its best
    return {"method": method, "problem": problem, "seed": seed, "evaluations": len(values), "seconds": seconds,
            "regret": [float(r) for r in regret]}


# ------------------------------------------------------------------ time to a proposal after k observations

def proposal_time(method, n_obs):
    """Mean seconds for one tell + ask on Hartmann-6 holding ``n_obs`` random observations.

    The mean runs over 16 consecutive proposals (3 for scikit-optimize, whose every proposal costs the same),
    so it includes, once, the anchor fits hpolib's GP makes every 16 observations.
    """
    repeats = 3 if method.startswith("skopt") else GPOptimizer.ANCHOR_EVERY
    warnings.filterwarnings("ignore")
    f, rng = Hartmann6(), np.random.default_rng(0)
    history = [f.space.sample(rng) for _ in range(n_obs)]
    values = [f(c) for c in history]
    times = []
    if method.startswith("hpolib"):
        optimizer = HPOLIB[method](f.space, 0)
        optimizer.restore(n_obs, list(zip(history, values, [None] * n_obs)))
        config = f.space.sample(rng)
        for _ in range(repeats):
            start = time.perf_counter()
            optimizer.tell(config, f(config))
            config = optimizer.ask()
            times.append(time.perf_counter() - start)
    elif method.startswith("optuna"):
        import optuna
        from optuna.distributions import FloatDistribution

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(sampler=_optuna_sampler(method, 0))
        dists = {name: FloatDistribution(p.low, p.high) for name, p in f.space.items()}
        study.add_trials([optuna.trial.create_trial(params=c, distributions=dists, value=v)
                          for c, v in zip(history, values)])
        for _ in range(repeats):
            start = time.perf_counter()
            trial = study.ask()
            study.tell(trial, f(_suggest(trial, f.space)))
            times.append(time.perf_counter() - start)
    elif method.startswith("skopt"):
        from skopt import Optimizer as SkOptimizer

        optimizer = SkOptimizer(_skopt_dimensions(f.space), base_estimator="GP", random_state=0)
        optimizer.tell([list(c.values()) for c in history], values)
        x = optimizer.ask()
        for _ in range(repeats):
            start = time.perf_counter()
            optimizer.tell(x, f(_from_skopt(f.space, x)))
            x = optimizer.ask()
            times.append(time.perf_counter() - start)
    else:  # pyswarms: a swarm step costs the same whatever the history; time per evaluation
        start = time.perf_counter()
        values = run_pyswarms(method, f, 0, n_obs)
        times.append((time.perf_counter() - start) / len(values))
    return float(np.mean(times))


# ------------------------------------------------------------------ report

def summarise(runs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for (problem, method), group in runs.groupby(["problem", "method"], sort=False):
        traces = group["regret"].tolist()
        final = np.array([t[-1] for t in traces])
        def at(k, traces=traces):
            return np.median([t[min(k, len(t)) - 1] for t in traces])

        rows.append({"problem": problem, "method": method, "seeds": len(traces),
                     "evals": int(group["evaluations"].max()), "regret@25": at(25), "regret@50": at(50),
                     "median": np.median(final), "q25": np.quantile(final, 0.25), "q75": np.quantile(final, 0.75),
                     "seconds/run": group["seconds"].mean()})
    return pd.DataFrame(rows)


def compare(runs: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for ours, peer in PAIRS:
        for problem in runs.problem.unique():
            a = runs[(runs.method == ours) & (runs.problem == problem)].sort_values("seed")
            b = runs[(runs.method == peer) & (runs.problem == problem)].sort_values("seed")
            if a.empty or b.empty:
                continue
            seeds = sorted(set(a.seed) & set(b.seed))
            n = min(min(len(t) for t in a.regret), min(len(t) for t in b.regret))  # same budget for both
            x = np.array([t[n - 1] for s, t in zip(a.seed, a.regret) if s in seeds])
            y = np.array([t[n - 1] for s, t in zip(b.seed, b.regret) if s in seeds])
            worse = paired(x, y, alternative="greater")  # hpolib's regret above the peer's
            unclear = "no worse" if np.median(x) <= np.median(y) else "worse, not significant"
            verdict = call(worse, ("clearly worse", unclear, unclear))
            p_worse = 1.0 if math.isnan(worse["p"]) else worse["p"]  # every seed tied
            rows.append({"hpolib": ours, "peer": peer, "problem": problem, "evals": n,
                         "hpolib_median": np.median(x), "peer_median": np.median(y), "p_hpolib_worse": p_worse,
                         "verdict": verdict})
    return pd.DataFrame(rows)


def plot(runs: pd.DataFrame, results: Path, name: str) -> None:
    """Per family of optimisers (the book's), one figure of median regret against evaluations with its
    interquartile band, a panel per problem: a colour per method, hpolib's solid and the peers' dashed, in the
    book's names (``figure_name``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    problems = list(runs.problem.unique())
    columns, rows = 3, -(-len(problems) // 3)
    for family, members in OPTIMIZER_FAMILIES.items():
        shown = [m for m in members if m in set(runs.method)]
        if not shown:
            continue
        colour = dict(zip(shown, sns.color_palette("colorblind", len(shown))))
        fig, axes = plt.subplots(rows, columns, figsize=(7.5, 2.3 * rows + 0.5), squeeze=False)
        for ax in axes.flat[len(problems):]:
            ax.set_visible(False)
        for ax, problem in zip(axes.flat, problems):
            for method in shown:
                group = runs[(runs.problem == problem) & (runs.method == method)]
                if group.empty:
                    continue
                n = min(len(t) for t in group.regret)
                curves, x = np.array([t[:n] for t in group.regret]), np.arange(1, n + 1)
                ax.plot(x, np.median(curves, axis=0), "-" if method.startswith("hpolib-") else "--",
                        color=colour[method], lw=1.4, label=benchmark_name(method))
                ax.fill_between(x, np.quantile(curves, 0.25, axis=0), np.quantile(curves, 0.75, axis=0),
                                color=colour[method], alpha=0.08)
            ax.set_yscale("log")
            ax.set_title(benchmark_name(problem), fontsize=10)
            ax.tick_params(which="both", labelsize=8)
        for ax in axes[:, 0]:
            ax.set_ylabel("simple regret", fontsize=9)
        for ax in axes[-1]:
            ax.set_xlabel("evaluations", fontsize=9)
        legend: dict = {}
        for ax in axes.flat:
            for handle, label in zip(*ax.get_legend_handles_labels()):
                legend.setdefault(label, handle)
        fig.legend(list(legend.values()), list(legend), loc="lower center", ncol=4, fontsize=8, frameon=False)
        fig.tight_layout(rect=(0, 0.45 / (2.3 * rows + 0.5), 1, 1))  # half an inch for the legend's two lines
        fig.savefig(results / figure_name(name, family), dpi=88)  # 7.5 inches: 660 px, as the book shows it
        plt.close(fig)


def _versions() -> dict[str, str]:
    """The versions of hpolib and of the peers' libraries this run used (those installed)."""
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for package in ("hpolib", "optuna", "scikit-optimize", "pyswarms", "cmaes", "scikit-learn", "numpy", "scipy"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            pass
    return found


def as_stored(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` as their JSON file gives them back (regrets to 10 decimals): a run compared with the stored runs of
    its peers meets them at their precision, so an equal regret is a tie, not a last-digit win or loss, and the
    verdicts are those the stored runs give when read back."""
    return pd.read_json(io.StringIO(runs.to_json(orient="records")), orient="records")


def stored_runs(name: str) -> pd.DataFrame:
    """The stored runs of the set ``name``: the whole run's (if it was run whole), a later run's of some methods in
    their place."""
    paths = [RESULTS / f"optimizers_runs_{name}.json", *later_runs(RESULTS, f"optimizers_runs_{name}", ".json")]
    runs = pd.concat([pd.read_json(p) for p in paths if p.exists()], ignore_index=True)
    return runs.drop_duplicates(subset=["method", "problem", "seed"], keep="last").reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=list(SETS), default="development",
                        help="development: the problems defaults are tuned on, seeds from 0; held-out: every "
                             "problem but the integer family, seeds from 1000; integers-tuning and integers: the "
                             "integer family, seeds from 0 and from 2000")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=None,
                        help="seeds from this one instead of the set's (a check on fresh seeds of a verdict; its "
                             "files are named <set>-from<N> and the book's tables leave them out)")
    parser.add_argument("--evals", type=int, default=100)
    parser.add_argument("--gp-seeds", type=int, default=20,
                        help="seeds for the GP methods (slower; scikit-optimize's stored runs have 6)")
    parser.add_argument("--gp-evals", type=int, default=40, help="evaluations for the GP methods")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-timing", action="store_true",
                        help="skip the time per proposal (measured with the development set only: it does not "
                             "depend on the problem)")
    parser.add_argument("--methods", nargs="+", default=None, help="run only these methods (default: all)")
    parser.add_argument("--problems", nargs="+", default=None, choices=list(PROBLEMS),
                        help="run only these problems of the set (default: all of it)")
    parser.add_argument("--reuse", default=None,
                        help="an earlier optimizers_runs_*.json of the same set, or 'stored' for every stored run "
                             "of the set (a later run's in place of the whole run's): the runs of the methods not "
                             "run now are read from it (the peers, when only hpolib's optimisers changed)")
    parser.add_argument("--plot", action="store_true",
                        help="only redraw the set's figures from its stored runs, later runs of some methods in "
                             "place of the whole run's")
    args = parser.parse_args()
    if args.plot:
        plot(stored_runs(args.set), RESULTS, args.set)
        print(f"redrawn: {', '.join(figure_name(args.set, f) for f in OPTIMIZER_FAMILIES)}")
        return

    methods = list(HPOLIB) + ["optuna-random", "optuna-tpe", "optuna-gp", "optuna-cmaes", "skopt-gp", "pyswarms-pso"]
    if args.methods:
        unknown = sorted(set(args.methods) - set(methods))
        if unknown:
            parser.error(f"unknown methods {unknown}; known: {', '.join(methods)}")
        methods = [m for m in methods if m in args.methods]
    problems, first_seed = SETS[args.set]
    first_seed = first_seed if args.first_seed is None else args.first_seed
    if args.problems:
        problems = tuple(p for p in problems if p in args.problems)
        if not problems:
            parser.error(f"none of {args.problems} is in the {args.set} set: {', '.join(SETS[args.set][0])}")
    jobs = []
    for method in methods:
        gp = method in GP_METHODS
        seeds = range(first_seed, first_seed + (args.gp_seeds if gp else args.seeds))
        jobs += [(method, problem, seed, args.gp_evals if gp else args.evals) for problem in problems for seed in seeds]
    jobs.sort(key=lambda j: j[0] not in GP_METHODS)  # the slow ones first, for balance
    started, load = time.perf_counter(), [os.getloadavg()[0]]
    with ProcessPoolExecutor(args.workers) as pool:
        runs = as_stored(pd.DataFrame(list(pool.map(run, jobs))))
    elapsed, load = time.perf_counter() - started, load + [os.getloadavg()[0]]
    stored_as = args.set + ("" if args.first_seed is None else f"-from{first_seed}")  # the set's name in files
    if args.reuse:
        earlier = stored_runs(stored_as) if args.reuse == "stored" else pd.read_json(args.reuse, orient="records")
        runs = pd.concat([runs, earlier[~earlier.method.isin(methods) & earlier.problem.isin(problems)]],
                         ignore_index=True)

    tag = stored_as \
        + ("" if args.methods is None else "_" + "_".join(methods)) \
        + ("" if args.problems is None else "_" + "_".join(problems))
    RESULTS.mkdir(exist_ok=True)
    summary, verdicts = summarise(runs), compare(runs)
    with pd.option_context("display.width", 160, "display.max_rows", 200, "display.float_format", "{:.4g}".format):
        print(summary.to_string(index=False))
        print()
        print(verdicts.to_string(index=False))
    timing = []
    if not args.skip_timing and args.set == "development":
        for method in methods:
            row = {"method": method}
            for n_obs in (100, 500):
                row[f"s/proposal@{n_obs}"] = proposal_time(method, n_obs)
            timing.append(row)
        print()
        print(pd.DataFrame(timing).to_string(index=False, float_format="{:.4g}".format))
    print(f"\n{len(jobs)} runs in {elapsed:.0f} s on {args.workers} workers")

    runs.to_json(RESULTS / f"optimizers_runs_{tag}.json", orient="records")
    summary.to_csv(RESULTS / f"optimizers_summary_{tag}.csv", index=False)
    verdicts.to_csv(RESULTS / f"optimizers_vs_peers_{tag}.csv", index=False)
    (RESULTS / f"optimizers_{tag}.json").write_text(json.dumps(
        {"python": platform.python_version(), "libraries": _versions(),
         "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
         "seconds": elapsed, "args": vars(args), "first_seed": first_seed,
         "cpus": os.cpu_count(), "load": load,  # 1-minute load averages before and after the runs
         "summary": summary.to_dict("records"), "versus_peers": verdicts.to_dict("records"),
         "proposal_time": timing}, indent=1, default=float) + "\n")
    if args.methods is None and args.problems is None:  # after a later run of some methods: --plot redraws
        plot(runs, RESULTS, tag)
    print(f"written to {RESULTS}/optimizers_*_{tag}.*")


if __name__ == "__main__":
    main()
