"""The claims ledger on synthetic results: every claim measured, judged by the one rule, shown as the code says."""

import json

import pytest

from hpolib.book import build, claims
from hpolib.book.claims import CLAIMS, ledger
from hpolib.book.sources import LENET_REPORT, SOURCES
from hpolib.book.verdicts import RULES, Verdict

KEYS = {"id", "source", "source_quote", "claim", "source_value", "unit", "source_scale", "measure", "chapter",
        "section", "cite", "our_value", "our_scale", "seeds", "verdict", "reason", "per_seed", "interval", "test",
        "resolution", "cpu"}


def _lenet(random=(67.9, 67.5, 68.1, 67.7, 67.6), pso=(66.9, 66.7, 67.2, 66.8, 66.6), bohb=None, final_epochs=40):
    bohb = bohb or tuple(v - 0.2 for v in pso)
    settings = {"dataset": "cifar10", "subset": 10000, "budget": 300, "epochs": 6, "final_epochs": final_epochs,
                "seeds": [0, 1], "headline_seeds": [0, 1, 2, 3, 4]}
    confirmed = [{"method": m, "seed": k, "val_accuracy": v / 100}
                 for m, values in (("random", random), ("pso", pso), ("bohb", bohb)) for k, v in enumerate(values)]
    return {"profile": "full", "settings": settings, "grid_size": 18_729_984, "full_data_share": 0.2,
            "confirmed": confirmed,
            "search_epochs": [{"method": "random", "seed": 0, "full_data_epochs": 60.0}]}


def _autolrs(step=(0.1, 0.0, 0.2), constant=(1.0, 0.8, 1.2)):
    """AutoLRS's results (:class:`hpolib.studies.autolrs.Results`) whose test-accuracy gaps (pp) to the step
    schedule and to the tuned constant are ``step`` and ``constant``, per seed."""
    settings = {"dataset": "cifar10", "subset": None, "depth": 16, "width_multiplier": 0.125, "steps": 10560,
                "tau": 704, "tau_max": 2816, "k": 10, "explore_fraction": 0.1, "seeds": list(range(len(step)))}
    runs = [{"schedule": label, "seed": k, "test_accuracy": 0.73 - gap / 100}
            for label, gaps in (("step 0.1", step), ("constant 0.03", constant)) for k, gap in enumerate(gaps)]
    runs += [{"schedule": "AutoLRS", "seed": k, "test_accuracy": 0.73} for k in range(len(step))]
    return {"profile": "full", "settings": settings, "tuned_constant": "constant 0.03",
            "baselines": ["step 0.1", "cosine 0.1"], "runs": runs}


def _lcm(share=0.22, gap=-0.2, seeds=3, cnn_subset=3000, mnist_subset=20000, same=(True, False),
         fixed_lead=0.01, pbt_seeds=5, pbt_lead=0.005, perturbation_lead=0.002, cnn_val_fraction=0.1):
    """LCM and PBT results: ``same`` cycles over the seeds as their same optimum; LCM leads random search by
    ``fixed_lead`` at every fixed budget; PBT's population leads random search's by ``pbt_lead`` and the one
    without perturbation by ``perturbation_lead`` (best and mean member), on ``pbt_seeds`` seeds."""
    rows = [{"seed": k, "random_epochs": 400.0, "lcm_epochs": 160.0, "lcm_stopped": 30, "random_seconds": 100.0,
             "lcm_seconds": 100 * (share + 0.01 * k), "epochs_share": 0.4, "random_best": 0.97,
             "lcm_best": 0.97 + (gap + 0.01 * k) / 100, "random_best_at_lcm_epochs": 0.96,
             "same_optimum": same[k % len(same)]} for k in range(seeds)]
    fixed = [{"seed": k, "fraction": f, "epochs": 160 * f, "seconds": 20 * f,
              "lcm_at_epochs": 0.95 + fixed_lead + f / 100, "random_at_epochs": 0.95 + f / 100 - 0.001 * k,
              "lcm_at_seconds": 0.95, "random_at_seconds": 0.94}
             for k in range(seeds) for f in (0.25, 0.5, 1.0)]
    ends = {"pbt": 0.96, "pbt_no_perturbation": 0.96 - perturbation_lead, "random": 0.96 - pbt_lead}
    pbt = [{"arm": arm, "seed": k, "epoch": 15.0, "best": end + 0.001 * k, "mean": end - 0.02 + 0.001 * k}
           for arm, end in ends.items() for k in range(pbt_seeds)]
    settings = {"dataset": "mnist", "subset": mnist_subset, "width": 128, "n_trials": 40, "epochs": 10,
                "cnn_dataset": "cifar10", "cnn_subset": cnn_subset, "cnn_width": 16, "cnn_trials": 20,
                "cnn_epochs": 8, "population_size": 10, "pbt_epochs": 15, "ready": 1, "val_fraction": 0.1,
                "cnn_val_fraction": cnn_val_fraction, "fixed_fractions": [0.25, 0.5, 1.0],
                "pbt_seeds": list(range(pbt_seeds))}
    members = [{"member": 0, "value": 0.96, "lr": 0.1, "lr_decay": 0.7, "lr_decay_every": 2}]
    return {"profile": "full", "settings": settings, "lcm": rows, "lcm_cnn": rows, "pbt_final": members,
            "fixed": fixed, "fixed_cnn": fixed, "pbt": pbt, "load": 1.0}


