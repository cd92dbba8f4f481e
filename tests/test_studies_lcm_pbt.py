"""The LCM and PBT chapter's analysis: LCM against random search, PBT's members, the slides beside ours, and the
typed results the claims ledger reads."""

import json
import math

import pandas as pd
import pytest

from hpolib.book.sources import LCM
from hpolib.studies import lcm_pbt as chapter

SETTINGS = {"seeds": [0, 1], "n_trials": 20, "epochs": 8, "checkpoints": [2, 4], "split_rate": 0.2,
            "early_stopping_rate": 0.99, "n_neighbours": 2, "cnn_seeds": [3], "cnn_trials": 10, "cnn_epochs": 6,
            "cnn_checkpoints": [2], "dataset": "mnist", "cnn_dataset": "cifar10",
            "fixed_fractions": [0.25, 0.5, 1.0]}


def _curve(config, budget, report):
    """A validation accuracy that rises towards a ceiling set by the learning rate: the final ranking shows early."""
    ceiling = 0.9 - 0.1 * abs(math.log10(config["lr"]) + 1)
    for epoch in range(1, int(budget) + 1):
        report(epoch, ceiling * (1 - math.exp(-epoch / 2)))
    return {"val_accuracy": ceiling * (1 - math.exp(-budget / 2))}


def _pair(seed, lcm_best=0.97, random_best=0.975, lcm_seconds=30.0, share=0.4, same=False):
    return chapter.Pair(seed, 400.0, 400.0 * share, 25, random_best, lcm_best, 0.96, share, 100.0, lcm_seconds, same)


def test_lcm_against_random_search_trains_the_same_configurations_for_fewer_epochs():
    pairs, fixed = chapter.lcm_versus_random(_curve, SETTINGS)
    assert [p.seed for p in pairs] == [0, 1]
    assert [(f.seed, f.fraction) for f in fixed] == [(s, f) for s in (0, 1) for f in (0.25, 0.5, 1.0)]
    assert all(p.same_optimum == (p.lcm_best == p.random_best) for p in pairs)  # one value per learning rate here
    for pair in pairs:  # at all of LCM's epochs, LCM's best so far is its best; random search's, its best by then
        whole = next(f for f in fixed if f.seed == pair.seed and f.fraction == 1.0)
        assert whole.epochs == pair.lcm_epochs and whole.lcm_at_epochs == pair.lcm_best
        assert whole.random_at_epochs == pair.random_best_at_lcm_epochs
    assert all(p.random_epochs == 20 * 8 and p.lcm_epochs < 0.8 * p.random_epochs for p in pairs)
    assert all(p.lcm_stopped >= 5 and p.epochs_share == pytest.approx(p.lcm_epochs / p.random_epochs)
               for p in pairs)
    assert all(p.lcm_best <= p.random_best for p in pairs)  # the same configurations, some stopped
    cnn, _ = chapter.lcm_versus_random(_curve, SETTINGS, cnn=True)  # the four-conv network's own settings
    assert [p.seed for p in cnn] == [3] and cnn[0].random_epochs == 10 * 6
    assert list(chapter.table(pairs).columns[:3]) == ["seed", "random_epochs", "lcm_epochs"]


def test_a_stopped_lcm_experiment_resumes_from_its_store_to_the_uninterrupted_result(tmp_path):
    from dataclasses import asdict

    one = {**SETTINGS, "seeds": [0]}
    calls = []

    def dying(config, budget, report):  # the driver is stopped during its 26th trial
        if len(calls) == 25:
            raise KeyboardInterrupt
        calls.append(config)
        return _curve(config, budget, report)

    with pytest.raises(KeyboardInterrupt):
        chapter.lcm_versus_random(dying, one, storage=tmp_path / "lcm.db")
    resumed, resumed_fixed = chapter.lcm_versus_random(_curve, one, storage=tmp_path / "lcm.db")
    whole, whole_fixed = chapter.lcm_versus_random(_curve, one)
    untimed = lambda pair: {k: v for k, v in asdict(pair).items() if not k.endswith("seconds")}  # noqa: E731
    assert [untimed(p) for p in resumed] == [untimed(p) for p in whole]
    assert [(f.fraction, f.epochs, f.lcm_at_epochs, f.random_at_epochs) for f in resumed_fixed] == \
        [(f.fraction, f.epochs, f.lcm_at_epochs, f.random_at_epochs) for f in whole_fixed]


