"""The AutoLRS chapter's analysis on small synthetic runs: which runs train, the tables, and its stored results."""

import json
import math
from dataclasses import asdict

import pytest

from hpolib.dl.lr import LRRun
from hpolib.studies import autolrs as chapter

SETTINGS = {"lr_min": 1e-3, "lr_max": 0.1, "tau": 20, "tau_max": 40, "k": 3, "explore_fraction": 0.25,
            "kappa": 1e6, "loss": "train", "ablations": [{"name": "k = 2", "k": 2}], "constant_lrs": [0.01, 0.1],
            "base_lr": 0.1, "schedules": ["step", "cosine"], "seeds": [0, 1, 2], "steps": 100}


def _run(accuracies, explored=(), stages=(), explore_steps=0):
    """A run evaluated every 10 steps, AutoLRS's total steps counting its exploration."""
    validation = [{"step": 10 * (i + 1), "total_steps": 10 * (i + 1) + explore_steps * (i + 1) // len(accuracies),
                   "val_accuracy": a} for i, a in enumerate(accuracies)]
    return LRRun(lrs=[0.1] * 10 * len(accuracies), train_loss=[1.0] * 10 * len(accuracies), validation=validation,
                 explored=list(explored), stages=list(stages), explore_steps=explore_steps)


def _record(label, seed, test, run=None, explore_steps=0):
    run = run or _run([test], explore_steps=explore_steps)
    return {"schedule": label, "seed": seed, "steps": 100, "explore_steps": run.explore_steps, "final_lr": 0.01,
            "val_accuracy": run.validation[-1]["val_accuracy"], "test_accuracy": test, "seconds": 1.5,
            "run": run.to_dict()}


EXPLORED = [{"stage": 0, "lr": 0.01, "forecast": 0.5, "how": "exponential", "realised": 1.0},
            {"stage": 0, "lr": 0.1, "forecast": 0.9, "how": "fallback", "realised": 0.9},
            {"stage": 1, "lr": 0.02, "forecast": 0.2, "how": "exponential", "realised": 0.8},
            {"stage": 1, "lr": 0.05, "forecast": 0.6, "how": "diverged", "realised": 0.6}]
STAGES = [{"stage": 0, "start": 0, "tau": 20, "lr": 0.01}, {"stage": 1, "start": 20, "tau": 40, "lr": 0.02}]


def _records():
    """Seeds 0 and 1 tune the grid (0.1 wins on both); AutoLRS is 1 pp behind the step schedule on seed 0 and
    2 pp ahead on seed 1 (where the step schedule ends at a validation accuracy AutoLRS never reaches); on seed 2
    the cosine schedule diverged."""
    autolrs = {seed: _run([0.5, 0.7, 0.8], EXPLORED, STAGES, explore_steps=30) for seed in (0, 1, 2)}
    records = [_record("constant 0.01", 0, 0.70), _record("constant 0.1", 0, 0.75),
               _record("constant 0.01", 1, 0.71), _record("constant 0.1", 1, 0.76)]
    for seed, (step, cosine, mine) in enumerate([(0.80, 0.78, 0.79), (0.79, 0.77, 0.81), (0.80, None, 0.82)]):
        records += [_record("step 0.1", seed, step, _run([0.6, 0.7, 0.9 if seed == 1 else step]))]
        records += [_record("cosine 0.1", seed, cosine) if cosine else
                    {"schedule": "cosine 0.1", "seed": seed, "diverged": "loss is nan", "seconds": 0.5}]
        records += [_record("AutoLRS", seed, mine, autolrs[seed])]
    records.insert(8, _record("constant 0.1", 2, 0.74))
    return records


def test_variants_are_autolrs_as_configured_and_each_ablation_changing_only_its_settings():
    found = chapter.variants(SETTINGS)
    assert list(found) == ["AutoLRS", "AutoLRS: k = 2"]
    assert found["AutoLRS: k = 2"] == found["AutoLRS"] | {"k": 2} and found["AutoLRS"]["k"] == 3
    assert chapter.constants(SETTINGS) == ["constant 0.01", "constant 0.1"]
    assert chapter.baselines(SETTINGS) == ["step 0.1", "cosine 0.1"]
    assert chapter.run_key(SETTINGS | dict.fromkeys(chapter.RUN_KNOBS, 1), "float64")["precision"] == "float64"