def _iis(saved=(0.2, 0.25, 0.3), iis_error=(0.50, 0.51, 0.52), direct_error=(0.55, 0.56, 0.57), val=0.55,
         layers_shift=0.3, floor=0.5, moved=0.1):
    settings = {"dataset": "cifar10", "subset": 4000, "val_fraction": 0.25, "resolutions": [8, 16, 32],
                "evaluations": 40, "iis_evaluations": [20, 13, 7], "seeds": [0, 1, 2]}
    searches = [(o, k) for o in ("random", "tpe", "ga") for k in range(3)]
    comparisons = [{"optimizer": o, "seed": k, "variant": v, "direct_val_error": val,
                    "iis_val_error": iis_error[k] + 0.005,
                    "direct_test_error": direct_error[k], "iis_test_error": iis_error[k], "saved_total": saved[k],
                    "saved_to_direct_error": None, "saved_to_iis_error": None, "saved_total_seconds": saved[k],
                    "saved_to_direct_error_seconds": None, "saved_to_iis_error_seconds": None}
                   for o, k in searches for v in ("warm start", "narrowed")]
    agreements = [{"optimizer": o, "seed": k, "kendall_tau": 0.4 + 0.01 * k, "top3_shared": 2,
                   "top_smallest": ["lr"], "top_full": ["lr"]} for o, k in searches]
    seed_agreements = [{"optimizer": o, "resolution": px, "seeds": pair, "kendall_tau": floor + 0.01 * px / 8}
                       for o in ("random", "tpe", "ga") for px in (8, 16, 32) for pair in ([0, 1], [0, 2], [1, 2])]
    importance = [{"parameter": f"p{i}", "optimizer": "random", "resolution": 8, "share": 0.1} for i in range(13)]
    shifts = [{"optimizer": o, "seed": k, "layers_smallest": 0.1, "layers_full": 0.1 + layers_shift + 0.01 * k,
               "lr_smallest": 0.3, "lr_full": 0.32} for o, k in searches]
    optima = [{"optimizer": o, "resolution": px, "seed": k, "parameter": p, "value": 0.0,
               "position": 0.5 + (moved + 0.01 * k if px == 32 else 0.0), "step": 0.05 if "layers" in p else 0.0}
              for o, k in searches for px in (8, 16, 32) for p in ("lr", "batch_size", "conv_layers")]
    return {"profile": "full", "settings": settings, "comparisons": comparisons, "agreements": agreements,
            "importance": importance, "seed_agreements": seed_agreements, "shifts": shifts, "optima": optima}


def _benchmarks(folder, gp_wins=True, random_wins=True):
    import pandas as pd

    problems = [f"p{k}" for k in range(8)]
    rows = [{"problem": p, "method": m, "seeds": 6, "regret@25": (1.0 if (m == "hpolib-gp") == gp_wins else 2.0)}
            for p in problems for m in ("hpolib-gp", "hpolib-random")]
    pd.DataFrame(rows).to_csv(folder / "optimizers_summary_held-out.csv", index=False)
    runs = [{"method": m, "problem": "branin", "seed": k, "cost": [100.0, 846.0], "regret": [5.0, final]}
            for k in range(10) for m, final in (("hpolib-hyperband", 1.0 + k), ("hpolib-bohb", 0.5 + k),
                                                ("hpolib-random", 2.0 + k))]
    (folder / "schedulers_runs_seeds0.json").write_text(json.dumps(runs))
    (folder / "schedulers_seeds0.json").write_text(json.dumps({"budget": 846}))
    regret = [{"method": m, "problem": p, "dim": d, "seed": k, "evaluations": 256,
               "regret": (1.0 if (m == "random") == random_wins else 2.0) + 0.1 * k}
              for p in ("levy", "ackley") for d in (2, 4, 8, 16) for k in range(10) for m in ("grid", "random")]
    pd.DataFrame(regret).to_csv(folder / "landscape_regret_held-out.csv", index=False)


