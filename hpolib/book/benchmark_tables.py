"""The benchmarks chapter's tables, rendered as Markdown from ``benchmarks/results/`` when the book is built.

The optimiser benchmark writes one set of files per problem set
(``optimizers_summary_<set>.csv``, ``optimizers_vs_peers_<set>.csv``,
``optimizers_<set>.json``); the scheduler benchmark
``schedulers_summary_seeds0.csv`` and ``schedulers_vs_peers_seeds0.csv``;
the landscape benchmark ``landscape_summary_<set>.csv`` and ``landscape_<set>.json``.
A file that is missing becomes a sentence saying which script writes it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..analysis.stats import ALPHA
from .names import name as display_name

__all__ = ["optimizer_tables", "scheduler_tables", "landscape_tables", "claim_tests", "OPTIMIZER_SETS",
           "LANDSCAPE_SETS"]

OPTIMIZER_SETS = ("development", "held-out")
LANDSCAPE_SETS = ("development", "held-out")
_OPTIMIZER_FAMILIES = {"Model-based": ["hpolib-tpe", "optuna-tpe", "hpolib-gp", "skopt-gp", "optuna-gp"],
                       "Swarm, evolution and random": ["hpolib-pso", "pyswarms-pso", "hpolib-ga", "hpolib-cmaes",
                                                       "optuna-cmaes", "hpolib-random", "optuna-random"]}
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
    cell = f"{'lower' if row.hpolib_median <= row.peer_median else 'higher'}, p = {row.p_hpolib_worse:.2g}"
    return f"**{cell}**" if row.verdict == "clearly worse" else cell


_LEGEND = ("each cell: hpolib's median regret lower or higher than the peer's, and p, the p-value of a one-sided "
           f"Wilcoxon signed-rank test over seeds that hpolib's is larger; bold (p < {ALPHA:g}) is *clearly worse*")


def _load(meta: dict) -> str:
    """What the run's wall times were measured under: the machine's load, when the benchmark recorded it."""
    if "load" not in meta:
        return " (the machine's load was not recorded: these wall times may include other jobs)"
    busy = max(meta["load"]) > meta["cpus"] + 0.5
    return (f" ({meta['cpus']} cores, load average {meta['load'][0]:.1f} before and {meta['load'][1]:.1f} after"
            + ("; other jobs shared the machine, so wall times are inflated)" if busy else ")"))


def optimizer_tables(results: Path, name: str) -> str:
    """Regret, verdicts against the peers and seconds per proposal of the optimiser benchmark's set ``name``."""
    summary_path = results / f"optimizers_summary_{name}.csv"
    if not summary_path.exists():
        return f"Not measured yet: run `python benchmarks/optimizers.py --set {name}`.\n"
    summary = pd.read_csv(summary_path)
    meta = json.loads((results / f"optimizers_{name}.json").read_text())
    args = meta["args"]
    first = meta.get("first_seed", 0)
    lines = [f"Median final simple regret over seeds (validation error on the SVM and boosting tasks); "
             f"{args['seeds']} seeds and {args['evals']} evaluations, the GP methods {args['gp_seeds']} seeds "
             f"and {args['gp_evals']} evaluations, seeds from {first}; {meta['seconds'] / 60:.0f} minutes on "
             f"{args['workers']} workers{_load(meta)}.", ""]
    regret = summary.pivot_table(index="problem", columns="method", values="median", sort=False)
    regret = regret.rename(index=display_name)
    for family, methods in _OPTIMIZER_FAMILIES.items():  # two tables, each narrow enough for the page
        shown = [m for m in methods if m in regret.columns]
        if shown:
            lines += [f"{family}:", ""] + _markdown(regret[shown].rename(columns=display_name).map(_number))
            lines += [""]
    verdicts = pd.read_csv(results / f"optimizers_vs_peers_{name}.csv")
    verdicts["pair"] = verdicts.hpolib.map(display_name) + " vs " + verdicts.peer.map(display_name)
    counts = verdicts.groupby("pair", sort=False).verdict.agg(
        **{"no worse": lambda v: f"{(v == 'no worse').sum()} of {len(v)}",
           "clearly worse": lambda v: f"{(v == 'clearly worse').sum()} of {len(v)}"})
    lines += [f"Against the peer, per problem ({_LEGEND}):", ""]
    table = verdicts.assign(cell=verdicts.apply(_verdict, axis=1)).pivot_table(
        index="problem", columns="pair", values="cell", aggfunc="first", sort=False).rename(index=display_name)
    lines += _markdown(counts) + [""] + _markdown(table.fillna("")) + [""]
    timing = pd.DataFrame(meta.get("proposal_time", []))
    if len(timing):
        timing = timing.set_index("method").rename(index=display_name)
        timing.index.name = "method"
        timing.columns = ["s per proposal, 100 observations", "s per proposal, 500 observations"]
        lines += ["Seconds to ask for a proposal and tell its result after 100 and 500 observations on "
                  "Hartmann-6 (wall times, measured in the same run, under the load stated above):", ""]
        lines += _markdown(timing.map(_number)) + [""]
    if (results / f"optimizers_regret_{name}.png").exists():
        lines += [f"```{{figure}} optimizers_regret_{name}.png", ":width: 100%", "",
                  f"Simple regret against evaluations, median and interquartile band over seeds ({name} set); "
                  "a colour per algorithm; hpolib solid, Optuna dashed, scikit-optimize dotted, pyswarms "
                  "dash-dot.", "```", ""]
    return "\n".join(lines) + "\n"


def scheduler_tables(results: Path) -> str:
    """Regret and verdicts of the scheduler benchmark."""
    path = results / "schedulers_summary_seeds0.csv"
    if not path.exists():
        return "Not measured yet: run `python benchmarks/schedulers.py`.\n"
    summary = pd.read_csv(path)
    regret = summary.pivot_table(index="problem", columns="method", values="regret@100%", sort=False)
    regret = regret.rename(index=display_name)
    regret = regret[[m for m in _SCHEDULERS if m in regret.columns]].rename(columns=display_name)
    lines = ["Median regret over seeds once the whole budget is spent (validation error on the MLP):", ""]
    lines += _markdown(regret.T.rename_axis("method").map(_number)) + [""]
    verdicts = pd.read_csv(results / "schedulers_vs_peers_seeds0.csv")
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


def _grid_against_random(row) -> str:
    """Which of grid and random search ends lower, on how many seeds, and the one-sided p of that direction;
    bold when p < ALPHA."""
    random_ahead = row.random_median <= row.grid_median
    wins, p = (row.random_wins, row.p_random_lower) if random_ahead else (row.grid_wins, row.p_grid_lower)
    cell = f"{'random' if random_ahead else 'grid'} lower on {wins} of {row.seeds}, p = {p:.2g}"
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
    table.columns = ["grid search", "random search", "which is lower"]
    return "\n".join(lines + _markdown(table) + [""]) + "\n"


def claim_tests(rows: list[dict]) -> str:
    """The tests the claims ledger's rows (``rows``, as :func:`hpolib.book.claims.ledger` gives them) rest on, one
    line per test: the claim, what was tested, the pairs ahead of all, and the Holm-adjusted p in the claimed
    direction and the other way."""
    lines = ["| claim | test | ahead | p | p, the other way |", "|---|---|--:|--:|--:|"]
    for row in rows:
        lines += [f"| `{row['id']}` ({row['verdict']}) | {t['label']} | {t['wins']} of {t['n']} | {t['p']:.2g} | "
                  f"{t['p_other_way']:.2g} |" for t in row["test"]]
    return "\n".join(lines) + "\n" if len(lines) > 2 else ""