def test_the_grid_runs_on_the_first_two_seeds_and_only_the_tuned_constant_on_the_others():
    asked = []

    def record(label, seed):
        asked.append((label, seed))
        return {"schedule": label, "seed": seed, "val_accuracy": {"constant 0.01": 0.7, "constant 0.1": 0.6}.get(
            label, 0.5) + 0.01 * seed}

    records, tuned = chapter.train_all(record, SETTINGS)
    assert tuned == "constant 0.01" and len(records) == len(asked)
    assert asked[:4] == [("constant 0.01", 0), ("constant 0.1", 0), ("constant 0.01", 1), ("constant 0.1", 1)]
    assert [a for a in asked if a[1] == 2] == [("constant 0.01", 2), ("step 0.1", 2), ("cosine 0.1", 2),
                                               ("AutoLRS", 2)]
    assert [a for a in asked[4:] if a[1] == 0] == [("step 0.1", 0), ("cosine 0.1", 0), ("AutoLRS", 0)]


def test_the_table_marks_the_tuned_constant_and_the_gaps_are_autolrs_less_each_baseline_per_seed():
    table = chapter.run_table(_records(), "constant 0.1")
    assert "run" not in table and (table.note == "tuned constant").sum() == 3
    assert list(chapter.shown(table).columns) == list(chapter.COLUMNS)
    assert len(chapter.finished(table)) == len(table) - 1  # the diverged cosine run
    gaps = chapter.equal_steps(table, ["constant 0.1", "step 0.1"]).set_index("against")
    assert gaps.loc["step 0.1", ["seed 0", "seed 1"]].tolist() == pytest.approx([-1.0, 2.0])
    assert gaps.loc["constant 0.1", "seeds"] == 3 and "cosine 0.1" not in gaps.index
    assert chapter.seed_spread_pp(table) == pytest.approx(3.0)  # AutoLRS 0.79 to 0.82


def test_steps_to_target_read_on_running_means_and_never_reached_is_missing():
    runs = chapter.lr_runs(_records())
    reach = chapter.reach(runs, ["step 0.1", "cosine 0.1", None], [0, 1, 2], 100, window=1).set_index(
        ["seed", "target"])
    assert ("cosine 0.1", 2) not in runs and (2, "cosine 0.1") not in reach.index
    # AutoLRS's curve 0.5, 0.7, 0.8 at 10, 20, 30 steps: the step schedule's 0.80 on seed 0 is reached at 30
    row = reach.loc[(0, "step 0.1")]
    assert row.target_val_accuracy == 0.80 and row.steps == 30 and row.total_steps == 60
    assert row["speed-up (training steps)"] == pytest.approx(100 / 30)
    assert reach.loc[(0, "cosine 0.1"), "steps"] == 30  # 0.78
    assert math.isnan(reach.loc[(1, "step 0.1"), "steps"]) and math.isnan(reach.loc[(1, "step 0.1"), "total_steps"])
    smoothed = chapter.reach(runs, ["step 0.1"], [0], 100, window=2)
    assert smoothed.target_val_accuracy[0] == pytest.approx(0.75)  # the step schedule's last two: 0.7 and 0.8
    assert smoothed.steps[0] == 30  # AutoLRS's running means: 0.5, 0.6, 0.75


def test_forecast_quality_counts_each_way_and_reads_the_trained_rates_apart():
    how = chapter.forecast_quality(chapter.lr_runs(_records()))
    assert list(how.index) == [0, 1, 2]
    assert how.loc[0, ["exponential", "fallback", "diverged"]].tolist() == [2, 1, 1]
    assert how.loc[0, "median forecast / realised"] == pytest.approx(0.75)  # 0.5, 1, 0.25, 1
    assert how.loc[0, "chosen: forecast / realised"] == pytest.approx(0.375)  # 0.01: 0.5; 0.02: 0.25
    assert chapter.forecast_quality({}).empty


def test_the_ablation_puts_autolrs_first_and_states_each_variant_against_the_seed_spread():
    variant = _run([0.8], [EXPLORED[1]], STAGES[:1], explore_steps=10)
    records = {"AutoLRS": _record("AutoLRS", 0, 0.79, _run([0.8], EXPLORED, STAGES, 30)),
               "AutoLRS: k = 2": _record("AutoLRS: k = 2", 0, 0.85, variant),
               "AutoLRS: wide": {"schedule": "AutoLRS: wide", "seed": 0, "diverged": "nan"}}
    table = chapter.ablation(records)
    assert table.variant.tolist() == ["as configured above", "k = 2", "wide"]
    assert table.stage_lrs.tolist() == ["0.01 0.02", "0.01", "diverged"]
    assert table.fallback.tolist()[:2] == [1, 1] and table.diverged.tolist()[:2] == [1, 0]
    assert table["vs configured (pp)"][1] == pytest.approx(6.0)
    runs = chapter.run_table(_records(), "constant 0.1")
    assert chapter.spread_note(table, runs) == ("AutoLRS as configured spans 3.0 pp of test accuracy over its 3 "
                                                "seeds; 1 of 2 one-seed variants differ from it by more than that")
    one_seed = runs[runs.seed == 0]
    assert chapter.spread_note(table, one_seed).startswith("AutoLRS ran on one seed here")
    assert "vs configured (pp)" not in chapter.ablation({k: v for k, v in records.items() if k != "AutoLRS"})


