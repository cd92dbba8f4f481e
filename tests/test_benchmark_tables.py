"""The benchmarks chapter's tables: rendered from the result files the benchmark scripts write."""

import json

import pandas as pd

from hpolib.book.benchmark_tables import (hypergrad_table, landscape_tables, merged, optimizer_tables,
                                         scheduler_tables)


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
    assert "**higher 0.031**" in text
    assert "| Branin | 0.006 | 0.0001 |" in text and "| branin |" not in text  # problems by name, not id
    pd.DataFrame({"problem": ["branin"], "method": ["hpolib-gp"], "seeds": [20], "median": [0.004]}).to_csv(
        tmp_path / "optimizers_summary_held-out_hpolib-gp.csv", index=False)  # a later run of GP on more seeds
    (tmp_path / "optimizers_held-out_hpolib-gp.json").write_text(json.dumps(
        {"seconds": 240.0, "args": {"methods": ["hpolib-gp"]}, "finished": "2026-01-02T00:00:00+00:00"}))
    text = optimizer_tables(tmp_path, "held-out")
    assert "Rows of GP (20 seeds) from a later run of 4 minutes" in text and "| Branin | 0.004 | 0.0001 |" in text
    pd.DataFrame({"problem": ["branin", "hartmann6"], "method": "hpolib-gp", "seeds": [20, 6], "median": 0.004}).to_csv(
        tmp_path / "optimizers_summary_held-out_hpolib-gp.csv", index=False)
    assert "Rows of GP (6-20 seeds) from" in optimizer_tables(tmp_path, "held-out")
    (tmp_path / "optimizers_summary_held-out_hpolib-gp.csv").unlink()  # a record without its summary: no count
    assert "Rows of GP from" in optimizer_tables(tmp_path, "held-out")


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


def test_later_runs_replace_earlier_rows_in_the_order_they_finished_not_by_file_name(tmp_path):
    summary = lambda regret: pd.DataFrame({"problem": ["branin"], "method": ["hpolib-gp"], "median": [regret]})  # noqa: E731
    summary(0.5).to_csv(tmp_path / "optimizers_summary_held-out.csv", index=False)
    runs = {"hpolib-tpe_hpolib-gp": ("2026-01-02T00:00:00+00:00", 0.3), "hpolib-gp": ("2026-01-03T00:00:00+00:00", 0.1)}
    for methods, (finished, regret) in runs.items():  # the later run's name sorts first
        summary(regret).to_csv(tmp_path / f"optimizers_summary_held-out_{methods}.csv", index=False)
        (tmp_path / f"optimizers_held-out_{methods}.json").write_text(json.dumps({"finished": finished}))
    assert merged(tmp_path, "optimizers_summary_held-out", ["problem", "method"])["median"].tolist() == [0.1]
    (tmp_path / "optimizers_held-out_hpolib-gp.json").write_text(json.dumps({"finished": "2026-01-01T00:00:00+00:00"}))
    assert merged(tmp_path, "optimizers_summary_held-out", ["problem", "method"])["median"].tolist() == [0.3]


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


def test_the_landscape_tables_name_the_lower_method_per_dimension_and_bold_a_clear_one(tmp_path):
    assert "run `python benchmarks/landscape.py --set held-out`" in landscape_tables(tmp_path, "held-out")
    pd.DataFrame({"problem": ["levy", "levy"], "dim": [2, 16], "seeds": [20, 20], "grid_levels": [16, 3],
                  "grid_median": [0.11, 300.0], "random_median": [0.2, 58.6], "random_wins": [5, 20],
                  "grid_wins": [15, 0], "p_random_lower": [0.99, 9.5e-07], "p_grid_lower": [0.08, 1.0]}).to_csv(
        tmp_path / "landscape_summary_held-out.csv", index=False)
    (tmp_path / "landscape_held-out.json").write_text(json.dumps({"args": {"seeds": 20, "evals": 256},
                                                                   "first_seed": 1000}))
    text = landscape_tables(tmp_path, "held-out")
    assert "20 seeds from 1000, 256 evaluations each" in text
    assert "| Levy, 2-D | 0.11 (16) | 0.2 | grid, 15 of 20, p = 0.08 |" in text  # not significant: plain
    assert "| Levy, 16-D | 300 (3) | 58.6 | **random, 20 of 20, p = 9.5e-07** |" in text