def test_searches_set_aside_and_run_again_are_named_by_network_and_seed_and_compared_with_their_first_runs(tmp_path):
    from hpolib import Float, RandomSearch, Space, Study
    from hpolib.storage import SQLiteStorage

    path, space = tmp_path / "lcm_pbt.db", Space({"x": Float(0.0, 1.0)})
    assert chapter.set_aside(None) == "" and chapter.set_aside(path) == ""  # no store, or none yet

    def search(name, objective):
        with Study(space, RandomSearch(space, seed=0), direction="maximize", storage=path, name=name) as study:
            study.optimize(objective, n_trials=4, progress=False)

    def first_run(name):
        search(name, lambda config, budget, report: config["x"])
        store = SQLiteStorage(path)
        store.set_aside(name)
        store.close()

    for name in ("lcm-full-6", "lcm-early-6", "lcm-cnn-full-10", "lcm-cnn-early-10", "pbt-random-3"):
        first_run(name)
    for name in ("lcm-full-6", "lcm-early-6", "lcm-cnn-full-10"):  # lcm-cnn-early-10 not run again yet
        search(name, lambda config, budget, report: config["x"])
    said = chapter.set_aside(path)
    assert "(one dense layer: seed 6; four-conv network: seed 10)" in said  # PBT's: not LCM's
    assert said.endswith("Their 12 trials proposed the same configurations as the first runs', and all reached the "
                         "same result (1 of the 4 searches not run again yet).")
    search("lcm-cnn-early-10", lambda config, budget, report: config["x"] + (0.004 if config["x"] > 0.5 else 0.0))
    import re

    assert re.search(r"Their 16 trials proposed the same configurations as the first runs', and 1[2-5] reached the "
                     r"same result and the others up to 0\.4 pp away\.$", chapter.set_aside(path))


def test_the_page_s_table_of_seeds_names_its_columns_for_a_reader_and_leaves_the_seconds_apart():
    frame = chapter.seed_table([_pair(0), _pair(1, same=True)])
    assert "LCM share of epochs" in frame.columns and not any("seconds" in c or "_" in c for c in frame.columns)
    assert frame["same optimum"].tolist() == ["no", "yes"]


def test_a_pair_gives_lcm_s_share_of_the_seconds_and_its_accuracy_gap_in_points():
    pair = _pair(0, lcm_best=0.9710, random_best=0.9741, lcm_seconds=21.0)
    assert pair.seconds_share == pytest.approx(0.21)
    assert pair.accuracy_gap == pytest.approx(-0.31)


def test_each_member_s_last_segment_is_its_final_state():
    schedule = pd.DataFrame([
        {"member": 0, "start": 0, "end": 2, "value": 0.5, "lr": 0.1, "lr_decay": 0.9, "lr_decay_every": 1},
        {"member": 1, "start": 0, "end": 2, "value": 0.6, "lr": 0.2, "lr_decay": 0.8, "lr_decay_every": 2},
        {"member": 0, "start": 2, "end": 4, "value": 0.7, "lr": 0.24, "lr_decay": 0.8, "lr_decay_every": 2},
        {"member": 1, "start": 2, "end": 4, "value": 0.65, "lr": 0.2, "lr_decay": 0.8, "lr_decay_every": 2}])
    members = chapter.final_members(schedule.sample(frac=1, random_state=0))
    assert members == [chapter.Member(0, 0.7, 0.24, 0.8, 2), chapter.Member(1, 0.65, 0.2, 0.8, 2)]
    assert chapter.Results("smoke", SETTINGS, pbt_final=members).pbt_best == 0.7
    assert chapter.Results("smoke", SETTINGS).pbt_best is None


def test_the_slides_stand_beside_our_medians_and_the_headline_quotes_them():
    results = chapter.Results("full", SETTINGS, [_pair(0, share=0.3), _pair(1, share=0.5), _pair(2, share=0.4)],
                              [_pair(0, lcm_best=0.43, random_best=0.44)], [chapter.Member(0, 0.96, 0.1, 0.7, 2)])
    side = chapter.beside_slides(SETTINGS, results.lcm, results.lcm_cnn)
    assert list(side[""]) == ["slides, MNIST", "here, MNIST, one dense layer (median of 3 seeds)", "slides, CIFAR-10",
                              "here, CIFAR-10, four-conv network (median of 1 seeds)"]
    assert side["LCM share"].tolist() == pytest.approx([LCM["mnist"]["lcm_seconds"] / LCM["mnist"]["random_seconds"],
                                                         0.4, LCM["cifar10"]["lcm_seconds"] / 26498, 0.4])
    assert side.random[0] == "3657.75 s, 97.41 %" and side.LCM[1] == "160 epochs, 97.00 %"
    numbers = chapter.headline(results)
    assert numbers["lcm_share"] == pytest.approx(0.4) and numbers["lcm_gap"] == pytest.approx(-0.5)
    assert numbers["cnn_gap"] == pytest.approx(-1.0) and numbers["cnn_dataset"] == "CIFAR-10"
    assert numbers["pbt_best"] == 0.96