def _rows(tmp_path, **chapters):
    for name, results in chapters.items():
        (tmp_path / f"{name}_results.json").write_text(json.dumps(results))
    return {row["id"]: row for row in ledger(tmp_path, benchmarks=tmp_path)}


def _verdict(rows, claim):
    return rows[claim]["verdict"]


def test_every_claim_is_data_with_its_source_and_every_row_has_the_ledger_keys(tmp_path):
    _benchmarks(tmp_path)
    rows = _rows(tmp_path, lenet_hpo=_lenet(), autolrs=_autolrs(), lcm_pbt=_lcm(), iis_fanova=_iis())
    assert list(rows) == [c.id for c in CLAIMS] and len(rows) == len(set(rows))
    for row in rows.values():
        assert set(row) == KEYS and row["reason"] and Verdict(row["verdict"]), row["id"]
        assert row["source"] in SOURCES and row["section"] and row["measure"]
    quoted = [c for c in CLAIMS if c.quote]
    assert len(quoted) >= 12 and all(c.quote.strip() == c.quote for c in quoted)
    written = json.loads(claims.write(tmp_path, benchmarks=tmp_path).read_text())
    assert [r["id"] for r in written] == list(rows)


def test_lenet_claims_per_method_and_paired_by_seed(tmp_path):
    rows = _rows(tmp_path, lenet_hpo=_lenet())
    assert _verdict(rows, "lenet.best_val_acc") == "reproduced"  # each method at least the report's less 1 pp
    assert rows["lenet.best_val_acc"]["per_seed"][0]["values"][0] == pytest.approx(67.9)
    assert _verdict(rows, "lenet.pso_vs_bohb") == "reproduced"  # PSO − BOHB = 0.2 pp: inside ±1 pp
    assert _verdict(rows, "lenet.random_vs_pso_bohb") == "reproduced"
    assert _verdict(rows, "lenet.grid_cost") == "consistent"
    assert _verdict(rows, "lenet.search_epochs") == "not comparable at this scale"
    rows = _rows(tmp_path, lenet_hpo=_lenet(random=(60.1, 60.5, 59.8, 60.2, 60.0)))
    assert _verdict(rows, "lenet.best_val_acc") == "partly"  # PSO and BOHB reach theirs, random does not
    assert _verdict(rows, "lenet.random_vs_pso_bohb") == "not reproduced"
    rows = _rows(tmp_path, lenet_hpo=_lenet(bohb=(70.0, 71.0, 72.0, 70.5, 71.5)))
    assert _verdict(rows, "lenet.pso_vs_bohb") == "not reproduced"  # BOHB clearly better: a winner after all
    rows = _rows(tmp_path, lenet_hpo=_lenet(final_epochs=8))
    assert _verdict(rows, "lenet.best_val_acc") == "not comparable at this scale"


def test_autolrs_must_not_fall_half_a_point_behind_the_hand_tuned_schedules(tmp_path):
    assert _verdict(_rows(tmp_path, autolrs=_autolrs()), "autolrs.vs_tuned_schedule") == "reproduced"
    behind = _rows(tmp_path, autolrs=_autolrs(step=(-3.0, -3.2, -2.9)))
    assert _verdict(behind, "autolrs.vs_tuned_schedule") == "partly"  # behind the step schedule, not the constant
    two = _rows(tmp_path, autolrs=_autolrs(step=(-3.4, 0.1), constant=(-0.9, 3.2)))
    assert _verdict(two, "autolrs.vs_tuned_schedule") == "inconclusive"  # two seeds decide nothing, either way
    assert _verdict(two, "autolrs.cifar10_acc") == "not comparable at this scale"
    assert _verdict(two, "autolrs.cifar100_acc") == "not measured"


