import copy
import math
import sqlite3

import numpy as np
import pytest

from hpolib import (BOHB, PBT, TPE, Categorical, Float, GridSearch, Hyperband, Int, MedianStopping, RandomSearch,
                    Reporter, Space, SQLiteStorage, Study, TrialState, TrialStopped)
from hpolib.executors import Job
from hpolib.problems import Branin

SPACE = Space({"x": Float(-2.0, 2.0), "n": Int(1, 5), "mode": Categorical(["a", "b"])})


def quadratic(config, budget, report):
    for step in range(1, 4):
        report(step, (config["x"] - 1) ** 2 + 1 / step)
    return (config["x"] - 1) ** 2 + config["n"] / 10


def run(n_trials=20, objective=quadratic, **kwargs):
    kwargs.setdefault("seed", 0)
    return Study(SPACE, **kwargs).optimize(objective, n_trials=n_trials, progress=False)


def test_study_records_every_trial_and_finds_the_best():
    study = run(40)
    assert len(study.trials) == 40 and all(t.state is TrialState.COMPLETE for t in study.trials)
    best = study.best
    assert best.value == min(t.value for t in study.trials)
    assert abs(best.config["x"] - 1) < 0.5
    trial = study.trials[3]
    assert [s for s, _ in trial.steps] == [1.0, 2.0, 3.0]
    assert trial.budget_used == 3.0 and trial.worker == "serial" and trial.duration >= 0
    frame = study.to_dataframe()
    assert list(frame.columns[:10]) == ["number", "state", "value", "budget", "budget_used", "cost", "duration",
                                        "worker", "error", "parent"]
    assert {"x", "n", "mode"} <= set(frame.columns) and len(frame) == 40


def test_trials_and_best_are_copies_and_best_params_and_value_name_the_best():
    study = run(10)
    best = study.best
    assert study.best_params == best.config and study.best_value == best.value
    study.trials[best.number].config["x"] = 99.0
    best.steps.clear()
    best.value = -1.0
    assert study.best == study.trials[best.number] and study.best.config["x"] != 99.0 and study.best.steps
    assert study.best_value == min(t.value for t in study.trials) != -1.0


def test_callbacks_see_each_ended_trial_and_one_that_raises_stops_the_study():
    seen = []

    def stop_after_three(study, trial):
        if len(seen) == 3:
            raise KeyboardInterrupt

    study = Study(SPACE, seed=0)
    with pytest.raises(KeyboardInterrupt):
        study.optimize(quadratic, n_trials=10, progress=False,
                       callbacks=[lambda s, t: seen.append((s is study, t.number, t.state)), stop_after_three])
    assert seen == [(True, n, TrialState.COMPLETE) for n in range(3)] and len(study.trials) == 3
    with pytest.raises(ValueError, match="callbacks must be callables callback"):
        study.optimize(quadratic, n_trials=10, callbacks=["print"])


def test_user_attrs_are_stored_and_survive_resume(tmp_path):
    def noting(config, budget, report):
        report.user_attrs["layers"] = (config["n"], 8)
        if config["mode"] == "b":
            report.user_attrs["model"] = object()
        return config["x"]

    study = Study(SPACE, name="notes", storage=tmp_path / "s.db", seed=0).optimize(noting, n_trials=8, progress=False)
    study.close()
    again = Study(SPACE, name="notes", storage=tmp_path / "s.db")
    assert [t.user_attrs for t in again.trials] == [t.user_attrs for t in study.trials]
    assert {t.config["mode"] for t in again.trials} == {"a", "b"}
    for t in again.trials:
        if t.config["mode"] == "a":
            assert t.state is TrialState.COMPLETE and t.user_attrs == {"layers": [t.config["n"], 8]}
        else:  # a value that is not JSON fails the trial, and none is stored
            assert t.state is TrialState.FAILED and "report.user_attrs['model'] must be JSON" in t.error
            assert t.user_attrs == {}
    assert "user_attrs_layers" in again.to_dataframe().columns


def by_budget(config, budget, report=None):
    return (config["x"] - 1) ** 2 + config["n"] / (budget or 3)


def ask_and_tell(study, n_trials):
    for _ in range(n_trials):
        trial = study.ask()
        study.tell(trial, by_budget(trial.config, trial.budget))
    return study