def test_results_written_are_read_back_typed_and_a_stored_file_reads(tmp_path):
    results = chapter.Results("full", SETTINGS, [_pair(0)], [_pair(1)], [chapter.Member(0, 0.96, 0.1, 0.7, 2)],
                              "cpu", [_fixed(0, 0.5, 0.9, 0.8, 0.85, 0.8)], [],
                              [chapter.PopulationPoint("pbt", 0, 2.0, 0.9, 0.8)], 1.5)
    results.write(tmp_path / "lcm_pbt_results.json")
    again = chapter.Results.read(tmp_path / "lcm_pbt_results.json")
    assert again == results and isinstance(again.lcm[0], chapter.Pair)
    assert isinstance(again.fixed[0], chapter.FixedTime) and isinstance(again.pbt[0], chapter.PopulationPoint)
    stored = json.loads((tmp_path / "lcm_pbt_results.json").read_text())
    assert chapter.Results.read({**stored, "_provenance": {}}) == results  # the ledger's extra key is ignored
    with pytest.raises(KeyError, match="random_epochs"):  # a row missing a field is refused
        chapter.Results.read({**stored, "lcm": [{"seed": 0}]})
    with pytest.raises(ValueError, match="not fields of hpolib.studies.lcm_pbt.Results: lcm_mlp"):
        chapter.Results.read({**stored, "lcm_mlp": []})


def _fixed(seed, fraction, lcm, random, lcm_seconds=math.nan, random_seconds=math.nan):
    return chapter.FixedTime(seed, fraction, 100 * fraction, 10 * fraction, lcm, random, lcm_seconds, random_seconds)


def _runs(search, costs, seconds, values, states=None):
    """One search's trials, as :func:`hpolib.analysis.compare.stopping_runs` gives them."""
    states = states or ["complete"] * len(costs)
    return pd.DataFrame({"seed": 0, "search": search, "number": range(len(costs)), "state": states, "value": values,
                         "cost": costs, "seconds": seconds, "config": [{"x": v} for v in values]})


def test_fixed_time_reads_both_searches_at_equal_epochs_and_equal_seconds_of_lcm_s_spend():
    random = _runs("full", [10, 10, 10, 10], [5, 5, 5, 5], [0.5, 0.7, 0.6, 0.9])  # 40 epochs, 20 s
    lcm = _runs("early", [10, 2, 10, 2, 2], [8, 1, 8, 1, 1], [0.5, 0.3, 0.6, 0.2, 0.1],
                ["complete", "stopped", "complete", "stopped", "stopped"])  # 26 epochs, 19 s
    rows = chapter.fixed_time(pd.concat([random, lcm]), [0.25, 0.5, 1.0])
    assert [(r.fraction, r.epochs, r.seconds) for r in rows] == [(0.25, 6.5, 4.75), (0.5, 13.0, 9.5),
                                                                 (1.0, 26.0, 19.0)]
    assert [r.lcm_at_epochs for r in rows] == pytest.approx([math.nan, 0.5, 0.6], nan_ok=True)
    assert [r.random_at_epochs for r in rows] == pytest.approx([math.nan, 0.5, 0.7], nan_ok=True)
    assert [r.lcm_at_seconds for r in rows] == pytest.approx([math.nan, 0.5, 0.6], nan_ok=True)
    assert [r.random_at_seconds for r in rows] == pytest.approx([math.nan, 0.5, 0.7], nan_ok=True)  # 5 s a trial
    with pytest.raises(ValueError, match=r"fixed_fractions must hold numbers in \(0, 1\], got 1.5"):
        chapter.fixed_time(pd.concat([random, lcm]), [1.5])


