"""The benchmarks chapter's tables, rendered as Markdown from ``benchmarks/results/`` when the book is built.

The optimiser benchmark writes one set of files per problem set
(``optimizers_summary_<set>.csv``, ``optimizers_vs_peers_<set>.csv``,
``optimizers_<set>.json``); the scheduler benchmark
``schedulers_summary_seeds0*.csv`` and ``schedulers_vs_peers_seeds0*.csv`` (the whole run, and runs of
some of its methods, such as the DEHB pair); the hypergradient experiment
``hypergrad_summary_weight_decay.csv``; the landscape benchmark ``landscape_summary_<set>.csv`` and
``landscape_<set>.json``. A file that is missing becomes a sentence saying which script writes it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from ..analysis.stats import ALPHA
from .names import benchmark_name as display_name
from .names import name as table_name  # on the LeNet-5 table every method is the chapter's, DEHB hpolib's own

__all__ = ["optimizer_tables", "scheduler_tables", "hypergrad_table", "landscape_tables", "claim_tests", "merged",
           "figure_name", "later_runs", "lenet_table_tables", "OPTIMIZER_SETS", "OPTIMIZER_FAMILIES",
           "LANDSCAPE_SETS"]

OPTIMIZER_SETS = ("development", "held-out", "integers")
LANDSCAPE_SETS = ("development", "held-out")
OPTIMIZER_FAMILIES = {"Model-based": ["hpolib-tpe", "optuna-tpe", "hpolib-gp", "skopt-gp", "optuna-gp"],
                      "Evolution and swarms": ["hpolib-pso", "pyswarms-pso", "hpolib-ga", "hpolib-cmaes",
                                               "optuna-cmaes"],
                      "Random search": ["hpolib-random", "optuna-random"]}
"""The optimisers in the families the benchmark tables and figures group them by (five at most: a table fits the
text column, a panel keeps its lines apart)."""
_SCHEDULERS = ("hpolib-random", "hpolib-hyperband", "hpolib-bohb", "hpolib-asha", "hpolib-lcm", "hpolib-dehb",
               "hpbandster-bohb", "dehb")  # the columns of the scheduler tables, in order


def _number(value: float) -> str:
    return "" if pd.isna(value) else f"{value:.3g}"


def _markdown(frame: pd.DataFrame) -> list[str]:
    """A frame as a Markdown table (index as the first column)."""
    head = [str(frame.index.name or "")] + [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(head) + " |", "|---" + "|--:" * len(frame.columns) + "|"]
    lines += ["| " + " | ".join([str(i)] + [str(v) for v in row]) + " |" for i, row in frame.iterrows()]
    return lines


def _verdict(row) -> str:
    """Whether hpolib's median regret is lower or higher than the peer's, and the p-value that hpolib's is
    larger; bold when clearly worse."""
    cell = f"{'lower' if row.hpolib_median <= row.peer_median else 'higher'} {row.p_hpolib_worse:.2g}"
    return f"**{cell}**" if row.verdict == "clearly worse" else cell


_LEGEND = ("each cell: whether hpolib's median regret is lower or higher than the peer's, then p, the p-value of a "
           "one-sided Wilcoxon signed-rank test over the seeds both ran that hpolib's is larger; bold (p < "
           f"{ALPHA:g}) is *clearly worse*")


def _load(meta: dict) -> str:
    """What the run's wall times were measured under: the machine's load, when the benchmark recorded it."""
    if "load" not in meta:
        return " (the machine's load was not recorded: these wall times may include other jobs)"
    busy = max(meta["load"]) > meta["cpus"] + 0.5
    return (f" ({meta['cpus']} cores, load average {meta['load'][0]:.1f} before and {meta['load'][1]:.1f} after"
            + ("; other jobs shared the machine, so wall times are inflated)" if busy else ")"))


def _later(results: Path, name: str, whole: bool = True) -> str:
    """Which methods' rows come from later runs of the set ``name`` (:func:`merged`), in a sentence; ``whole``:
    whether the set was also run whole."""
    runs = []
    for path in later_runs(results, f"optimizers_{name}", ".json"):
        meta = json.loads(path.read_text())
        methods = ", ".join(f"{display_name(m)}{_seeds_of(path, m)}" for m in meta["args"].get("methods") or [])
        problems = meta["args"].get("problems")
        on = f" on {', '.join(display_name(p) for p in problems)}" if problems else ""
        runs.append(f"{methods}{on} from a {'later ' if whole else ''}run of {_duration(meta['seconds'])} "
                    f"(`{path.name}`)")
    if not runs:
        return ""
    earlier = "the whole" if whole else "an earlier"
    return " Rows of " + "; ".join(runs) + f", each replacing that method's rows of {earlier} run."


def _seeds_of(record: Path, method: str) -> str:
    """`` (N seeds)``: how many seeds ``method`` ran in the later run whose record is ``record`` (a range where its
    problems differ), from that run's summary ("" where that says nothing of it)."""
    summary = _summary_of(record)
    rows = pd.read_csv(summary) if summary.exists() else pd.DataFrame(columns=["method"])
    seeds = rows[rows.method == method].get("seeds", pd.Series(dtype=int))
    if not len(seeds):
        return ""
    return f" ({seeds.min()} seeds)" if seeds.min() == seeds.max() else f" ({seeds.min()}-{seeds.max()} seeds)"


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} minutes" if seconds >= 90 else f"{seconds:.0f} s"