def test_lcm_needs_three_seeds_and_a_fine_enough_validation_set(tmp_path):
    rows = _rows(tmp_path, lcm_pbt=_lcm())
    assert _verdict(rows, "lcm.mnist_time_share") == "reproduced"
    assert _verdict(rows, "lcm.mnist_acc_gap") == "reproduced"
    assert _verdict(rows, "lcm.cifar10_acc_gap") == "inconclusive"  # 300 validation images: one is 0.33 pp
    assert "coarser" in rows["lcm.cifar10_acc_gap"]["reason"]
    assert _verdict(_rows(tmp_path, lcm_pbt=_lcm(cnn_subset=20000)), "lcm.cifar10_acc_gap") == "reproduced"
    held_out = _rows(tmp_path, lcm_pbt=_lcm(cnn_subset=5000, cnn_val_fraction=0.4))  # 2,000 validation images
    assert _verdict(held_out, "lcm.cifar10_acc_gap") == "reproduced" and "2,000 images" in held_out[
        "lcm.cifar10_acc_gap"]["resolution"]
    assert _verdict(_rows(tmp_path, lcm_pbt=_lcm(share=0.9)), "lcm.mnist_time_share") == "not reproduced"
    assert _verdict(_rows(tmp_path, lcm_pbt=_lcm(seeds=2)), "lcm.mnist_time_share") == "inconclusive"
    assert _verdict(rows, "pbt.mnist_best") == "not comparable at this scale"
    assert rows["pbt.mnist_best"]["our_value"] == [0.96, 0.961, 0.962, 0.963, 0.964]  # PBT's best member per seed


def test_lcm_s_same_optimum_is_a_share_of_seeds_and_its_fixed_time_lead_is_paired_by_seed(tmp_path):
    rows = _rows(tmp_path, lcm_pbt=_lcm(seeds=9))
    assert _verdict(rows, "lcm.same_optimum") == "inconclusive"  # 5 of 9: a 0/1 share is too wide to tell on 9
    assert rows["lcm.same_optimum"]["our_value"] == {"MNIST, one dense layer": "5 of 9",
                                                     "CIFAR-10, four-conv network": "5 of 9"}
    box = build._claims_box([rows["lcm.same_optimum"]], set())
    assert "seeds with random search's optimum: 5 of 9; 0.18 to 0.888" in box
    always = _rows(tmp_path, lcm_pbt=_lcm(seeds=9, same=(True,)))
    assert _verdict(always, "lcm.same_optimum") == "inconclusive"  # 9 of 9: exact interval [0.61, 1] at 97.5 %
    assert "9 of 9" in always["lcm.same_optimum"]["reason"]
    always = _rows(tmp_path, lcm_pbt=_lcm(seeds=30, same=(True,)))
    assert _verdict(always, "lcm.same_optimum") == "not reproduced"  # 30 of 30: far from about half
    assert _verdict(rows, "lcm.fixed_time") == "reproduced"  # ahead at equal epochs on all 9 seeds, both networks
    assert rows["lcm.fixed_time"]["test"][0]["wins"] == 9 and len(rows["lcm.fixed_time"]["test"]) == 2
    assert rows["lcm.fixed_time"]["our_value"]["MNIST, one dense layer"]["at equal seconds"]["LCM"] == [0.95] * 9
    assert _verdict(_rows(tmp_path, lcm_pbt=_lcm(seeds=9, fixed_lead=-0.01)), "lcm.fixed_time") == "not reproduced"
    assert _verdict(_rows(tmp_path, lcm_pbt=_lcm(seeds=3)), "lcm.fixed_time") == "inconclusive"
    older = _lcm(seeds=9)  # a results file from before the same optimum and the fixed-time comparison
    for row in older["lcm"]:
        del row["same_optimum"]
    older = {key: value for key, value in older.items() if key not in ("fixed", "fixed_cnn", "pbt", "load")}
    rows = _rows(tmp_path, lcm_pbt=older)
    assert _verdict(rows, "lcm.fixed_time") == _verdict(rows, "lcm.same_optimum") == "not measured"
    assert _verdict(rows, "lcm.mnist_time_share") == "reproduced"  # what it holds is still read