def test_fixed_time_averages_each_seed_over_the_budgets_both_searches_reached():
    rows = [_fixed(0, 0.25, math.nan, 0.5), _fixed(0, 0.5, 0.8, 0.6), _fixed(0, 1.0, 0.9, 0.7),
            _fixed(1, 0.5, 0.7, 0.7, 0.6, 0.5), _fixed(1, 1.0, 0.8, 0.6, 0.8, 0.7)]
    by_epochs = chapter.fixed_time_by_seed(rows)
    assert by_epochs.seed.tolist() == [0, 1] and by_epochs.budgets.tolist() == [2, 2]
    assert by_epochs.lcm.tolist() == pytest.approx([0.85, 0.75])
    assert by_epochs.random.tolist() == pytest.approx([0.65, 0.65])
    by_seconds = chapter.fixed_time_by_seed(rows, "seconds")
    assert by_seconds.seed.tolist() == [1] and by_seconds.lcm.tolist() == pytest.approx([0.7])
    with pytest.raises(ValueError, match="by must be 'epochs' or 'seconds', got 'steps'"):
        chapter.fixed_time_by_seed(rows, "steps")
    table = chapter.fixed_time_table(rows)
    assert table["share of LCM's spend"].tolist() == [0.25, 0.5, 1.0]
    assert table["LCM at equal epochs (%)"].tolist() == pytest.approx([math.nan, 75.0, 85.0], nan_ok=True)
    slides = chapter.slides_fixed_time()
    assert len(slides) == 9 and slides["LCM − random (pp)"].iloc[0] == pytest.approx(96.274 - 95.562)


def test_a_population_s_progress_is_its_best_and_mean_member_after_each_segment():
    schedule = pd.DataFrame([
        {"member": 0, "start": 0, "end": 2, "value": 0.5}, {"member": 1, "start": 0, "end": 2, "value": 0.7},
        {"member": 0, "start": 2, "end": 4, "value": 0.9}, {"member": 1, "start": 2, "end": 4, "value": None}])
    points = chapter.progress(schedule, "pbt", 3)
    assert points == [chapter.PopulationPoint("pbt", 3, 2.0, 0.7, pytest.approx(0.6)),
                      chapter.PopulationPoint("pbt", 3, 4.0, 0.9, pytest.approx(0.8))]
    # after a failed segment a member's last good value stays, as PBT keeps its last good checkpoint


def _population(arm, seed, best, mean):
    return [chapter.PopulationPoint(arm, seed, 1.0, best - 0.1, mean - 0.1),
            chapter.PopulationPoint(arm, seed, 2.0, best, mean)]


def test_each_population_s_end_per_seed_and_its_table_against_random_search():
    points = [p for seed in (0, 1) for arm, best, mean in (("pbt", 0.96, 0.93), ("pbt_no_perturbation", 0.95, 0.92),
                                                            ("random", 0.955 + 0.01 * seed, 0.9))
              for p in _population(arm, seed, best, mean)]
    results = chapter.Results("quick", SETTINGS, pbt=points)
    assert results.population_end("pbt") == {0: 0.96, 1: 0.96}
    assert results.population_end("random", "mean") == {0: 0.9, 1: 0.9}
    with pytest.raises(ValueError, match="measure must be 'best' or 'mean', got 'worst'"):
        results.population_end("pbt", "worst")
    table = chapter.population_table(results)
    assert table.population.tolist() == ["PBT", "PBT without perturbation", "random search"]
    assert table["best above random search's"].tolist() == ["1 of 2", "0 of 2", "0 of 2"]
    assert table["mean member (median)"].tolist() == pytest.approx([0.93, 0.92, 0.9])


def test_the_same_optimum_is_counted_beside_the_slides():
    table = chapter.same_optimum_table(SETTINGS, [_pair(0, same=True), _pair(1), _pair(2, same=True)], [_pair(0)])
    assert table["same optimum"].tolist() == [2, 0] and table.repetitions.tolist() == [3, 1]
    assert table["slides (MNIST)"][0] == "5 of 9" and table["slides (CIFAR-10)"][1] == "7 of 12"


