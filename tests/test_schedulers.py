"""Schedulers: budgets, promotions, early stops and PBT copies, on deterministic objectives."""

import json
import math

import numpy as np
import pytest
import torch

from hpolib import (ASHA, BOHB, PBT, Float, Hyperband, LearningCurveMatching, MedianStopping, RandomSearch, Space,
                    Study, SuccessiveHalving, TrialState)
from hpolib.problems import Branin
from hpolib.trial import Trial

SPACE = Space({"x": Float(0, 1)})


def by_x(config, budget, report):
    """Loss x at every budget: the ranking is known in advance."""
    for step in range(1, int(budget) + 1):
        report(step, config["x"])
    return config["x"]


def resumable(config, budget, report):
    """Counts the steps it trains; continues from its parent's checkpoint when it has one."""
    start = 0
    if report.restore_dir is not None and (report.restore_dir / "state.json").exists():
        start = json.loads((report.restore_dir / "state.json").read_text())["step"]
    for step in range(start + 1, int(budget) + 1):
        report(step, config["x"] + 1.0 / step)
    (report.checkpoint_dir / "state.json").write_text(json.dumps({"step": int(budget)}))
    return config["x"] + 1.0 / budget


def test_hyperband_brackets_match_the_table_for_r81_eta3():
    table = Hyperband(1, 81, eta=3).table()
    assert [(s, n, b) for s, n, b in table] == [
        (4, [81, 27, 9, 3, 1], [1, 3, 9, 27, 81]),
        (3, [34, 11, 3, 1], [3, 9, 27, 81]),
        (2, [15, 5, 1], [9, 27, 81]),
        (1, [8, 2], [27, 81]),
        (0, [5], [81]),
    ]


INT_BUDGETS = {
    "successive halving": lambda: SuccessiveHalving(1, 9, eta=3),
    "hyperband": lambda: Hyperband(1, 9, eta=3),
    "asha": lambda: ASHA(1, 9, eta=3),
    "median stopping": lambda: MedianStopping(n_startup=2, budget=4),
    "learning-curve matching": lambda: LearningCurveMatching([2], n_trials=12, budget=4),
    "pbt": lambda: PBT(SPACE, population_size=3, ready=2, max_steps=6, seed=0),
}


@pytest.mark.parametrize("scheduler", INT_BUDGETS)
def test_a_scheduler_built_from_ints_hands_out_int_budgets(scheduler):
    budgets = []

    def epochs(config, budget, report):
        budgets.append(budget)
        for epoch in range(1, budget + 1):  # a TypeError for a float budget
            report(epoch, config["x"] / epoch)
        return config["x"] / budget

    trials = Study(SPACE, seed=0, scheduler=INT_BUDGETS[scheduler]()).optimize(epochs, n_trials=12,
                                                                               progress=False).trials
    assert {type(b) for b in budgets} == {int}
    assert all(t.state in (TrialState.COMPLETE, TrialState.STOPPED) for t in trials)


@pytest.mark.parametrize("make", [lambda: SuccessiveHalving(3, 12, eta=3), lambda: Hyperband(3, 12, eta=3),
                                  lambda: ASHA(3, 12, eta=3)])
def test_the_last_rung_trains_to_the_full_budget_where_it_is_no_power_of_eta_above_the_least(make):
    budgets = []

    def epochs(config, budget, report):
        budgets.append(budget)
        return config["x"] / budget

    scheduler = make()
    assert scheduler.budgets == [4, 12]  # counted down from 12: 12 / 3 = 4, at least the least budget, 3
    Study(SPACE, seed=0, scheduler=scheduler).optimize(epochs, n_trials=20, progress=False)
    assert max(budgets) == 12 and min(budgets) == 4


def test_a_scheduler_built_from_floats_hands_out_floats():
    assert SuccessiveHalving(0.5, 4.5, eta=3).budgets == [0.5, 1.5, 4.5]
    assert {type(b) for b in ASHA(1.0, 9, eta=3).budgets} == {float}
    assert type(MedianStopping(budget=4.0).budget) is float and type(PBT(SPACE, ready=2.0).ready) is float


