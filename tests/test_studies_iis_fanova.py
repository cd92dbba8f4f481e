"""The IIS and fANOVA chapter's analysis: the study grid, importance and its agreement across resolutions, IIS
against the direct search, and the typed results the claims ledger reads."""

import math

import pandas as pd
import pytest

from hpolib.space import Float, Int, Space
from hpolib.studies import iis_fanova as chapter

SPACE = Space({"lr": Float(1e-3, 1.0, log=True), "layers": Int(1, 2), "width_2": Int(4, 16)},
              conditions={"width_2": ("layers", [2])})
SETTINGS = {"optimizers": ["random"], "seeds": [0, 1], "resolutions": [8, 16], "evaluations": 8,
            "iis_evaluations": [4, 3], "carry": 2, "narrow_top": 2, "narrow_margin": 0.1}


def _objective(px):
    """One epoch per trial; the learning rate near 0.1 is best, and only the full resolution reads a test set."""
    def objective(config, budget, report):
        accuracy = 0.9 - 0.2 * abs(math.log10(config["lr"]) + 1) - (0.1 if px < 16 else 0.0)
        report(1, accuracy)
        return {"val_accuracy": accuracy, **({"test_accuracy": accuracy - 0.01} if px == 16 else {})}
    return objective


def _shares(lo_order, hi_order, optimizer="random", seed=0):
    """fANOVA shares at 8 and 16 px ranking the parameters in the orders given, most important first."""
    return [{"optimizer": optimizer, "resolution": px, "seed": seed, "parameter": p, "mean": (len(order) - k) / 10,
             "active_share": 0.5 if p == "width_2" else 1.0}
            for px, order in ((8, lo_order), (16, hi_order)) for k, p in enumerate(order)]


def _comparison(seed, variant="warm start", saved_total=0.5, to_direct=None, iis_test=0.3, direct_test=0.32):
    return chapter.Comparison("random", seed, variant, 0.3, 0.31, direct_test, iis_test, saved_total, to_direct,
                              0.2, saved_total, to_direct, 0.2)


def test_the_study_grid_searches_every_optimiser_seed_and_resolution_and_iis_saves_its_stages_pixels():
    objective_of = {(px, seed): _objective(px) for px in (8, 16) for seed in (0, 1)}
    searches = chapter.direct_searches(SPACE, objective_of, SETTINGS)
    assert set(searches) == {("random", px, seed) for px in (8, 16) for seed in (0, 1)}
    assert searches["random", 16, 1].name == "random-16px-seed1"
    done = chapter.completed(searches)
    assert done.loc[("random search", 16), "trials complete"] == 16
    assert done.loc[("random search", 8), "trials failed"] == 0
    runs, found = chapter.iis_against_direct(SPACE, searches, objective_of, SETTINGS)
    assert set(runs) == {("random", seed, v) for seed in (0, 1) for v in chapter.VARIANTS}
    assert [(c.seed, c.variant) for c in found] == [(0, "warm start"), (0, "narrowed"), (1, "warm start"),
                                                    (1, "narrowed")]
    for c in found:  # 4 evaluations at 8 px cost a quarter of an epoch each, 3 at 16 px a whole one: 4 of 8
        assert c.saved_total == pytest.approx(0.5)
        assert c.direct_val_error == pytest.approx(1 - searches["random", 16, c.seed].best.value)
        assert c.iis_test_error == pytest.approx(c.iis_val_error + 0.01)
    best = chapter.best_configurations(SPACE, searches, seed=0)
    assert list(best["resolution (px)"]) == [8, 16] and set(best.optimiser) == {"random search"}
    for row in best.itertuples():
        assert ("width, layer 2 " in row[4]) == ("layers 2" in row[4])  # a value that took no effect is left out
        assert row[4].startswith("learning rate ")  # as the book names them