@pytest.mark.slow
def test_lcm_against_random_search_on_two_worker_processes_trains_the_serial_run_s_configurations():
    from hpolib import LearningCurveMatching, ProcessExecutor
    from hpolib.analysis.compare import stopping_runs

    one = {**SETTINGS, "seeds": [0]}

    def lcm():
        return LearningCurveMatching(one["checkpoints"], n_trials=one["n_trials"], split_rate=one["split_rate"],
                                     early_stopping_rate=one["early_stopping_rate"],
                                     n_neighbours=one["n_neighbours"], budget=one["epochs"])

    runs = {name: stopping_runs(chapter.SPACE, _curve, lcm, [0], n_trials=20, trial_budget=8, metric="val_accuracy",
                                progress=False, executor=executor)
            for name, executor in (("serial", None), ("processes", ProcessExecutor(2)))}
    serial, parallel = (runs[name].set_index(["search", "number"]).drop(columns="seconds")
                        for name in ("serial", "processes"))
    # random search proposes by its seed alone: both searches train the same configurations under the same numbers
    assert parallel.config.tolist() == serial.config.tolist()
    pd.testing.assert_frame_equal(parallel.loc["full"], serial.loc["full"])  # and without LCM, the same trials
    # LCM's stops depend on which trials had finished when a curve reached a checkpoint, which two workers change;
    # a trial LCM lets finish ends as it did serially, a stopped one trained less
    early, full = parallel.loc["early"], parallel.loc["full"]
    done = early.state == "complete"
    assert early.value[done].tolist() == full.value[done].tolist()
    assert (early.cost[~done] < 8).all() and (~done).sum() >= 5
    pairs, _ = chapter.lcm_versus_random(_curve, one, executor=ProcessExecutor(2))
    serial_pair = chapter.lcm_versus_random(_curve, one)[0][0]
    assert (pairs[0].random_epochs, pairs[0].random_best) == (serial_pair.random_epochs, serial_pair.random_best)
    assert pairs[0].lcm_best <= pairs[0].random_best


PBT_SETTINGS = {"population_size": 4, "ready": 1, "pbt_epochs": 4, "perturb": [0.8, 1.2], "resample_probability": 0.25,
                "lr_range": (0.01, 0.5), "decay_range": (0.5, 1.0), "decay_every": (1, 3), "pbt_seeds": [0]}


def _member(config, budget, report):
    """A member whose accuracy climbs by its decayed learning rate each epoch, on from its checkpoint."""
    epoch, accuracy = 0, 0.0
    if report.restore_dir is not None:
        epoch, accuracy = json.loads((report.restore_dir / "state.json").read_text())
    while epoch < budget:
        epoch += 1
        accuracy += config["lr"] * (1 - accuracy) * config["lr_decay"] ** (epoch // config["lr_decay_every"])
        report(epoch, accuracy)
    (report.checkpoint_dir / "state.json").write_text(json.dumps([epoch, accuracy]))
    return {"val_accuracy": accuracy}


def test_stopped_populations_resume_from_their_store_to_the_uninterrupted_schedules(tmp_path):
    calls = []

    def dying(config, budget, report):  # the driver is stopped during PBT's 11th segment, copies made before it
        if len(calls) == 10:
            raise KeyboardInterrupt
        calls.append(budget)
        return _member(config, budget, report)

    with pytest.raises(KeyboardInterrupt):
        chapter.populations(dying, PBT_SETTINGS, tmp_path / "pbt.db")
    resumed = chapter.populations(_member, PBT_SETTINGS, tmp_path / "pbt.db")
    whole = chapter.populations(_member, PBT_SETTINGS)
    assert set(resumed) == set(whole)
    kept = tmp_path / "checkpoints"  # beside the store, each population's removed once it ended
    assert not kept.exists() or not any(kept.iterdir())
    for key in whole:
        same = [c for c in whole[key].columns if c not in ("started", "finished", "seconds", "worker")]
        pd.testing.assert_frame_equal(resumed[key][same].reset_index(drop=True),
                                      whole[key][same].reset_index(drop=True))


@pytest.mark.slow
def test_populations_train_their_members_at_once_on_two_worker_processes(tmp_path):
    from hpolib import ProcessExecutor

    serial = chapter.populations(_member, PBT_SETTINGS)
    parallel = chapter.populations(_member, PBT_SETTINGS, executor=ProcessExecutor(2), checkpoint_dir=tmp_path / "ckpt")
    assert set(parallel) == {(arm, 0) for arm in chapter.ARMS}
    for key, schedule in parallel.items():
        assert (schedule.state == "complete").all()
        assert schedule.groupby("member").end.max().tolist() == [4, 4, 4, 4]  # every member trained to the end
        for _, segments in schedule.groupby("member"):  # each segment on from its member's last, or its donor's
            on = segments.start.eq(segments.end.shift(fill_value=0)) | segments.copied_from.notna()
            assert on.all()
        firsts = lambda s: s[s.start == 0].sort_values("member")[["lr", "lr_decay", "lr_decay_every"]]  # noqa: E731
        pd.testing.assert_frame_equal(firsts(schedule).reset_index(drop=True),
                                      firsts(serial[key]).reset_index(drop=True))  # the same initial draws
    assert parallel["random", 0].copied_from.isna().all() and parallel["pbt", 0].copied_from.notna().any()
    # which member copies which is decided as segments end, asynchronously on two workers: not the serial run's
    assert not (tmp_path / "ckpt").exists()  # each population's checkpoints, removed once it is done