def test_pbt_against_random_search_and_without_perturbation_paired_by_seed(tmp_path):
    rows = _rows(tmp_path, lcm_pbt=_lcm())
    assert _verdict(rows, "pbt.vs_random") == "reproduced"  # ahead on 5 of 5: p = 0.031
    assert rows["pbt.vs_random"]["per_seed"][0]["first"] == pytest.approx([0.96, 0.961, 0.962, 0.963, 0.964])
    assert _verdict(rows, "pbt.perturbation") == "inconclusive"  # two tests on 5 seeds cannot reach p < 0.05
    assert _verdict(_rows(tmp_path, lcm_pbt=_lcm(pbt_seeds=6)), "pbt.perturbation") == "reproduced"
    behind = _rows(tmp_path, lcm_pbt=_lcm(pbt_seeds=6, pbt_lead=-0.01, perturbation_lead=-0.01))
    assert _verdict(behind, "pbt.vs_random") == "not reproduced"
    assert _verdict(behind, "pbt.perturbation") == "not reproduced"
    assert _verdict(_rows(tmp_path, lcm_pbt={**_lcm(), "pbt": []}), "pbt.vs_random") == "not measured"


def test_iis_claims(tmp_path):
    rows = _rows(tmp_path, iis_fanova=_iis())
    assert _verdict(rows, "iis.time_saved") == "reproduced"  # inside 9-42 %
    assert _verdict(rows, "iis.lower_error") == "reproduced"  # 6 random and GA searches lower, per variant
    assert [t["n"] for t in rows["iis.lower_error"]["test"]] == [6, 6]
    assert rows["iis.lower_error"]["our_value"]["TPE, narrowed: IIS − direct (pp)"] == [-5.0, -5.0, -5.0]
    assert _verdict(rows, "iis.validation_test") == "reproduced"  # test − validation within ±2 pp, both choices
    assert "1,000 images" in rows["iis.validation_test"]["resolution"]
    assert "1,000 of them for validation" in rows["iis.validation_test"]["our_scale"]
    assert _verdict(rows, "iis.importance_stable") == "reproduced"  # tau 0.4 against a floor of 0.52: within 0.2
    below = _rows(tmp_path, iis_fanova=_iis(floor=0.8))
    assert _verdict(below, "iis.importance_stable") == "not reproduced"  # 0.4 below a floor of 0.82
    assert _verdict(rows, "iis.layers_vs_lr") == "reproduced"  # 0.3 against 0.02 on 9 of 9
    assert _verdict(_rows(tmp_path, iis_fanova=_iis(layers_shift=0.0)), "iis.layers_vs_lr") == "not reproduced"
    assert _verdict(rows, "iis.optimal_values") == "reproduced"  # moved 0.1 to 0.12 of the range
    assert _verdict(_rows(tmp_path, iis_fanova=_iis(moved=0.45)), "iis.optimal_values") == "not reproduced"
    coarse = _iis()
    coarse["optima"] = [{**o, "step": 0.25 if o["parameter"] == "conv_layers" else o["step"]}
                        for o in coarse["optima"]]
    coarse_row = _rows(tmp_path, iis_fanova=coarse)["iis.optimal_values"]
    assert coarse_row["verdict"] == "inconclusive" and "coarser" in coarse_row["reason"]  # the layer count's step
    rows = _rows(tmp_path, iis_fanova=_iis(saved=(0.72, 0.73, 0.74), iis_error=(0.60, 0.61, 0.62)))
    assert _verdict(rows, "iis.time_saved") == "not reproduced"
    assert _verdict(rows, "iis.lower_error") == "not reproduced"
    older = {k: v for k, v in _iis().items() if k not in ("seed_agreements", "shifts", "optima")}
    rows = _rows(tmp_path, iis_fanova=older)  # results from before the floor, shifts and optima were measured
    assert {_verdict(rows, c) for c in ("iis.importance_stable", "iis.layers_vs_lr", "iis.optimal_values")} == {
        "not measured"}