def test_importance_is_the_mean_share_over_seeds_most_important_first():
    found = pd.DataFrame(_shares(["lr", "layers", "width_2"], ["lr", "width_2", "layers"])
                         + _shares(["lr", "layers", "width_2"], ["layers", "lr", "width_2"], seed=1)
                         + [{"optimizer": "random", "resolution": 8, "seed": 1, "parameter": "momentum",
                             "mean": math.nan, "active_share": 0.0}])
    rows, active = chapter.importance(found)
    assert chapter.Importance("lr", "random", 16, pytest.approx(0.25)) in rows
    assert not any(r.parameter == "momentum" for r in rows)  # never measured: no share
    assert active == {"lr": 1.0, "layers": 1.0, "width_2": 0.5, "momentum": 0.0}
    wide = chapter.importance_table(rows, active)
    assert list(wide.columns) == ["random search, 8 px", "random search, 16 px", "active"]
    assert list(wide.index) == ["lr", "layers", "width_2"] and wide.loc["width_2", "active"] == 0.5
    by_px = chapter.importance_by_resolution(found, list(wide.index), active)
    assert list(by_px.columns) == ["8 px", "16 px", "active"] and by_px.loc["lr", "16 px"] == pytest.approx(0.25)


def test_rankings_agree_through_kendall_s_tau_and_their_top_three():
    order = ["lr", "layers", "width_2", "l1"]
    found = pd.DataFrame(_shares(order, order) + _shares(order, order[::-1], seed=1))
    same, reversed_ = chapter.agreements(found, SETTINGS)
    assert same == chapter.Agreement("random", 0, pytest.approx(1.0), 3, order[:3], order[:3])
    assert reversed_.kendall_tau == pytest.approx(-1.0) and reversed_.top3_shared == 2
    assert reversed_.top_full == ["l1", "width_2", "layers"]
    stable = chapter.stability([same, reversed_])
    assert stable.loc["random search"].tolist() == pytest.approx([0.0, -1.0, 1.0, 2.5, 2])
    shown = chapter.agreement_table([reversed_], SETTINGS)
    assert list(shown.columns[-2:]) == ["top 3 at 8 px", "top 3 at 16 px"]
    assert shown.iloc[0]["top 3 at 16 px"] == "L1 penalty, width, layer 2, layers"  # as the book names them


def test_the_summary_counts_what_iis_reached_and_saved_per_variant():
    rows = [_comparison(0, to_direct=0.2), _comparison(1, to_direct=-0.1, iis_test=0.31), _comparison(2),
            _comparison(0, "narrowed", saved_total=0.6)]
    table = chapter.summary(rows).set_index("variant")
    plain = table.loc["warm start"]
    assert plain.seeds == 3 and plain["IIS reached direct's error"] == "2 of 3"
    assert plain["IIS saved (to direct's error)"] == "1 of 3"
    assert plain["saved to direct's error (pixel-epochs) median"] == pytest.approx(0.05)
    assert plain["saved to direct's error (pixel-epochs) range"] == "-0.10 to 0.20"
    assert plain["test error IIS - direct (median)"] == pytest.approx(-0.02)
    assert plain["p (IIS test error lower)"] == pytest.approx(0.125)  # 3 of 3 lower: the least 3 seeds can give
    assert pd.isna(table.loc["narrowed", "saved to direct's error (pixel-epochs) range"])  # never reached: no range


def test_the_headline_quotes_the_plain_warm_start_and_a_search_that_never_got_there_counts_least():
    agreements = [chapter.Agreement("random", k, tau, 2, ["lr"], ["lr"]) for k, tau in enumerate((0.2, 0.5, 0.4))]
    importance = [chapter.Importance("lr", "random", 16, 0.5), chapter.Importance("l1", "random", 16, 0.1)]
    results = chapter.Results("full", {"seeds": [0, 1, 2]}, importance, {"lr": 1.0, "l1": 1.0}, agreements,
                              [_comparison(0, to_direct=0.3), _comparison(1, to_direct=0.1), _comparison(2),
                               _comparison(0, "narrowed", saved_total=0.9)])
    numbers = chapter.headline(results)
    assert numbers["iis_top"] == "learning rate" and numbers["iis_tau"] == pytest.approx(0.4)
    assert numbers["iis_top3"] == "2" and (numbers["iis_reached"], numbers["iis_n"]) == ("2", "3")
    assert numbers["iis_saved"].startswith(", saving a median 10% of the pixel-epochs to that error")
    assert numbers["iis_total_saved"] == pytest.approx(0.5)
    results.comparisons = [_comparison(0, to_direct=0.3), _comparison(1), _comparison(2)]
    never = ": most never got there, so there is no median saving on the way to it"
    assert chapter.headline(results)["iis_saved"] == never


