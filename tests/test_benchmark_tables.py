"""The benchmarks chapter's tables: rendered from the result files the benchmark scripts write."""

import json

import pandas as pd

from hpolib.book.benchmark_tables import hypergrad_table, optimizer_tables, scheduler_tables


def _results(folder, first_seed, **meta):
    pd.DataFrame({"problem": ["branin", "branin"], "method": ["hpolib-gp", "optuna-gp"],
                  "median": [0.006, 0.0001]}).to_csv(folder / "optimizers_summary_held-out.csv", index=False)
    pd.DataFrame({"hpolib": ["hpolib-gp"], "peer": ["optuna-gp"], "problem": ["branin"], "evals": [40],
                  "hpolib_median": [0.006], "peer_median": [0.0001], "p_hpolib_worse": [0.03125],
                  "verdict": ["clearly worse"]}).to_csv(folder / "optimizers_vs_peers_held-out.csv", index=False)
    args = {"seeds": 20, "evals": 100, "gp_seeds": 6, "gp_evals": 40, "workers": 2}
    (folder / "optimizers_held-out.json").write_text(json.dumps({"seconds": 1920.0, "args": args,
                                                                  "first_seed": first_seed, **meta}))


def test_the_optimizer_tables_state_the_seeds_and_mark_a_clearly_worse_pair(tmp_path):
    assert "Not measured yet: run `python benchmarks/optimizers.py --set held-out`" in optimizer_tables(
        tmp_path, "held-out")
    _results(tmp_path, 1000)
    text = optimizer_tables(tmp_path, "held-out")
    assert "6 seeds and 40 evaluations, seeds from 1000; 32 minutes on 2 workers" in text
    assert "| GP vs Optuna GP | 0 of 1 | 1 of 1 |" in text
    assert "**higher, p = 0.031**" in text
    assert "| Branin | 0.006 | 0.0001 |" in text and "| branin |" not in text  # problems by name, not id


def test_the_optimizer_tables_say_under_what_load_the_wall_times_were_measured(tmp_path):
    _results(tmp_path, 1000)
    assert "the machine's load was not recorded" in optimizer_tables(tmp_path, "held-out")
    _results(tmp_path, 1000, cpus=2, load=[0.1, 2.3])
    text = optimizer_tables(tmp_path, "held-out")
    assert "2 cores, load average 0.1 before and 2.3 after)" in text and "inflated" not in text
    _results(tmp_path, 1000, cpus=2, load=[4.1, 3.9])
    assert "other jobs shared the machine, so wall times are inflated" in optimizer_tables(tmp_path, "held-out")


def test_the_scheduler_tables_add_the_runs_of_some_methods_to_the_whole_run(tmp_path):
    summary = lambda methods, regret: pd.DataFrame(  # noqa: E731
        {"problem": "branin", "method": methods, "regret@100%": regret})
    verdict = lambda ours, peer, p: pd.DataFrame(  # noqa: E731
        {"hpolib": [ours], "peer": [peer], "problem": ["branin"], "budget": ["100%"], "hpolib_median": [0.1],
         "peer_median": [0.2], "p_hpolib_worse": [p], "verdict": ["no worse"]})
    summary(["hpolib-bohb", "dehb"], [0.5, 0.6]).to_csv(tmp_path / "schedulers_summary_seeds0.csv", index=False)
    verdict("hpolib-bohb", "dehb", 0.9).to_csv(tmp_path / "schedulers_vs_peers_seeds0.csv", index=False)
    summary(["hpolib-dehb", "dehb"], [0.4, 0.7]).to_csv(tmp_path / "schedulers_summary_seeds0_hpolib-dehb_dehb.csv",
                                                        index=False)
    verdict("hpolib-dehb", "dehb", 0.8).to_csv(tmp_path / "schedulers_vs_peers_seeds0_hpolib-dehb_dehb.csv",
                                               index=False)
    text = scheduler_tables(tmp_path)
    assert "| BOHB | 0.5 |" in text and "| DEHB | 0.4 |" in text
    assert "| dehb package | 0.7 |" in text and "0.6" not in text  # a later run's row replaces the whole run's
    assert "DEHB vs dehb package" in text and "BOHB vs dehb package" in text


def test_the_hypergradient_table_shows_every_seed_and_the_compute(tmp_path):
    assert "Not measured yet" in hypergrad_table(tmp_path)
    pd.DataFrame({"seed": [0, 0, 1, 1], "method": ["per-weight hypergradient", "none"] * 2,
                  "test_accuracy": [0.91, 0.89, 0.92, 0.88], "test_loss": [0.3, 0.5, 0.32, 0.55],
                  "val_loss": [0.1, 0.5, 0.12, 0.52], "compute": [1_060_000, 100_000] * 2}).to_csv(
        tmp_path / "hypergrad_summary_weight_decay.csv", index=False)
    text = hypergrad_table(tmp_path)
    assert "|  | none | per-weight hypergradient |" in text  # a column per method, the baseline first
    assert "| seed 1 | 88.00 % / 0.550 | 92.00 % / 0.320 |" in text
    assert "| mean | 88.50 % / 0.525 | 91.50 % / 0.310 |" in text
    assert "| training compute (example-gradients) | 100,000 | 1,060,000 |" in text