def test_landscape_claims_from_the_benchmarks(tmp_path):
    _benchmarks(tmp_path)
    rows = _rows(tmp_path)
    assert _verdict(rows, "landscape.bo_fewer_evaluations") == "reproduced"  # 8 of 8 problems
    assert _verdict(rows, "landscape.hyperband_convergence") == "partly"  # behind BOHB, ahead of random search
    assert _verdict(rows, "landscape.random_high_dim") == "reproduced"  # 10 of 10 seeds, 2 problems x 8 and 16-D
    # at a quarter of the budget both sit at regret 5 (no advantage); with all of it Hyperband is ahead on every seed
    assert _verdict(rows, "landscape.sha_fast_trials") == "reproduced"
    assert rows["landscape.sha_fast_trials"]["our_value"]["Branin"]["slow trials, median advantage"] == 0.0
    assert len(rows["landscape.random_high_dim"]["test"]) == 4
    assert rows["landscape.random_high_dim"]["our_value"]["Levy, 2-D"] == {"grid search": 2.45, "random search": 1.45}
    _benchmarks(tmp_path, gp_wins=False, random_wins=False)
    rows = _rows(tmp_path)
    assert _verdict(rows, "landscape.bo_fewer_evaluations") == "not reproduced"
    assert _verdict(rows, "landscape.random_high_dim") == "not reproduced"


def test_a_chapter_shows_the_ledgers_own_rows(tmp_path):
    results = _lenet()
    rows = _rows(tmp_path, lenet_hpo=results)
    shown = claims.chapter_verdicts("lenet_hpo", json.loads(json.dumps(results)))
    assert [r["id"] for r in shown] == [c.id for c in CLAIMS if c.chapter == "lenet_hpo"]
    assert all(r == rows[r["id"]] for r in shown)
    with pytest.raises(ValueError, match="chapter must be one of"):
        claims.chapter_verdicts("lenet", results)


def test_the_claims_page_prints_the_rules_the_code_applies(tmp_path):
    _benchmarks(tmp_path)
    rows = list(_rows(tmp_path, lenet_hpo=_lenet()).values())
    page = build._claims_tables(rows, "full")
    for text in RULES.values():
        assert f"- {text}" in page
    static = (build.ROOT / "book" / "claims.md").read_text()
    assert "tolerance" not in static and "seeds" not in static  # no second statement of the rules
    for row in rows:
        assert f"({build._claim_label(row['id'])})=" in page
    assert "> “there is no clear way of knowing which of BOHB or PSO is best" in page
    summary = build._summary(rows, "full")
    assert "full data epochs" not in summary and "**Consistent**. {ref}`Evidence <claim-lenet-grid-cost>`" in summary
    assert "**Goulas and Hocquette** (LeNet-5 HPO comparison on CIFAR-10 (project report)):" in summary


def test_source_numbers_live_once():
    assert LENET_REPORT["random"] == {"f6": 224, "c1": 27, "c3": 30, "c5": 40, "accuracy": 67.83}
    from hpolib.studies.lenet import REPORT_CONFIGS

    assert all(REPORT_CONFIGS[m] == {k: LENET_REPORT[m][k] for k in ("f6", "c1", "c3", "c5")} for m in LENET_REPORT)


def test_the_report_configurations_are_judged_under_the_recipe_chosen_by_the_declared_rule(tmp_path):
    def runs(recipe, shift):
        return [{"protocol": "report", "recipe": recipe, "config": m, "widths": "", "seed": k, "cpu": "x",
                 "last": LENET_REPORT[m]["accuracy"] + shift + 0.1 * k,
                 "best": LENET_REPORT[m]["accuracy"] + 1 + shift + 0.1 * k,
                 "best_epoch": 8} for m in LENET_REPORT for k in range(3)]
    results = _lenet()
    assert _verdict(_rows(tmp_path, lenet_hpo=results), "lenet.report_configs") == "not measured"
    results["retrained"] = runs("hpolib", -6.0) + runs("relu-crop-flip", 0.0)
    row = _rows(tmp_path, lenet_hpo=results)["lenet.report_configs"]
    assert row["verdict"] == "reproduced" and "relu-crop-flip (the chosen one)" in row["our_scale"]
    results["retrained"] = runs("hpolib", -6.0)
    assert _verdict(_rows(tmp_path, lenet_hpo=results), "lenet.report_configs") == "not reproduced"


def test_the_claims_page_lists_every_verdict_the_one_rule_moved():
    before = [{"id": "a", "verdict": "reproduced"}, {"id": "b", "verdict": "partly"}, {"id": "gone", "verdict": "x"}]
    now = [{"id": "a", "verdict": "inconclusive"}, {"id": "b", "verdict": "partly"}, {"id": "new", "verdict": "y"}]
    table = build._moved(before, now)
    assert "| `a` | reproduced | inconclusive |" in table and "`b`" not in table
    assert "| `gone` | x | dropped or restated |" in table and "| `new` | new claim | y |" in table