def test_beside_the_paper_shows_the_sources_numbers_and_ours_per_schedule():
    table = chapter.beside_paper(chapter.run_table(_records(), "constant 0.1"), ["step 0.1", None, "AutoLRS"],
                                 "VGG-11 x0.0625, digits, 100 steps")
    assert table["test accuracy"].tolist()[:3] == ["94.13 %", "93.79 %", "74.04 %"]
    assert table[""].tolist()[3:] == ["here: step 0.1, VGG-11 x0.0625, digits, 100 steps",
                                     "here: AutoLRS, VGG-11 x0.0625, digits, 100 steps"]
    assert table["test accuracy"][4] == "80.67 % (mean of 3 seeds, 79.00-82.00)"


def _results():
    records = _records()
    table, runs = chapter.run_table(records, "constant 0.1"), chapter.lr_runs(records)
    from hpolib.analysis.schedules import tuning_cost

    cost = tuning_cost(table, 100, grid_size=len(chapter.constants(SETTINGS)))
    return chapter.Results.collect("smoke", SETTINGS, "constant 0.1", table, runs,
                                   chapter.reach(runs, ["step 0.1"], [0, 1, 2], 100, 1), cost,
                                   chapter.forecast_quality(runs), chapter.ablation({}))


def _text(results):
    return json.dumps(asdict(results), default=str)  # NaN, a diverged run's accuracy, reads the same


def test_results_are_read_back_as_written_and_measure_what_the_ledger_reads(tmp_path):
    results = _results()
    results.write(tmp_path / "autolrs_results.json")
    again = chapter.Results.read(tmp_path / "autolrs_results.json")
    assert _text(again) == _text(results) and list(again.stages) == [0, 1, 2] and again.cpu
    assert again.test_accuracy("AutoLRS") == {0: pytest.approx(79.0), 1: pytest.approx(81.0), 2: pytest.approx(82.0)}
    assert again.gap("step 0.1") == {0: pytest.approx(-1.0), 1: pytest.approx(2.0), 2: pytest.approx(2.0)}
    assert again.gap("cosine 0.1") == {0: pytest.approx(1.0), 1: pytest.approx(4.0)} and again.gap(None) == {}
    # per seed, the whole grid of two rates: what choosing the rate costs, whichever seeds it was tuned on
    assert len(chapter.constants(SETTINGS)) == 2 and again.tuning_steps() == ([130, 130, 130], [200, 200, 200])
    assert chapter.Results("quick", SETTINGS, None, [], []).tuning_steps() == ([], [])


def test_results_written_before_the_class_are_read_in_its_layout():
    results = _results()
    old = {"profile": "full", "settings": SETTINGS, "tuned_constant": "constant 0.1", "baselines": results.baselines,
           "table": [{k: v for k, v in row.items() if k != "seconds"} | {"note": ""} for row in results.runs],
           "seconds": [row["seconds"] for row in results.runs], "gaps": [{"against": "step 0.1", "seed 0": -1.0}],
           "steps_to_target": results.steps_to_target, "forecasts": results.forecasts, "ablation": [],
           "ablation_seed_noise_pp": 3.0, "autolrs_stages": {"0": STAGES}, "autolrs_explored": {"0": EXPLORED},
           "_provenance": {"cpu": "AMD EPYC"}}
    read = chapter.Results.read(old)
    assert read.runs == results.runs and read.cpu == "AMD EPYC" and read.tuning_cost == []
    assert read.stages == {0: STAGES} and read.explored == {0: EXPLORED}
    assert read.gap("step 0.1")[0] == pytest.approx(-1.0)


def test_the_summary_states_autolrs_against_the_best_fixed_schedule_and_the_tuned_constant():
    short = chapter.in_short(_results())
    assert short["autolrs_test"] == pytest.approx(0.8067, abs=1e-4) and short["autolrs_seeds"] == "3"
    assert short["best_fixed_name"] == "step 0.1" and short["best_fixed_test"] == pytest.approx(0.7967, abs=1e-4)
    assert short["tuned_test"] == pytest.approx(0.75)
    assert short["autolrs_extra"] == pytest.approx(0.3) and short["fallback_share"] == pytest.approx(0.5)
    empty = chapter.in_short(chapter.Results("smoke", SETTINGS, None, [], []))
    assert math.isnan(empty["autolrs_test"]) and empty["autolrs_seeds"] == "0" and empty["best_fixed_name"] == "none"