@pytest.mark.parametrize("scheduler", [None, Hyperband(1, 9)], ids=["alone", "hyperband"])
def test_ask_and_tell_make_the_trials_of_optimize(scheduler):
    def make():
        return Study(SPACE, BOHB(SPACE, seed=0), scheduler=copy.deepcopy(scheduler))

    told, optimized = ask_and_tell(make(), 20), make().optimize(by_budget, n_trials=20, progress=False)
    record = lambda s: [(t.config, t.budget, t.parent, t.state, t.value) for t in s.trials]  # noqa: E731
    assert record(told) == record(optimized) and told.best.number == optimized.best.number
    assert len({t.budget for t in told.trials}) == (3 if scheduler else 1)


def test_a_trial_asked_and_never_told_runs_again_on_resume(tmp_path):
    db = tmp_path / "s.db"
    first = ask_and_tell(Study(SPACE, name="by hand", storage=db, seed=0), 3)
    forgotten = first.ask()
    forgotten.user_attrs["note"] = "never told"
    first.close()
    again = Study(SPACE, name="by hand", storage=db, seed=0)
    assert [t.state for t in again.trials] == [TrialState.COMPLETE] * 3 + [TrialState.RUNNING]
    with pytest.warns(UserWarning, match="trial 3 of study 'by hand' was running when its driver stopped"):
        trial = again.ask()
    assert (trial.number, trial.config) == (3, forgotten.config)
    trial.user_attrs["note"] = "told"
    again.tell(trial, by_budget(trial.config, trial.budget))
    ask_and_tell(again, 4)
    assert SQLiteStorage(db).trials("by hand") == again.trials and again.trials[3].user_attrs == {"note": "told"}
    straight = ask_and_tell(Study(SPACE, seed=0), 8)
    assert [(t.config, t.value) for t in again.trials] == [(t.config, t.value) for t in straight.trials]


def test_tell_refuses_what_was_not_asked_or_is_told_twice_and_ask_names_a_waiting_scheduler():
    study = Study(SPACE, seed=0)
    trial = study.ask()
    for wrong, message in [(dict(value=None), "its value, or error=..."),
                           (dict(value=1.0, error="oom"), "not both or neither")]:
        with pytest.raises(ValueError, match=message):
            study.tell(trial, **wrong)
    failed = study.tell(trial.number, error="CUDA out of memory")
    assert failed.state is TrialState.FAILED and failed.error == "CUDA out of memory"
    with pytest.raises(ValueError, match="trial 0 is not an asked trial of study .* that awaits its result"):
        study.tell(trial, 1.0)
    assert study.tell(study.ask(), "a string").error.endswith("'a string' (str), not a number")
    assert study.ask(budget=2).budget == 2
    with pytest.raises(ValueError, match="budget must be a positive number, got 0"):
        study.ask(budget=0)
    population = Study(SPACE, seed=0, scheduler=PBT(SPACE, population_size=2, ready=1, max_steps=2, seed=0))
    members = [population.ask() for _ in range(2)]
    with pytest.raises(RuntimeError, match=r"PBT\(.*\) has no trial to start until trials \[0, 1\] are told"):
        population.ask()
    with pytest.raises(ValueError, match="budget is set by the scheduler"):
        population.ask(budget=3)
    for member in members:
        population.tell(member, by_budget(member.config, member.budget))
    assert population.ask().parent in (0, 1)


def test_same_seed_same_trials():
    values = lambda s: [(t.config, t.value) for t in s.trials]  # noqa: E731
    assert values(run(15, seed=4)) == values(run(15, seed=4))
    assert values(run(15, seed=4)) != values(run(15, seed=5))


def test_maximize_and_dict_results():
    def objective(config, budget, report):
        return {"accuracy": 1 - abs(config["x"]), "loss": abs(config["x"]), "tag": "ok"}

    study = run(30, objective, direction="maximize", metric="accuracy")
    assert study.best.value == max(t.value for t in study.trials)
    assert study.best.metrics["loss"] == pytest.approx(1 - study.best.value)
    assert study.best.metrics["tag"] == "ok"
    assert "metric_loss" in study.to_dataframe().columns


@pytest.mark.parametrize(
    "result, error",
    [
        (float("nan"), "non-finite value"),
        (math.inf, "non-finite value"),
        ("bad", "not a number"),
        ({"other": 1.0}, "without the metric 'value'"),
        (True, "returned True (bool), not a number"),
        (np.True_, "returned np.True_ (bool), not a number"),
        ("0.5", "returned '0.5' (str), not a number"),
        ({"value": False}, "the objective's 'value' was False (bool), not a number"),
    ],
)
def test_bad_results_fail_the_trial_not_the_study(result, error):
    def objective(config, budget, report):
        return result if config["n"] == 3 else 0.0

    study = run(30, objective)
    failed = [t for t in study.trials if t.state is TrialState.FAILED]
    assert failed and all(t.config["n"] == 3 for t in failed)
    assert all(error in t.error for t in failed)
    assert len(study.trials) == 30 and study.best.value == 0.0