def test_an_entry_without_a_quote_says_whether_it_restates_figures_or_a_point():
    row = {"source_quote": None, "source_value": "qualitative"}
    assert "restates the source's point in its own words" in build._unquoted(row)
    assert "restates its figures" in build._unquoted({**row, "source_value": "21 % (778.5 s of 3,657.75 s)"})


def test_a_measured_claim_linking_to_a_missing_section_stops_the_build(tmp_path):
    rows = _rows(tmp_path, lenet_hpo=_lenet())
    sections = {"lenet_hpo": {"confirmation-at-the-report-s-scale"}}
    entry = "\n".join(build._claim_entry(rows["lenet.best_val_acc"], sections))
    assert 'href="../notebooks/lenet_hpo.html#confirmation-at-the-report-s-scale"' in entry
    with pytest.raises(ValueError, match="claim lenet.pso_vs_bohb links to section 'which-differences-the-seeds"):
        build._claim_entry(rows["lenet.pso_vs_bohb"], sections)
    assert "not in this copy of the chapter yet" in "\n".join(build._claim_entry(rows["lenet.report_configs"],
                                                                                sections))
    notebook = tmp_path / "n.ipynb"
    notebook.write_text(json.dumps({"cells": [{"cell_type": "markdown", "source": ["## Confirmation at the "
                                                                                   "report's scale\n", "text"]}]}))
    assert build._sections(notebook) == {"confirmation-at-the-report-s-scale"}


def test_autolrs_speed_is_its_steps_with_exploration_against_a_constant_grids(tmp_path):
    results = _autolrs()
    assert _verdict(_rows(tmp_path, autolrs=results), "autolrs.fast") == "not measured"
    results["tuning_cost"] = [{"seed": k, "AutoLRS steps": 2000 + k, "grid steps": 5000} for k in range(6)]
    assert _verdict(_rows(tmp_path, autolrs=results), "autolrs.fast") == "reproduced"
    results["tuning_cost"] = results["tuning_cost"][:3]
    assert _verdict(_rows(tmp_path, autolrs=results), "autolrs.fast") == "inconclusive"  # 3 seeds: p >= 0.125


def test_a_chapter_opens_with_its_claims_each_linking_to_its_section_and_ledger_entry(tmp_path):
    rows = _rows(tmp_path, lenet_hpo=_lenet())
    chapter = [r for r in rows.values() if r["chapter"] == "lenet_hpo"]
    box = build._claims_box(chapter, {"confirmation-at-the-report-s-scale"})
    assert box.startswith("```{admonition} Claims tested here") and box.count("\n- **") == len(chapter)
    best = next(line for line in box.splitlines() if "{ref}`Ledger entry <claim-lenet-best-val-acc>`" in line)
    assert '<a href="#confirmation-at-the-report-s-scale">Where it is measured</a>' in best
    verdict = rows["lenet.best_val_acc"]["verdict"].capitalize()
    assert "% interval, 5 seeds)" in best and best.startswith(f"- **{verdict}**")
    pso = next(line for line in box.splitlines() if "claim-lenet-pso-vs-bohb" in line)
    assert "Where it is measured" not in pso  # its section is not in this copy: no link to nowhere
    assert build._claims_box([], set()) == ""
    source = {"cells": [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": "# Title"},
                        {"cell_type": "code", "id": "p", "metadata": {"tags": ["parameters"]}, "source": "x = 1"},
                        {"cell_type": "code", "id": "b", "metadata": {}, "source": "1"}]}
    (tmp_path / "n.ipynb").write_text(json.dumps(source))
    shown = json.loads(build._presented(tmp_path / "n.ipynb", tmp_path / "n.ipynb", box))["cells"]
    assert [c["id"] for c in shown] == ["a", "claims-tested-here", "p", "b"] and shown[1]["source"] == box
    assert "remove-cell" in shown[2]["metadata"]["tags"]  # the defaults, not what ran: the banner says that
    assert "remove-cell" not in shown[3]["metadata"]["tags"]