def optimizer_tables(results: Path, name: str) -> str:
    """Regret, verdicts against the peers and seconds per proposal of the optimiser benchmark's set ``name``."""
    whole = (results / f"optimizers_{name}.json").exists()
    records = ([results / f"optimizers_{name}.json"] if whole else []) + later_runs(results, f"optimizers_{name}",
                                                                                    ".json")
    if not records:
        return f"Not measured yet: run `python benchmarks/optimizers.py --set {name}`.\n"
    summary = merged(results, f"optimizers_summary_{name}", ["problem", "method"])
    meta = json.loads(records[0].read_text())
    args = meta["args"]
    first = meta.get("first_seed", 0)
    run = (f"{meta['seconds'] / 60:.0f} minutes on {args['workers']} workers{_load(meta)}" if whole else
           "the set run a few methods at a time")
    lines = [f"Median final simple regret over seeds (validation error on the SVM and boosting tasks); "
             f"{args['seeds']} seeds and {args['evals']} evaluations, the GP methods {args['gp_seeds']} seeds "
             f"and {args['gp_evals']} evaluations, seeds from {first}; {run}." + _later(results, name, whole), ""]
    regret = summary.pivot_table(index="problem", columns="method", values="median", sort=False)
    regret = regret.rename(index=display_name)
    for family, methods in OPTIMIZER_FAMILIES.items():  # two tables, each narrow enough for the page
        shown = [m for m in methods if m in regret.columns]
        if shown:
            lines += [f"{family}:", ""] + _markdown(regret[shown].rename(columns=display_name).map(_number))
            lines += [""]
    verdicts = merged(results, f"optimizers_vs_peers_{name}", ["hpolib", "peer", "problem"])
    verdicts["pair"] = verdicts.hpolib.map(display_name) + " vs " + verdicts.peer.map(display_name)
    counts = verdicts.groupby("pair", sort=False).verdict.agg(
        **{"no worse": lambda v: f"{(v == 'no worse').sum()} of {len(v)}",
           "clearly worse": lambda v: f"{(v == 'clearly worse').sum()} of {len(v)}"})
    lines += [f"Against the peer, per problem ({_LEGEND}):", "", *_markdown(counts), ""]
    cells = verdicts.assign(cell=verdicts.apply(_verdict, axis=1))
    for family, members in OPTIMIZER_FAMILIES.items():  # one table per family of hpolib's method, to fit the page
        mine = cells[cells.hpolib.isin(members)]
        if len(mine):
            table = mine.pivot_table(index="problem", columns="pair", values="cell", aggfunc="first",
                                     sort=False).rename(index=display_name)
            lines += [f"{family}:", "", *_markdown(table.fillna("")), ""]
    lines += _fresh_seed_checks(results, name)
    timing = pd.DataFrame(meta.get("proposal_time", []))
    if len(timing):
        timing = timing.set_index("method").rename(index=display_name)
        timing.index.name = "method"
        timing.columns = ["s per proposal, 100 observations", "s per proposal, 500 observations"]
        lines += ["Seconds to ask for a proposal and tell its result after 100 and 500 observations on "
                  "Hartmann-6 (wall times, measured in the same run, under the load stated above, each method at "
                  "its defaults of that run):", ""]
        lines += _markdown(timing.map(_number)) + [""]
    for number, family in enumerate(OPTIMIZER_FAMILIES):
        figure = figure_name(name, family)
        if (results / figure).exists():
            lines += [f"```{{figure}} {figure}", ":width: 100%", "",
                      f"{family} optimisers, {name} set: simple regret against evaluations, the median and the "
                      "interquartile band over seeds; hpolib's methods solid, their peers dashed."
                      + (" Where a peer's line ends below hpolib's, the table above says whether the seeds "
                         "tell them apart." if number == 0 else ""), "```", ""]
    return "\n".join(lines) + "\n"