def test_numpy_and_tensor_numbers_are_results_and_reports():
    import torch

    numbers = [np.float32(0.25), np.int64(2), torch.tensor(0.5), 3]

    def objective(config, budget, report):
        report(np.int64(1), numbers[config["n"] % 4])
        return {"value": numbers[config["n"] % 4]}

    study = run(10, objective)
    assert all(t.state is TrialState.COMPLETE and t.value == t.steps[0][1] for t in study.trials)
    assert {t.value for t in study.trials} <= {0.25, 2.0, 0.5, 3.0}


@pytest.mark.parametrize("step, value", [(1, True), (1, "0.5"), (True, 0.5)])
def test_reports_that_are_not_numbers_fail_the_trial(step, value):
    def objective(config, budget, report):
        report(step, value)
        return 0.0

    study = run(3, objective)
    assert all(t.state is TrialState.FAILED and "report(step, value) needs two numbers" in t.error
               for t in study.trials)


def test_an_objective_that_asks_should_stop_ends_as_one_that_lets_report_raise():
    def raising(config, budget, report):
        for step in range(1, 6):
            report(step, config["x"] + 1 / step)
        return config["x"]

    def asking(config, budget, report):
        for step in range(1, 6):
            report.send(step, config["x"] + 1 / step)
            if report.should_stop():
                return "ignored"  # the trial is stopped at its last report
        return config["x"]

    first, second = (run(15, objective, scheduler=MedianStopping(n_startup=3)) for objective in (raising, asking))
    assert [(t.state, t.value, t.steps) for t in first.trials] == [(t.state, t.value, t.steps) for t in second.trials]
    assert TrialState.STOPPED in {t.state for t in first.trials}


def test_a_stopped_trial_takes_no_more_reports():
    report = Reporter(lambda step, value: step < 2, Job(7, {}))
    report.send(1, 0.5)
    assert not report.should_stop()
    report.send(2, 0.4)
    assert report.should_stop()
    with pytest.raises(TrialStopped, match="trial 7 was stopped at step 2: it takes no more reports"):
        report.send(3, 0.3)


def test_the_optimizer_must_be_an_instance_and_seeded_itself():
    for given in (TPE, "tpe"):
        with pytest.raises(TypeError, match=r"optimizer must be an Optimizer instance, e.g. TPE\(space, seed=0\)"):
            Study(SPACE, given)
    with pytest.raises(ValueError, match=r"seed=3 only seeds the default optimizer; seed TPE itself"):
        Study(SPACE, TPE(SPACE, seed=0), seed=3)


def test_exceptions_and_diverging_reports_fail_the_trial():
    def objective(config, budget, report):
        if config["mode"] == "a":
            raise RuntimeError("out of memory, say")
        report(1, 1.0)
        report(2, float("nan") if config["n"] > 3 else 0.5)
        report(3, 0.25)
        return 0.25

    study = run(30, objective)
    for t in study.trials:
        if t.config["mode"] == "a":
            assert t.state is TrialState.FAILED and "RuntimeError: out of memory, say" in t.error
        elif t.config["n"] > 3:
            assert t.state is TrialState.FAILED and "non-finite value (nan) at step 2" in t.error
            assert len(t.steps) == 2  # stopped at the diverging step
        else:
            assert t.state is TrialState.COMPLETE
    assert len(study.trials) == 30


def test_stop_on_total_budget_and_timeout():
    study = Study(SPACE, seed=0).optimize(quadratic, total_budget=30, progress=False)
    assert len(study.trials) == 10 and sum(t.budget_used for t in study.trials) == 30
    study = Study(SPACE, seed=0).optimize(lambda c, b, r: c["x"], total_budget=7, trial_budget=2,
                                                        progress=False)
    assert [t.budget for t in study.trials] == [2] * 4 and study.trials[0].budget_used == 2

    def past_the_timeout(config, budget, report):
        __import__("time").sleep(0.3)
        return 0.0

    slow = Study(SPACE, seed=0).optimize(past_the_timeout, timeout=0.2, progress=False)
    assert [t.state for t in slow.trials] == [TrialState.COMPLETE]  # started in time and let finish; no other