def test_results_written_are_read_back_typed(tmp_path):
    results = chapter.Results("full", SETTINGS, [chapter.Importance("lr", "random", 8, 0.4)], {"lr": 1.0},
                              [chapter.Agreement("random", 0, 0.5, 2, ["lr", "l1", "l2"], ["lr", "l2", "l1"])],
                              [_comparison(0), _comparison(0, "narrowed", to_direct=0.1)], "cpu")
    results.write(tmp_path / "iis_fanova_results.json")
    again = chapter.Results.read(tmp_path / "iis_fanova_results.json")
    assert again == results and isinstance(again.comparisons[0], chapter.Comparison)
    assert again.of("warm start") == [_comparison(0)] and again.comparisons[0].saved_to_direct_error is None
    with pytest.raises(KeyError, match="saved_total"):  # a row in another form is refused, not half read
        chapter.Results.read({"profile": "full", "settings": {}, "comparisons": [{
            "optimizer": "random", "seed": 0, "variant": "warm start", "direct_val_error": 0.3, "iis_val_error": 0.3,
            "direct_test_error": 0.3, "iis_test_error": 0.3, "total_saved (pixel-epochs)": 0.5}]})
    with pytest.raises(ValueError, match="not fields of hpolib.studies.iis_fanova.Results: ranking, savings"):
        chapter.Results.read({"profile": "full", "settings": {}, "savings": [], "ranking": []})  # the older form


def test_the_noise_floor_is_the_tau_of_two_seeds_at_one_resolution_and_each_tau_is_read_against_it():
    order = ["lr", "layers", "width_2", "l1"]
    swapped = ["layers", "lr", "width_2", "l1"]  # one pair of four swapped: tau 1 - 2 / 6 * 2 = 2/3
    found = pd.DataFrame(_shares(order, order) + _shares(order, swapped, seed=1))
    floor = chapter.seed_agreements(found, SETTINGS)
    assert [(a.resolution, a.seeds) for a in floor] == [(8, [0, 1]), (16, [0, 1])]
    assert floor[0].kendall_tau == pytest.approx(1.0) and floor[1].kendall_tau == pytest.approx(2 / 3)
    table = chapter.noise_floor(floor)
    assert table.loc[("random search", 16), "median τ, two seeds"] == pytest.approx(2 / 3)
    across = chapter.agreements(found, SETTINGS)  # seed 0: tau 1; seed 1: 2/3; the floor's median 5/6
    assert chapter.tau_above_floor(across, floor) == pytest.approx([1 / 6, -1 / 6])
    assert math.isnan(chapter.tau_above_floor(across, [])[0])  # one seed: no floor
    assert chapter.noise_floor([]).empty and "least τ" in chapter.noise_floor([]).columns


def test_the_layer_counts_shift_is_read_beside_the_learning_rates():
    found = pd.DataFrame([{"optimizer": "random", "resolution": px, "seed": 0, "parameter": p, "mean": share}
                          for px, shares in ((8, {"lr": 0.4, "conv_layers": 0.1, "dense_layers": 0.05}),
                                             (16, {"lr": 0.35, "conv_layers": 0.3}))
                          for p, share in shares.items()])
    settings = {**SETTINGS, "seeds": [0]}
    (shift,) = chapter.shifts(found, settings)
    assert (shift.layers_smallest, shift.layers_full) == pytest.approx((0.15, 0.3))  # dense unranked at 16: 0
    assert shift.layers_shift == pytest.approx(0.15) and shift.lr_shift == pytest.approx(0.05)
    shown = chapter.shift_table([shift])
    assert shown.iloc[0]["optimiser"] == "random search" and shown.iloc[0]["learning rate, full"] == 0.35


class _Trial:
    def __init__(self, value, config):
        from hpolib.trial import TrialState

        self.value, self.config, self.state = value, config, TrialState.COMPLETE


class _Study:
    def __init__(self, trials):
        self.trials = trials