def _fresh_seed_checks(results: Path, name: str) -> list[str]:
    """The set ``name``'s verdicts rechecked on fresh seeds (runs with ``--first-seed``, files
    ``optimizers_<name>-from<N>_<methods>...``), the latest run of each pair and problem, as a table (none: [])."""
    rows = []
    for tag in sorted({p.name.split("_")[1] for p in results.glob(f"optimizers_{name}-from*_*.json")}):
        stem = f"optimizers_vs_peers_{tag}"
        for path in later_runs(results, stem, ".csv"):
            record = json.loads(_record_of(path, stem, ".csv").read_text())
            first, args = record["args"]["first_seed"], record["args"]
            for row in pd.read_csv(path).itertuples():
                seeds = args["gp_seeds"] if "gp" in row.hpolib else args["seeds"]  # the GP methods' own count
                rows.append({"pair": f"{display_name(row.hpolib)} vs {display_name(row.peer)}",
                             "problem": display_name(row.problem), "seeds": f"{first}-{first + seeds - 1}",
                             "hpolib": _number(row.hpolib_median), "peer": _number(row.peer_median),
                             "p": f"{row.p_hpolib_worse:.2g}", "verdict": row.verdict})
    if not rows:
        return []
    table = pd.DataFrame(rows).drop_duplicates(subset=["pair", "problem"], keep="last").set_index("pair")
    return ["Verdicts checked again on fresh seeds (`--first-seed`), the latest run of each, with each method's "
            "median final regret; the tables above keep the set's own seeds:", "", *_markdown(table), ""]


def merged(results: Path, stem: str, key: list[str]) -> pd.DataFrame:
    """The rows of ``<stem>.csv`` (a run of the whole set) and of every ``<stem>_<methods>.csv`` (a later run of
    some methods, new ones or rerun after a change), a later run's rows replacing the whole run's for the same
    ``key``; a set never run whole (the integer family, run method by method) has only the later runs'."""
    paths = [p for p in [results / f"{stem}.csv", *later_runs(results, stem, ".csv")] if p.exists()]
    frame = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    return frame.drop_duplicates(subset=key, keep="last").reset_index(drop=True)


def later_runs(results: Path, stem: str, suffix: str) -> list[Path]:
    """The files of later runs of ``stem``'s set, in the order the runs finished (the ``finished`` time in each
    run's record, ``optimizers_<set>_<methods>.json`` or ``schedulers_<tag>_<methods>.json``): a rerun of a method
    replaces its earlier rows whatever the files are called. A run without a record sorts first."""
    def finished(path: Path) -> str:
        meta = _record_of(path, stem, suffix)
        return json.loads(meta.read_text()).get("finished", "") if meta.exists() else ""

    return sorted(results.glob(f"{stem}_*{suffix}"), key=lambda p: (finished(p), p.name))


def _summary_of(record: Path) -> Path:
    """The summary table a run of the optimiser benchmark wrote beside its record (:func:`_record_of` the other
    way): ``optimizers_<set>_<methods>.json`` to ``optimizers_summary_<set>_<methods>.csv``."""
    return record.with_name(record.name.replace("optimizers_", "optimizers_summary_", 1)).with_suffix(".csv")


def _record_of(path: Path, stem: str, suffix: str) -> Path:
    """The record of the run that wrote ``path``, a later run's file of ``stem`` (:func:`later_runs`): the file
    named as the run's set and methods, ``optimizers_<set>_<methods>.json`` or ``schedulers_<tag>_<methods>.json``."""
    record = re.sub(r"_(summary|vs_peers|runs)(?=_)", "", stem, count=1)
    return path.with_name(f"{record}{path.name[len(stem):-len(suffix)]}.json")