def test_grid_search_stops_when_exhausted_and_enqueue_goes_first():
    space = Space({"a": Int(1, 3), "b": Categorical(["x", "y"])})
    study = Study(space, GridSearch(space))
    study.enqueue({"a": 2, "b": "y"})
    study.optimize(lambda c, b, r: c["a"], progress=False)
    assert len(study.trials) == 7
    assert study.trials[0].config == {"a": 2, "b": "y"} and study.trials[0].source == "queue"
    assert [t.config for t in study.trials[1:]] == list(space.grid())


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="direction"):
        Study(SPACE, direction="up")
    with pytest.raises(ValueError, match="another search space"):
        Study(SPACE, RandomSearch(Space({"y": Float(0, 1)})))
    study = Study(SPACE)
    with pytest.raises(ValueError, match="n_trials must be a positive number"):
        study.optimize(quadratic, n_trials=0)
    with pytest.raises(ValueError, match="give n_trials, total_budget or timeout"):
        study.optimize(quadratic)
    with pytest.raises(ValueError, match="objective must be callable"):
        study.optimize(42, n_trials=3)
    with pytest.raises(ValueError, match=r"objective must take \(config, budget, report\).*takes \(config\)"):
        study.optimize(lambda config: config["x"], n_trials=3)  # refused before any trial
    assert not study.trials
    with pytest.raises(ValueError, match="no complete trial"):
        _ = study.best
    with pytest.raises(ValueError, match="'n' must be an integer"):
        study.enqueue({"x": 0.0, "n": 9, "mode": "a"})


def test_sqlite_writes_every_event_as_it_happens(tmp_path):
    path = tmp_path / "runs" / "s.db"
    seen = []

    def objective(config, budget, report):
        report(1, 0.5)
        with sqlite3.connect(path) as db:  # a second reader sees the report and the running trial already
            seen.append(db.execute("SELECT COUNT(*) FROM reports").fetchone()[0])
            seen.append(db.execute("SELECT state FROM trials ORDER BY number DESC").fetchone()[0])
        return config["x"]

    Study(SPACE, name="events", storage=path, seed=0).optimize(objective, n_trials=2, progress=False)
    assert seen == [1, "running", 2, "running"]
    stored = SQLiteStorage(path).trials("events")
    assert [t.state for t in stored] == [TrialState.COMPLETE] * 2 and stored[1].steps == [(1.0, 0.5)]


def test_reopening_a_study_resumes_it(tmp_path):
    path = tmp_path / "r.db"
    first = Study(SPACE, name="r", storage=path, seed=1).optimize(quadratic, n_trials=8, progress=False)
    again = Study(SPACE, name="r", storage=path, seed=1)
    assert [t.config for t in again.trials] == [t.config for t in first.trials]
    again.optimize(quadratic, n_trials=20, progress=False)
    straight = run(20, seed=1)
    assert [t.config for t in again.trials] == [t.config for t in straight.trials]
    with pytest.raises(ValueError, match="direction minimize, not maximize"):
        Study(SPACE, name="r", storage=path, direction="maximize")
    with pytest.raises(ValueError, match="search space"):
        Study(Space({"x": Float(0, 1)}), name="r", storage=path)


def test_a_study_is_kept_in_memory_unless_given_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    study = Study(Branin().space, name="b", seed=0).optimize(Branin(), n_trials=3, progress=False)
    assert list(tmp_path.iterdir()) == [] and len(study.trials) == 3
    assert Study(Branin().space, name="b", seed=0).trials == []  # nothing to resume
    Study(Branin().space, name="b", storage="runs/b.db", seed=0).optimize(Branin(), n_trials=3, progress=False)
    assert len(Study(Branin().space, name="b", storage="runs/b.db").trials) == 3


def test_progress_bar_shows_best_so_far(capsys):
    Study(SPACE, seed=0).optimize(quadratic, n_trials=5, progress=True)
    err = capsys.readouterr().err
    assert "5/5" in err and "best=" in err and "failed=0" in err


def test_max_budget_is_the_deprecated_name_of_total_budget():
    with pytest.warns(DeprecationWarning, match="renamed total_budget"):
        old = Study(SPACE, seed=0).optimize(quadratic, max_budget=30, progress=False)
    new = Study(SPACE, seed=0).optimize(quadratic, total_budget=30, progress=False)
    assert [t.config for t in old.trials] == [t.config for t in new.trials]
    with pytest.raises(ValueError, match="give total_budget only"):
        Study(SPACE, seed=0).optimize(quadratic, max_budget=3, total_budget=3)