def test_successive_halving_promotes_the_best_of_each_rung_in_order():
    study = Study(SPACE, seed=1, scheduler=SuccessiveHalving(1, 9, eta=3))
    trials = study.optimize(by_x, n_trials=13, progress=False).trials
    rung0, rung1, rung2 = trials[:9], trials[9:12], trials[12:]
    assert all(t.budget == 1 and t.parent is None for t in rung0)
    best3 = sorted(rung0, key=lambda t: t.value)[:3]
    assert [t.parent for t in rung1] == [t.number for t in best3]
    assert [t.config for t in rung1] == [t.config for t in best3]
    assert all(t.budget == 3 for t in rung1)
    assert rung2[0].parent == min(rung1, key=lambda t: t.value).number and rung2[0].budget == 9
    assert study.best.number == rung2[0].number  # the incumbent is at the top rung


def test_asha_promotes_asynchronously_from_the_top_fraction_of_each_rung():
    study = Study(SPACE, seed=2, scheduler=ASHA(1, 27, eta=3))
    trials = study.optimize(by_x, n_trials=40, progress=False).trials
    parents = [t.parent for t in trials if t.parent is not None]
    assert len(parents) == len(set(parents)), "a trial was promoted twice"
    for t in trials:
        if t.parent is None:
            assert t.budget == 1 and t.info["rung"] == 0
            continue
        parent = trials[t.parent]
        assert t.budget == 3 * parent.budget and t.config == parent.config
        # when t started, its parent was in the top third of the ended trials of its rung
        ended = [u for u in trials[:t.number] if u.info["rung"] == parent.info["rung"]]
        ranked = sorted(u.value for u in ended)
        assert parent.value <= ranked[len(ended) // 3 - 1]
    assert max(t.info["rung"] for t in trials) == 3  # reached max_budget 27


def test_promoted_trials_continue_from_their_parents_checkpoint(tmp_path):
    study = Study(SPACE, storage=tmp_path / "s.db", seed=3, scheduler=SuccessiveHalving(1, 9, eta=3))
    trials = study.optimize(resumable, n_trials=13, progress=False).trials
    assert study.checkpoint_dir == tmp_path / "checkpoints" / study.name
    promoted = [t for t in trials if t.parent is not None]
    for t in promoted:
        assert t.steps[0][0] == trials[t.parent].budget + 1  # no step trained twice
        assert t.start_step == trials[t.parent].budget_used and t.cost == t.budget - trials[t.parent].budget
    assert sum(t.cost for t in trials) == 9 * 1 + 3 * 2 + 1 * 6
    df = study.to_dataframe()
    assert {"parent", "cost", "bracket", "rung"} <= set(df.columns)


def test_bohb_is_random_search_until_a_budget_has_enough_points_then_follows_its_model():
    space = Space({"x": Float(0, 1), "y": Float(0, 1)})
    bohb, rand = BOHB(space, seed=4, random_fraction=0.0), RandomSearch(space, seed=4)
    for _ in range(4):  # min_points_in_model + 2 = 5 observations are needed on one budget
        config = bohb.ask()
        assert config == rand.ask()
        bohb.tell(config, (config["x"] - 0.2) ** 2 + (config["y"] - 0.7) ** 2, budget=3)
    assert bohb.model_budget is None
    rng = np.random.default_rng(0)
    for _ in range(30):
        config = {"x": float(rng.random()), "y": float(rng.random())}
        bohb.tell(config, (config["x"] - 0.2) ** 2 + (config["y"] - 0.7) ** 2, budget=9)
    assert bohb.model_budget == 9
    asked = [bohb.ask() for _ in range(40)]
    distance = [math.hypot(c["x"] - 0.2, c["y"] - 0.7) for c in asked]
    assert np.median(distance) < 0.3  # uniform draws: median distance about 0.49; the 4 best points: 0.07-0.27
    assert asked != [rand.ask() for _ in range(40)]


def test_bohb_with_hyperband_is_deterministic_and_ends_at_the_full_budget():
    f = Branin(max_budget=9)

    def run():
        study = Study(f.space, BOHB(f.space, seed=5), scheduler=Hyperband(1, 9, eta=3))
        return study.optimize(f, total_budget=150, progress=False)

    a, b = run(), run()
    assert [(t.config, t.budget, t.parent) for t in a.trials] == [(t.config, t.budget, t.parent) for t in b.trials]
    assert a.best.budget == 9
    assert sum(t.cost for t in a.trials) <= 150 + 9


def _trial(number, state=TrialState.RUNNING):
    return Trial(number, {"x": 0.0}, state=state)


def test_lcm_stops_a_curve_like_the_bad_ones_and_keeps_one_like_the_good_ones():
    lcm = LearningCurveMatching(checkpoints=[3], n_trials=10, split_rate=0.4, n_neighbours=2,
                                early_stopping_rate=0.8)
    good = [1.0, 0.5, 0.3, 0.2, 0.1]
    bad = [1.0, 0.9, 0.85, 0.82, 0.8]
    for number, curve in enumerate([good, bad, [v + 0.01 for v in good], [v + 0.01 for v in bad]]):
        trial = _trial(number)
        lcm.on_launch(trial)
        for step, value in enumerate(curve, 1):
            assert lcm.on_report(trial, step, value)  # nothing is stopped before 4 = 10 * 0.4 curves are stored
        trial.state = TrialState.COMPLETE
        lcm.on_finish(trial, curve[-1])
    like_bad, like_good = _trial(10), _trial(11)
    for trial in (like_bad, like_good):
        lcm.on_launch(trial)
    assert lcm.on_report(like_bad, 1, 1.0) and lcm.on_report(like_bad, 2, 0.88)  # before the checkpoint
    assert not lcm.on_report(like_bad, 3, 0.86)
    assert lcm.on_report(like_good, 1, 1.0) and lcm.on_report(like_good, 2, 0.52)
    assert lcm.on_report(like_good, 3, 0.31)
    stopped, kept = lcm.decisions
    # each neighbour's final shifted by the gap at step 3: bad 0.80 + 0.01 and 0.81 + 0; good 0.10 + 0.01, 0.11 + 0
    assert stopped["stopped"] and stopped["forecast"] == pytest.approx(0.81)
    assert not kept["stopped"] and kept["forecast"] == pytest.approx(0.11)  # within 20 % of the best, 0.10


def test_lcm_on_an_accuracy_stops_forecasts_below_s_times_the_best_accuracy():
    """A maximised metric reaches the scheduler negated: s = 0.95 keeps a forecast of 95 % of the best accuracy."""
    lcm = LearningCurveMatching(checkpoints=[3], n_trials=10, split_rate=0.2, n_neighbours=1,
                                early_stopping_rate=0.95)
    stored = {0: [0.1, 0.5, 0.7, 0.8, 0.9], 1: [0.1, 0.45, 0.6, 0.7, 0.75]}  # accuracies; best final 0.90
    for number, curve in stored.items():
        trial = _trial(number)
        lcm.on_launch(trial)
        for step, accuracy in enumerate(curve, 1):
            lcm.on_report(trial, step, -accuracy)
        trial.state = TrialState.COMPLETE
        lcm.on_finish(trial, -curve[-1])
    verdicts = {}
    for number, at_three in ((2, 0.66), (3, 0.64)):  # nearest stored curve: the best; forecast 0.86 and 0.84
        trial = _trial(number)
        lcm.on_launch(trial)
        verdicts[number] = [lcm.on_report(trial, step, -a) for step, a in enumerate([0.1, 0.5, at_three], 1)][-1]
    assert [d["forecast"] for d in lcm.decisions] == [pytest.approx(-0.86), pytest.approx(-0.84)]
    assert verdicts == {2: True, 3: False}  # 0.86 >= 0.95 * 0.90 = 0.855 goes on; 0.84 is stopped


def test_lcm_in_a_study_stops_trials_and_keeps_the_best():
    def curve(config, budget, report):
        final = config["x"]
        for step in range(1, 11):
            report(step, final + (1 - final) * math.exp(-step / 2))
        return final

    study = Study(SPACE, seed=6, scheduler=LearningCurveMatching([2, 4], n_trials=30, split_rate=0.2))
    study.optimize(curve, n_trials=30, progress=False)
    states = [t.state for t in study.trials]
    assert states[:6] == [TrialState.COMPLETE] * 6  # the split: ceil(30 * 0.2) unstopped curves first
    assert states.count(TrialState.STOPPED) >= 10
    plain = Study(SPACE, seed=6).optimize(curve, n_trials=30, progress=False)
    assert study.best.value == pytest.approx(plain.best.value)  # the same configurations: the best was kept
    assert sum(t.cost for t in study.trials) < 0.7 * sum(t.cost for t in plain.trials)


def test_compare_stopping_counts_what_lcm_saves_on_the_same_configurations():
    from hpolib.analysis.compare import compare_stopping

    def curve(config, budget, report):  # loss decays towards x: the final ranking shows early
        for step in range(1, int(budget) + 1):
            report(step, config["x"] + (1 - config["x"]) * math.exp(-step / 2))
        return config["x"] + (1 - config["x"]) * math.exp(-budget / 2)

    lcm = lambda: LearningCurveMatching([2, 4], n_trials=30, split_rate=0.2, budget=10)  # noqa: E731
    table = compare_stopping(SPACE, curve, lcm, seeds=[0, 1], n_trials=30, trial_budget=10, direction="minimize")
    assert list(table.seed) == [0, 1] and (table.full_epochs == 300).all()
    assert (table.early_stopped >= 10).all() and (table.epochs_share < 0.7).all()
    assert np.allclose(table.early_epochs, table.epochs_share * 300)
    for seed, row in zip([0, 1], table.itertuples()):
        plain = Study(SPACE, RandomSearch(SPACE, seed=seed), direction="minimize")
        plain.optimize(curve, n_trials=30, trial_budget=10, progress=False)
        values = sorted(t.value for t in plain.trials)
        assert row.full_best == pytest.approx(values[0])
        assert any(row.early_best == pytest.approx(v) for v in values)  # the same configurations, some stopped
        assert row.early_best >= row.full_best
        assert row.same_best == (row.early_best == row.full_best)  # one configuration per value here
        within = [t.value for t in plain.trials[:int(row.early_epochs // 10)]]  # every full trial costs 10
        assert row.full_best_at_early_epochs == pytest.approx(min(within))


def test_synchronous_lcm_adds_curves_to_its_store_only_between_rounds():
    lcm = LearningCurveMatching([2], n_trials=10, synchronous=True, batch_size=2)
    sample = iter([{"x": 0.1}, {"x": 0.2}, {"x": 0.3}]).__next__
    first, second = lcm.next(sample), lcm.next(sample)
    for number in (0, 1):
        lcm.on_launch(_trial(number))
    assert first is not None and second is not None
    assert lcm.next(sample) is None  # the round of two is running
    done = _trial(0, TrialState.COMPLETE)
    lcm.on_report(done, 1, 0.5)
    lcm.on_finish(done, 0.5)
    assert lcm.store == [] and lcm.next(sample) is None  # still running: no store update, no launch
    other = _trial(1, TrialState.COMPLETE)
    lcm.on_report(other, 1, 0.7)
    lcm.on_finish(other, 0.7)
    assert lcm.next(sample) is not None and len(lcm.store) == 2


def test_median_stopping_stops_a_trial_worse_than_the_median_running_average():
    rule = MedianStopping(n_startup=3, min_step=2)
    for number, level in enumerate([0.2, 0.4, 0.6]):
        trial = _trial(number)
        for step in (1, 2, 3):
            rule.on_report(trial, step, level)
        trial.state = TrialState.COMPLETE
        rule.on_finish(trial, level)
    worse, better = _trial(3), _trial(4)
    assert rule.on_report(worse, 1, 0.9)  # grace period
    assert not rule.on_report(worse, 2, 0.5)  # best 0.5 > median 0.4
    assert rule.on_report(better, 2, 0.35)


class Linear(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(3, 1)


def regression(config, budget, report):
    """SGD on a fixed linear regression; state in the checkpoint folder; records where it started from."""
    torch.manual_seed(0)
    model = Linear()
    step = 0
    if report.restore_dir is not None:
        state = torch.load(report.restore_dir / "model.pt")
        model.load_state_dict(state["model"])
        step = state["step"]
    torch.save(model.state_dict(), report.checkpoint_dir / "start.pt")
    x = torch.linspace(-1, 1, 60).reshape(20, 3)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
    opt = torch.optim.SGD(model.parameters(), lr=config["lr"])
    loss = None
    while step < budget:
        step += 1
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model.layer(x), y)
        loss.backward()
        opt.step()
        report(step, loss.item())
    torch.save({"model": model.state_dict(), "step": step}, report.checkpoint_dir / "model.pt")
    return loss.item()


def test_pbt_exploit_copies_weights_and_explore_perturbs_within_bounds():
    space = Space({"lr": Float(1e-3, 0.5, log=True)})
    pbt = PBT(space, population_size=4, ready=2, max_steps=8, quantile=0.25, resample_probability=0.0, seed=7)
    study = Study(space, seed=7, scheduler=pbt)
    study.optimize(regression, progress=False)
    trials = study.trials
    assert len(trials) <= 4 * 4 and all(t.state is TrialState.COMPLETE for t in trials)
    copies = [t for t in trials if "copied_from" in t.info]
    assert copies, "no member was ever exploited"
    for t in copies:
        donor = trials[t.parent]
        assert donor.info["member"] == t.info["copied_from"] != t.info["member"]
        start = torch.load(study.checkpoint_dir / f"{t.number:06d}" / "start.pt")
        donor_end = torch.load(study.checkpoint_dir / f"{donor.number:06d}" / "model.pt")["model"]
        assert all(torch.equal(start[k], donor_end[k]) for k in start)
        ratio = t.config["lr"] / donor.config["lr"]
        assert ratio == pytest.approx(0.8) or ratio == pytest.approx(1.2) or t.config["lr"] in (1e-3, 0.5)
        assert 1e-3 <= t.config["lr"] <= 0.5
        assert t.steps[0][0] == donor.budget + 1  # it trains on from the donor's step
    schedule = PBT.schedule(trials)
    assert sorted(schedule.groupby("member")["end"].max()) == [8, 8, 8, 8]


def test_pbt_without_exploit_is_random_search_and_without_explore_copies_unchanged():
    space = Space({"lr": Float(1e-3, 0.5, log=True)})

    def run(**switches):
        pbt = PBT(space, population_size=4, ready=2, max_steps=8, seed=7, **switches)
        return Study(space, seed=7, scheduler=pbt).optimize(regression, progress=False).trials

    alone = run(exploit=False)
    assert not any("copied_from" in t.info for t in alone)  # every member trains its own draw to the end
    firsts = {t.info["member"]: t.config for t in alone if t.parent is None}
    assert len(firsts) == 4 and all(t.config == firsts[t.info["member"]] for t in alone)
    assert firsts == {t.info["member"]: t.config for t in run() if t.parent is None}  # PBT's initial draws
    copied = run(explore=False)
    copies = [t for t in copied if "copied_from" in t.info]
    assert copies and all(t.config == copied[t.parent].config for t in copies)
    with pytest.raises(ValueError, match="exploit must be True or False, got 0"):
        PBT(space, exploit=0)
    with pytest.raises(ValueError, match="explore must be True or False, got 'no'"):
        PBT(space, explore="no")


def test_pbt_is_deterministic_under_a_seed():
    space = Space({"lr": Float(1e-3, 0.5, log=True)})

    def run():
        pbt = PBT(space, population_size=4, ready=2, max_steps=6, seed=8)
        study = Study(space, seed=8, scheduler=pbt).optimize(regression, progress=False)
        return [(t.config, t.parent, t.info, t.value) for t in study.trials]

    assert run() == run()


def test_a_resumed_asha_study_goes_on_as_an_uninterrupted_one(tmp_path):
    whole = Study(SPACE, seed=9, scheduler=ASHA(1, 9, eta=3)).optimize(by_x, n_trials=30,
                                                                                    progress=False)
    path = tmp_path / "asha.db"
    Study(SPACE, name="a", storage=path, seed=9, scheduler=ASHA(1, 9, eta=3)).optimize(by_x, n_trials=17,
                                                                                     progress=False)
    resumed = Study(SPACE, name="a", storage=path, seed=9, scheduler=ASHA(1, 9, eta=3))
    resumed.optimize(by_x, n_trials=30, progress=False)
    assert [(t.config, t.budget, t.parent) for t in resumed.trials] == \
        [(t.config, t.budget, t.parent) for t in whole.trials]


def test_scheduler_arguments_are_checked():
    with pytest.raises(ValueError, match="eta must be a whole number >= 2"):
        ASHA(1, 9, eta=1)
    with pytest.raises(ValueError, match="max_budget must be >= min_budget"):
        SuccessiveHalving(9, 1)
    with pytest.raises(ValueError, match=r"brackets must hold values in \[0, s_max=2\]"):
        Hyperband(1, 9, brackets=[3])
    with pytest.raises(ValueError, match=r"split_rate must be a number in \(0, 1\]"):
        LearningCurveMatching([2], n_trials=10, split_rate=0)
    with pytest.raises(ValueError, match="distance must be one of"):
        LearningCurveMatching([2], n_trials=10, distance="cosine")
    with pytest.raises(ValueError, match=r"quantile must be a number in \(0, 0.5\]"):
        PBT(SPACE, quantile=0.7)
    with pytest.raises(ValueError, match=r"hyperparams \['y'\] are not in the space"):
        PBT(SPACE, hyperparams=["y"])
    with pytest.raises(ValueError, match="trial_budget is set by the scheduler"):
        Study(SPACE, scheduler=ASHA(1, 9)).optimize(by_x, n_trials=2, trial_budget=3)
    with pytest.raises(ValueError, match="scheduler must be a hpolib Scheduler"):
        Study(SPACE, scheduler="asha")


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def slow_by_x(config, budget, report):
    import time

    time.sleep(0.05 * budget)
    return by_x(config, budget, report)


@pytest.mark.slow
def test_asha_and_pbt_run_asynchronously_on_a_dask_cluster(dask_client, tmp_path):
    from hpolib import DaskExecutor

    asha = Study(SPACE, seed=10, scheduler=ASHA(1, 9, eta=3), executor=DaskExecutor(dask_client))
    trials = asha.optimize(slow_by_x, n_trials=16, progress=False).trials
    assert all(t.state is TrialState.COMPLETE for t in trials) and len({t.worker for t in trials}) == 2
    overlapping = sum(a.started < b.finished and b.started < a.finished
                      for i, a in enumerate(trials) for b in trials[i + 1:])
    assert overlapping > 0  # two trials ran at once: nobody waited for a rung to fill
    for t in trials:
        if t.parent is not None:
            assert t.budget == 3 * trials[t.parent].budget and t.steps[-1][0] == t.budget

    space = Space({"lr": Float(1e-3, 0.5, log=True)})
    pbt = PBT(space, population_size=4, ready=2, max_steps=6, seed=11)
    study = Study(space, seed=11, scheduler=pbt, executor=DaskExecutor(dask_client),
                  checkpoint_dir=tmp_path / "ckpt")
    trials = study.optimize(regression, progress=False).trials
    assert all(t.state is TrialState.COMPLETE for t in trials) and len({t.worker for t in trials}) == 2
    assert sorted(PBT.schedule(trials).groupby("member")["end"].max()) == [6, 6, 6, 6]
    assert all((tmp_path / "ckpt" / f"{t.number:06d}" / "model.pt").exists() for t in trials)


def test_pbt_trains_a_real_network_through_checkpoints():
    from hpolib import Int
    from hpolib.dl.objectives import image_classifier

    objective = image_classifier("mlp", "digits", fixed={"batch_size": 64, "width": 32}, max_epochs=4)
    space = Space({"lr": Float(1e-3, 0.5, log=True), "lr_decay": Float(0.5, 1.0),
                   "lr_decay_every": Int(1, 2)})
    pbt = PBT(space, population_size=3, ready=1, max_steps=4, hyperparams=["lr"], seed=12)
    study = Study(space, seed=12, direction="maximize", metric="val_accuracy", scheduler=pbt)
    trials = study.optimize(objective, progress=False).trials
    assert all(t.state is TrialState.COMPLETE for t in trials)
    continued = [t for t in trials if t.parent is not None]
    assert continued and all(t.steps == [(t.budget, t.value)] and t.cost == 1 for t in continued)
    assert study.best.budget == 4 and study.best.value > 0.5
    for t in continued:  # only the explored hyperparameter changes along a member
        parent = trials[t.parent]
        assert (t.config["lr_decay"], t.config["lr_decay_every"]) == (parent.config["lr_decay"],
                                                                      parent.config["lr_decay_every"])