def scheduler_tables(results: Path) -> str:
    """Regret and verdicts of the scheduler benchmark."""
    path = results / "schedulers_summary_seeds0.csv"
    if not path.exists():
        return "Not measured yet: run `python benchmarks/schedulers.py`.\n"
    summary = merged(results, "schedulers_summary_seeds0", ["problem", "method"])
    regret = summary.pivot_table(index="problem", columns="method", values="regret@100%", sort=False)
    regret = regret.rename(index=display_name)
    regret = regret[[m for m in _SCHEDULERS if m in regret.columns]].rename(columns=display_name)
    lines = ["Median regret over seeds once the whole budget is spent (validation error on the MLP):", ""]
    lines += _markdown(regret.T.rename_axis("method").map(_number)) + [""]
    verdicts = merged(results, "schedulers_vs_peers_seeds0", ["hpolib", "peer", "problem", "budget"])
    verdicts["pair"] = verdicts.hpolib.map(display_name) + " vs " + verdicts.peer.map(display_name)
    verdicts["column"] = verdicts.problem.map(display_name) + " at " + verdicts.budget
    table = verdicts.assign(cell=verdicts.apply(_verdict, axis=1)).pivot_table(
        index="pair", columns="column", values="cell", aggfunc="first", sort=False)
    lines += [f"Against the peer at 25, 50 and 100 % of the budget ({_LEGEND}):", ""]
    lines += _markdown(table.T.fillna("")) + [""]
    if (results / "schedulers_regret_seeds0.png").exists():
        lines += ["```{figure} schedulers_regret.png", ":width: 100%", "",
                  "Regret against the budget spent, median and interquartile band over seeds.", "```", ""]
    return "\n".join(lines) + "\n"


_HYPERGRAD_METHODS = ("none", "random search (one decay)", "per-weight hypergradient")


def hypergrad_table(results: Path) -> str:
    """Test accuracy and loss per seed of the hypergradient experiment (``benchmarks/hypergrad.py``)."""
    path = results / "hypergrad_summary_weight_decay.csv"
    if not path.exists():
        return "Not measured yet: run `python benchmarks/hypergrad.py`.\n"
    runs = pd.read_csv(path)
    cells = runs.assign(cell=[f"{100 * a:.2f} % / {loss:.3f}" for a, loss in zip(runs.test_accuracy,
                                                                                   runs.test_loss)])
    table = cells.pivot_table(index="seed", columns="method", values="cell", aggfunc="first", sort=False)
    table = table[[m for m in _HYPERGRAD_METHODS if m in table.columns]]
    table.index = [f"seed {s}" for s in table.index]
    means = runs.groupby("method", sort=False)[["test_accuracy", "test_loss", "val_loss", "compute"]].mean()
    table.loc["mean"] = [f"{100 * means.test_accuracy[m]:.2f} % / {means.test_loss[m]:.3f}" for m in table.columns]
    table.loc["validation loss, mean"] = [f"{means.val_loss[m]:.3f}" for m in table.columns]
    table.loc["training compute (example-gradients)"] = [f"{means.compute[m]:,.0f}" for m in table.columns]
    table.index.name = ""
    table.columns.name = None
    return "\n".join(["Test accuracy / test cross-entropy on 5,000 MNIST test images, per seed (from "
                      "`benchmarks/results/hypergrad_summary_weight_decay.csv`):", "", *_markdown(table), ""]) + "\n"


def figure_name(name: str, family: str) -> str:
    """The file of the regret figure of one family of :data:`OPTIMIZER_FAMILIES` on the set ``name``."""
    return f"optimizers_regret_{name}.{family.split()[0].lower().strip(',')}.png"


def _grid_against_random(row) -> str:
    """Which of grid and random search ends lower, on how many seeds, and the one-sided p of that direction;
    bold when p < ALPHA."""
    random_ahead = row.random_median <= row.grid_median
    wins, p = (row.random_wins, row.p_random_lower) if random_ahead else (row.grid_wins, row.p_grid_lower)
    cell = f"{'random' if random_ahead else 'grid'}, {wins} of {row.seeds}, p = {p:.2g}"
    return f"**{cell}**" if p < ALPHA else cell