def test_hypergradient_claim_from_the_per_seed_test_losses(tmp_path):
    import pandas as pd

    assert _verdict(_rows(tmp_path), "landscape.hypergrad_many_hyperparameters") == "not measured"

    def runs(seeds, ahead):
        rows = [{"seed": k, "method": m, "test_loss": loss + 0.01 * k}
                for k in range(seeds) for m, loss in (("per-weight hypergradient", 0.3 if ahead else 0.6),
                                                      ("random search (one decay)", 0.4), ("none", 0.5))]
        pd.DataFrame(rows).to_csv(tmp_path / "hypergrad_summary_weight_decay.csv", index=False)
        return _verdict(_rows(tmp_path), "landscape.hypergrad_many_hyperparameters")

    assert runs(3, True) == "inconclusive"  # three pairs cannot reach p < 0.05
    assert runs(6, True) == "reproduced"
    assert runs(6, False) == "not reproduced"


def _table_results(folder, pso_ahead=0.0, seeds=20):
    """The table benchmark's record and runs: per seed, BOHB's regret about 1 + k/10 pp (noisy), PSO's ``pso_ahead``
    pp less at the report's budget and 3 pp more at the chapter's; random search level with BOHB."""
    import numpy as np
    import pandas as pd

    record = {"budgets": {"chapter": 50, "report": 100}, "grid_cost": {"configurations": 720, "epochs": 8640}}
    (folder / "lenet_table.json").write_text(json.dumps(record))
    noise = np.random.default_rng(0).normal(0, 0.001, size=(2, 3, seeds))
    offset = {("chapter", "pso"): 0.03, ("report", "pso"): -pso_ahead / 100}
    runs = [{"budget": budget, "method": m, "seed": k,
             "regret": 0.01 + 0.001 * k + offset.get((budget, m), 0.0) + noise[b, i, k]}
            for b, budget in enumerate(("chapter", "report")) for i, m in enumerate(("random", "pso", "bohb"))
            for k in range(seeds)]
    pd.DataFrame(runs).to_csv(folder / "lenet_table_runs.csv", index=False)
    return pd.DataFrame(runs)


def test_the_tables_claims_judge_the_reports_sentences_on_the_report_budget_by_the_one_rule(tmp_path):
    rows = _rows(tmp_path)
    assert {_verdict(rows, c) for c in ("lenet_table.pso_vs_bohb", "lenet_table.random_vs_pso_bohb")} == \
        {"not measured"}  # nothing until benchmarks/lenet_table.py ran
    runs = _table_results(tmp_path, pso_ahead=0.2).query("budget == 'report'")
    wide = runs.pivot(index="seed", columns="method", values="regret")
    rows = _rows(tmp_path)
    pso = rows["lenet_table.pso_vs_bohb"]
    assert pso["per_seed"][0]["values"] == pytest.approx((100 * (wide.bohb - wide.pso)).tolist())  # accuracy, pp
    assert pso["verdict"] == "reproduced" and pso["seeds"] == 20  # ahead, but by less than 1 pp: no clear winner
    assert pso["chapter"] == "lenet_table" and "720 configurations" in pso["our_scale"]
    assert "1,200 epochs a run, 100 full evaluations' worth" in pso["our_scale"]  # the report's budget, not 600
    assert _verdict(rows, "lenet_table.random_vs_pso_bohb") == "reproduced"  # within 0.2 pp of both
    _table_results(tmp_path, pso_ahead=3.0)
    rows = _rows(tmp_path)
    assert _verdict(rows, "lenet_table.pso_vs_bohb") == "not reproduced"  # PSO clearly ahead, by 3 pp
    assert _verdict(rows, "lenet_table.random_vs_pso_bohb") == "partly"  # behind PSO by 3 pp, level with BOHB
    _table_results(tmp_path, seeds=2)
    assert _verdict(_rows(tmp_path), "lenet_table.pso_vs_bohb") == "inconclusive"  # two seeds tell nothing


def test_a_book_page_s_sections_include_those_of_the_pages_it_includes(tmp_path):
    (tmp_path / "_part.md").write_text("### PSO or BOHB?\n\ntext\n")
    (tmp_path / "page.md").write_text("# Title\n\n```{include} _part.md\n```\n\n```{include} _missing.md\n```\n")
    assert build._sections(tmp_path / "page.md") == {"title", "pso-or-bohb"}
    rows = _rows(tmp_path)
    entry = "\n".join(build._claim_entry(rows["landscape.bo_fewer_evaluations"],
                                         {"benchmarks": {"optimisers-beside-their-peers"}}))
    assert '<a href="../book/benchmarks.html#optimisers-beside-their-peers">' in entry