def test_the_top_configurations_values_and_how_far_they_move_across_resolutions():
    space = Space({"lr": Float(1e-4, 1.0, log=True), "conv_layers": Int(1, 3)})

    def search(lr, layers):  # 8 trials: the best two (a quarter) at lr and layers, the rest elsewhere
        top = [_Trial(0.9, {"lr": lr, "conv_layers": layers}), _Trial(0.8, {"lr": lr, "conv_layers": layers})]
        return _Study(top + [_Trial(0.1, {"lr": 1e-4, "conv_layers": 1})] * 6)

    searches = {("random", 8, 0): search(1e-2, 3), ("random", 16, 0): search(1e-2, 3),
                ("random", 8, 1): search(1e-2, 1), ("random", 16, 1): search(1.0, 3)}
    rows = chapter.optima(space, searches)
    lr = [o for o in rows if o.parameter == "lr"]
    assert lr[0] == chapter.Optimum("random", 8, 0, "lr", pytest.approx(1e-2), pytest.approx(0.5), 0.0)
    layers = next(o for o in rows if o.parameter == "conv_layers")
    assert layers.position == 1.0 and layers.step == pytest.approx(0.25)  # one of 2 steps shared by 2 trials
    moves = chapter.optimum_moves(rows, SETTINGS)
    assert moves["lr"] == pytest.approx([0.0, 0.5]) and moves["conv_layers"] == pytest.approx([0.0, 1.0])
    table = chapter.optima_table(rows, SETTINGS)
    assert list(table.index) == ["learning rate", "conv layers"]
    assert table.loc["learning rate", "moved across resolutions"] == pytest.approx(0.25)
    assert table.loc["conv layers", "two seeds apart"] == pytest.approx(0.5)  # 1.0 at 8 px, 0 at 16 px


@pytest.mark.slow
def test_random_search_s_direct_and_iis_searches_on_two_worker_processes_are_the_serial_ones():
    from hpolib import ProcessExecutor

    objective_of = {(px, 0): _objective(px) for px in (8, 16)}
    one = {**SETTINGS, "seeds": [0]}
    shown = ["number", "state", "value", "config"]

    def trials(study):
        frame = pd.DataFrame([{"number": t.number, "state": t.state.value, "value": t.value, "config": t.config}
                              for t in study.trials])
        return frame[shown]

    serial = chapter.direct_searches(SPACE, objective_of, one)
    parallel = chapter.direct_searches(SPACE, objective_of, one, executor=ProcessExecutor(2))
    assert {t.worker for t in parallel["random", 16, 0].trials} != {"serial"}
    for key in serial:  # random search asks in the same order whoever finishes first
        pd.testing.assert_frame_equal(trials(parallel[key]), trials(serial[key]))
    serial_runs, serial_found = chapter.iis_against_direct(SPACE, serial, objective_of, one)
    runs, found = chapter.iis_against_direct(SPACE, parallel, objective_of, one, executor=ProcessExecutor(2))
    for key, run in runs.items():  # each stage carries over the same best configurations
        for study, alone in zip(run.studies, serial_runs[key].studies):
            pd.testing.assert_frame_equal(trials(study), trials(alone))
    assert [(c.iis_val_error, c.saved_total) for c in found] == [(c.iis_val_error, c.saved_total)
                                                                for c in serial_found]


def test_direct_searches_set_aside_and_run_again_are_named_and_compared_with_their_first_run(tmp_path):
    from hpolib import RandomSearch, Study
    from hpolib.storage import SQLiteStorage

    path, space = tmp_path / "iis_fanova.db", Space({"x": Float(0.0, 1.0)})
    assert chapter.set_aside(None) == "" and chapter.set_aside(path) == ""

    def search(name, objective):
        with Study(space, RandomSearch(space, seed=0), direction="maximize", storage=path, name=name) as study:
            study.optimize(objective, n_trials=4, progress=False)

    for name in ("random-16px-seed0", "tpe-32px-seed2", "iis-random-seed0-8px"):
        search(name, lambda config, budget, report: config["x"])
        store = SQLiteStorage(path)
        store.set_aside(name)
        store.close()
    search("random-16px-seed0", lambda config, budget, report: config["x"])  # the same arithmetic
    search("tpe-32px-seed2", lambda config, budget, report: config["x"] + (0.004 if config["x"] > 0.5 else 0.0))
    said = chapter.set_aside(path)
    first = ("Random search at 16 px, seed 0, was run again from scratch: its 4 trials proposed the same "
             "configurations as the first run's, and all reached the same validation accuracy.")
    assert said.startswith(first + " ")
    import re

    assert re.fullmatch(r"TPE at 32 px, seed 2, was run again from scratch: its 4 trials proposed the same "
                        r"configurations as the first run's, and [0-3] reached the same validation accuracy and the "
                        r"others up to 0\.4 pp away: the two runs' arithmetic differed \(.*\)\.", said[len(first) + 1:])