def landscape_tables(results: Path, name: str) -> str:
    """Grid against random search as the dimension grows, on the landscape benchmark's set ``name``."""
    path = results / f"landscape_summary_{name}.csv"
    if not path.exists():
        return f"Not measured yet: run `python benchmarks/landscape.py --set {name}`.\n"
    summary, meta = pd.read_csv(path), json.loads((results / f"landscape_{name}.json").read_text())
    args = meta["args"]
    lines = [f"{name.capitalize()} set: median final simple regret over {args['seeds']} seeds from "
             f"{meta['first_seed']}, {args['evals']} evaluations each; the grid's values per axis in brackets. "
             f"Each test is one-sided exact Wilcoxon signed-rank over paired seeds, in the direction of the lower "
             f"median; bold: p < {ALPHA:g}.", ""]
    summary = summary.assign(
        problem=summary.problem.map(display_name), dimensions=summary.dim,
        grid=[f"{_number(g)} ({k})" for g, k in zip(summary.grid_median, summary.grid_levels)],
        random=summary.random_median.map(_number), lower=summary.apply(_grid_against_random, axis=1))
    table = summary.set_index(["problem", "dimensions"])[["grid", "random", "lower"]]
    table.index = [f"{p}, {d}-D" for p, d in table.index]
    table.index.name = "problem"
    table.columns = ["grid", "random", "lower: seeds, p"]
    return "\n".join(lines + _markdown(table) + [""]) + "\n"


def claim_tests(rows: list[dict]) -> str:
    """The tests the claims ledger's rows (``rows``, as :func:`hpolib.book.claims.ledger` gives them) rest on: per
    claim, one line per test with what was tested, the pairs ahead of all, and the Holm-adjusted p in the claimed
    direction and the other way."""
    lines: list[str] = []
    for row in (r for r in rows if r["test"]):
        lines += [f"`{row['id']}` ({row['verdict']}):", "", "| test | ahead | p | p, other way |", "|---|--:|--:|--:|"]
        lines += [f"| {t['label']} | {t['wins']} of {t['n']} | {t['p']:.2g} | {t['p_other_way']:.2g} |"
                  for t in row["test"]]
        lines.append("")
    return "\n".join(lines) + "\n" if lines else ""


REPORT_GRID_EPOCHS = 740e6  # the LeNet report's estimate of a full grid over its ranges, in epochs
_TABLE_SUMMARY = {"median regret (pp)": "median regret (pp)", "IQR (pp)": "IQR (pp)",
                  "optimum found": "optimum found", "within 1 pp": "within 1 pp",
                  "median epochs to 1 pp": "median epochs to 1 pp"}


def lenet_table_tables(results: Path) -> str:
    """The LeNet-5 tabular benchmark's answers (``benchmarks/lenet_table.py``'s ``lenet_table.json``): every
    method's regret per budget, PSO against BOHB, every method against random search, the widths' importance, and
    what the table's full grid cost beside the report's estimate."""
    path = results / "lenet_table.json"
    if not path.exists():
        return ("Not measured yet: the table is built with `python -m hpolib.studies.lenet_table --folder "
                "runs/book/full/lenet_table --recipe hpolib --table hpolib/data/lenet_table.csv.gz`, then measured "
                "with `python benchmarks/lenet_table.py`.\n")
    record = json.loads(path.read_text())
    cost, seeds, epochs = record["grid_cost"], record["seeds"], record["grid_cost"]["epochs"]
    per_config = epochs // cost["configurations"]
    best = record["optimum_config"]
    lines = [f"The table holds {cost['configurations']} configurations trained {per_config} epochs each; its best, "
             f"C1-C3-C5-F6 {best['c1']}-{best['c3']}-{best['c5']}-{best['f6']}, reaches "
             f"{100 * (1 - record['optimum']):.1f} % validation accuracy. Every method ran on seeds 0 to "
             f"{seeds - 1}, at each budget; a run's regret is its incumbent's validation error after "
             f"{per_config} epochs less the table's lowest, in percentage points (one validation image is "
             "0.1 pp)." + (f" The runs read the table whose sha256 begins `{record['table_sha256'][:16]}`, as the data "
                           "card above gives it." if "table_sha256" in record else ""), ""]
    summary, tests = pd.DataFrame(record["summary"]), pd.DataFrame(record["tests"])
    for budget, evaluations in record["budgets"].items():
        part = summary[summary.budget == budget].set_index("method")[list(_TABLE_SUMMARY)]
        part.index = part.index.map(table_name)
        part.index.name = "method"
        shown = part.assign(**{c: part[c].map(_number) for c in ("median regret (pp)", "IQR (pp)",
                                                                  "median epochs to 1 pp")})
        lines += [f"**The {budget} budget**: {evaluations} full evaluations' worth, {evaluations * per_config:,} "
                  f"epochs. Regret over {seeds} seeds; how many seeds found the optimum itself and came within "
                  "1 pp of it, and the epochs those took (median):", "", *_markdown(shown), ""]
    if (results / "lenet_table_anytime.png").exists():
        lines += ["```{figure} lenet_table_anytime.png", ":width: 100%", "",
                  "Median regret over seeds against the epochs (top) and the table's training seconds (bottom) "
                  "each method spent, at the report's budget; the dotted line is 1 pp.", "```", ""]
    lines += _pso_against_bohb(record, tests) + _against_random(tests)
    importance = pd.DataFrame(record["importance"])
    if not importance.empty:
        first = importance.columns[0]
        importance = importance.set_index(first)
        importance.index = [" × ".join(part.upper() for part in str(k).split(" x ")) for k in importance.index]
        importance.index.name = "width"
        importance.columns = ["exact, whole table (%)", *(f"{c} (%)" for c in importance.columns[1:])]
        lines += ["### Which widths matter", "", "Each width's share of the variance of the validation error over the "
                  "whole table (exact), beside what a random forest's fANOVA estimates from 50 of its points, as a "
                  "search would see them:", "",
                  *_markdown(importance.map(lambda share: f"{100 * share:.1f}")), ""]
    lines += ["### What the full grid cost", "",
              f"The table's full grid cost {epochs:,} epochs, {cost['seconds'] / 3600:.1f} hours of one thread "
              f"({', '.join(cost['cpus'])}; wall time, on a machine shared with other work). The report's estimate "
              "for every whole width of its ranges at 40 epochs "
              f"is {REPORT_GRID_EPOCHS / 1e6:.0f} million epochs: {REPORT_GRID_EPOCHS / epochs:,.0f} times this "
              "table, which is what makes a grid of a few values per width affordable and a full one not.", ""]
    return "\n".join(lines) + "\n"