def test_the_claims_tests_are_listed_one_line_each_from_the_ledgers_rows():
    from hpolib.book.benchmark_tables import claim_tests

    row = {"id": "landscape.random_high_dim", "verdict": "reproduced",
           "test": [{"label": "Levy, 16-D: random search's regret below the grid's", "wins": 20, "n": 20,
                     "p": 3.8e-06, "p_other_way": 1.0},
                    {"label": "Ackley, 8-D: same", "wins": 16, "n": 20, "p": 0.0018, "p_other_way": 0.99}]}
    text = claim_tests([row, {"id": "other", "verdict": "not measured", "test": []}])
    lines = text.splitlines()
    assert lines[0] == "`landscape.random_high_dim` (reproduced):"
    assert lines[4] == "| Levy, 16-D: random search's regret below the grid's | 20 of 20 | 3.8e-06 | 1 |"
    assert len(lines) == 7 and "`other`" not in text  # a row without tests adds nothing
    assert claim_tests([{"id": "other", "verdict": "not measured", "test": []}]) == ""


def test_a_set_run_only_a_few_methods_at_a_time_is_tabled_from_those_runs_the_latest_row_winning(tmp_path):
    args = {"seeds": 20, "evals": 100, "gp_seeds": 6, "gp_evals": 40, "workers": 1}
    runs = {"hpolib-gp_optuna-gp": ("2026-01-01T00:00:00+00:00", 0.5, ["hpolib-gp", "optuna-gp"], None),
            "hpolib-gp_int6_coupled": ("2026-01-02T00:00:00+00:00", 0.2, ["hpolib-gp"], ["int6_coupled"])}
    for name, (finished, regret, methods, problems) in runs.items():
        pd.DataFrame({"problem": ["int6_coupled", "int6_coupled"], "method": ["hpolib-gp", "optuna-gp"],
                      "median": [regret, 0.1]}).to_csv(tmp_path / f"optimizers_summary_integers_{name}.csv",
                                                       index=False)
        pd.DataFrame({"hpolib": ["hpolib-gp"], "peer": ["optuna-gp"], "problem": ["int6_coupled"], "evals": [40],
                      "hpolib_median": [regret], "peer_median": [0.1], "p_hpolib_worse": [0.2],
                      "verdict": ["worse within noise"]}).to_csv(
            tmp_path / f"optimizers_vs_peers_integers_{name}.csv", index=False)
        (tmp_path / f"optimizers_integers_{name}.json").write_text(json.dumps(
            {"finished": finished, "seconds": 120.0, "first_seed": 2000,
             "args": {**args, "methods": methods, "problems": problems}}))
    text = optimizer_tables(tmp_path, "integers")
    assert "seeds from 2000; the set run a few methods at a time" in text and "Not measured" not in text
    assert "| 0.2 | 0.1 |" in text and "0.5" not in text  # the later run's row replaces the earlier one's
    assert "from a run of 2 minutes (`optimizers_integers_hpolib-gp_int6_coupled.json`)" in text
    assert "replacing that method's rows of an earlier run." in text
    assert "| 6 coupled integers | 0.2 | 0.1 |" in text


def test_verdicts_rechecked_on_fresh_seeds_are_tabled_the_latest_run_of_each_pair_and_problem_winning(tmp_path):
    _results(tmp_path, 1000)
    assert "fresh seeds" not in optimizer_tables(tmp_path, "held-out")  # none run: no table
    runs = {"hpolib-gp_optuna-gp_branin": ("2026-01-01T00:00:00+00:00", 0.004, "clearly worse"),
            "hpolib-gp_branin": ("2026-01-02T00:00:00+00:00", 0.4, "no worse")}
    for name, (finished, p, verdict) in runs.items():
        pd.DataFrame({"hpolib": ["hpolib-gp"], "peer": ["optuna-gp"], "problem": ["branin"], "evals": [40],
                      "hpolib_median": [0.3], "peer_median": [0.1], "p_hpolib_worse": [p], "verdict": [verdict]}
                     ).to_csv(tmp_path / f"optimizers_vs_peers_held-out-from3000_{name}.csv", index=False)
        (tmp_path / f"optimizers_held-out-from3000_{name}.json").write_text(json.dumps(
            {"finished": finished, "args": {"seeds": 100, "gp_seeds": 20, "first_seed": 3000}}))
    text = optimizer_tables(tmp_path, "held-out")
    assert "| GP vs Optuna GP | Branin | 3000-3019 | 0.3 | 0.1 | 0.4 | no worse |" in text  # GP: its own seeds
    assert "clearly worse |" not in text.split("fresh seeds")[1]  # the earlier run's verdict is replaced