def _pso_against_bohb(record: dict, tests: pd.DataFrame) -> list[str]:
    """The report's question, per budget: how often PSO ends below BOHB, and both one-sided tests (Bonferroni over
    the two directions)."""
    lines = ["### PSO or BOHB?", "", "Per budget: the share of seeds on which PSO ends with the lower regret (ties "
             "count half), and one-sided Wilcoxon signed-rank tests over the paired seeds in each direction, each p "
             "doubled for the two directions asked:", ""]
    for budget in record["budgets"]:
        share = record["beats"][budget]["bohb"]["pso"]
        p = {a: min(1.0, 2 * float(tests[(tests.budget == budget) & (tests.method == a)
                                          & (tests.against == b)].p.iloc[0]))
             for a, b in (("pso", "bohb"), ("bohb", "pso"))}
        winner = next((name for name, q in p.items() if q < ALPHA), None)
        said = (f"{table_name(winner)} ends lower more often than chance would have it" if winner else
                "neither ends lower beyond chance")
        lines.append(f"- {budget} budget: PSO ends below BOHB on {share:.0%} of the seeds; p (PSO lower) = "
                     f"{p['pso']:.2g}, p (BOHB lower) = {p['bohb']:.2g}: {said}.")
    return lines + ["", "These tests ask whether either is ahead at all. The report's sentence asks whether either is "
                        "clearly the better optimiser; the ledger reads that as ahead by more than 1 pp, an "
                        "equivalence test on the report's budget, in the box at the top of this page.", ""]


def _against_random(tests: pd.DataFrame) -> list[str]:
    """Every method against random search, per budget: wins over the seeds and the one-sided p that its regret is
    lower."""
    mine = tests[tests.against == "random"]
    if mine.empty:
        return []
    table = mine.assign(cell=[f"{w}/{n}, {p:.2g}" for w, n, p in zip(mine.wins, mine.n, mine.p)]).pivot(
        index="method", columns="budget", values="cell")
    table = table.loc[[m for m in mine.method.unique()]]
    table.index = table.index.map(table_name)
    table.index.name = "method"
    table.columns = [f"{b} budget: seeds lower, p" for b in table.columns]
    return ["### Random search against the others", "", "Each method against random search: the seeds on which its "
            "regret ends lower, and the p of a one-sided Wilcoxon signed-rank test that it is lower (uncorrected for "
            "the number of methods):", "",
            *_markdown(table), ""]
