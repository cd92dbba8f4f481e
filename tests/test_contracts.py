"""Contracts every optimiser and every scheduler keeps, checked alike on each of them.

As Optuna's sampler test suites run one set of checks over every sampler,
these run over every optimiser of :mod:`hpolib.optimizers` and every
scheduler of :mod:`hpolib.schedulers` (a new one must join the lists below):
the same seed gives the same trials, proposals lie in the space as its
Python types, and a study whose driver died mid-trial and was reopened ends
exactly as an uninterrupted one, budget spent included.

A driver's death is simulated deterministically: the objective raises
:class:`Killed` (a ``BaseException``, like ``KeyboardInterrupt``, which the
study does not catch) just after a trial's first report, leaving that trial
``running`` in a SQLite file with a partial curve.
"""

import gc
import itertools
import json
import math

import pytest

from hpolib import (ASHA, BOHB, CMAES, DEHB, PBT, PSO, TPE, Categorical, Float, GeneticAlgorithm, GPOptimizer,
                    GridSearch, Hyperband, InMemoryStorage, Int, LearningCurveMatching, MedianStopping, RandomSearch,
                    Space, SQLiteStorage, Study, SuccessiveHalving, TrialState, optimizers, schedulers)

SPACE = Space({"lr": Float(1e-4, 1e-1, log=True), "x": Float(-1.0, 1.0), "width": Int(4, 64, log=True),
               "act": Categorical(["relu", "tanh", "gelu"])})

OPTIMIZERS = {
    "grid": lambda seed: GridSearch(SPACE, resolution=3, shuffle=True, seed=seed),
    "random": lambda seed: RandomSearch(SPACE, seed=seed),
    "pso": lambda seed: PSO(SPACE, n_particles=4, seed=seed),
    "ga": lambda seed: GeneticAlgorithm(SPACE, population_size=4, seed=seed),
    "tpe": lambda seed: TPE(SPACE, n_startup=4, seed=seed),
    "gp": lambda seed: GPOptimizer(SPACE, n_startup=4, n_candidates=100, n_polish=1, seed=seed),
    "bohb": lambda seed: BOHB(SPACE, min_points_in_model=2, seed=seed),
    "cmaes": lambda seed: CMAES(SPACE, population_size=4, seed=seed),
    "cmaes with margin": lambda seed: CMAES(SPACE, population_size=4, with_margin=True, seed=seed),
}

OPTIMIZER_NAMES = [pytest.param(name, marks=pytest.mark.slow) if name == "gp" else name for name in OPTIMIZERS]

SCHEDULERS = {
    "successive halving": lambda: SuccessiveHalving(1, 9, eta=3),
    "hyperband": lambda: Hyperband(1, 9, eta=3),
    "asha": lambda: ASHA(1, 9, eta=3),
    "median stopping": lambda: MedianStopping(n_startup=3, budget=4),
    "learning-curve matching": lambda: LearningCurveMatching([2, 3], n_trials=12, budget=4),
    "pbt": lambda: PBT(SPACE, population_size=4, ready=3, max_steps=18, seed=0),
    "dehb": lambda: DEHB(SPACE, 1, 9, eta=3, seed=0),
}

WARM_START = [{"lr": 0.01, "x": 0.5, "width": 16, "act": "tanh"},
              {"lr": 0.001, "x": -0.5, "width": 8, "act": "relu"},
              {"lr": 0.01, "x": 0.5, "width": 16, "act": "tanh"}]  # enqueued twice on purpose


class Killed(BaseException):
    """The driver dying in the middle of a trial."""


def loss(config) -> float:
    """A cheap loss over the whole space, best at lr 3e-3, x 0, width 20, gelu."""
    return ((math.log10(config["lr"]) + 2.5) ** 2 + config["x"] ** 2 + abs(math.log2(config["width"] / 20))
            + {"relu": 0.3, "tanh": 0.6, "gelu": 0.0}[config["act"]])


def objective(kill_at: int | None = None):
    """An objective that trains ``budget`` steps (1 when ``None``), reporting a falling curve each step and
    continuing from its parent's checkpoint when it has one; it raises :class:`Killed` right after the first
    report of its ``kill_at``-th call (counted from 0)."""
    calls = itertools.count()

    def train(config, budget, report):
        dying = next(calls) == kill_at
        start = 0
        if report.restore_dir is not None:
            start = json.loads((report.restore_dir / "state.json").read_text())["step"]
        steps = 1 if budget is None else budget  # an int: a float budget fails the trial
        for step in range(start + 1, steps + 1):
            try:
                report(step, loss(config) + 1.0 / step)
            finally:
                if dying:
                    raise Killed  # even where the report stopped the trial
        if report.checkpoint_dir is not None:
            (report.checkpoint_dir / "state.json").write_text(json.dumps({"step": steps}))
        return loss(config) + 1.0 / steps

    return train


def script(optimizer: str, storage, kill_at=None, *, scheduler=None, **stop) -> Study:
    """What a user's script does: open the study (seed 0), enqueue the warm start, optimise."""
    study = Study(SPACE, OPTIMIZERS[optimizer](0), name="contract", storage=storage,
                  scheduler=None if scheduler is None else SCHEDULERS[scheduler]())
    for config in WARM_START:
        study.enqueue(config)
    return study.optimize(objective(kill_at), progress=False, **stop)


def killed_then_resumed(tmp_path, optimizer: str, kill_at: int, **kwargs) -> Study:
    """Run the script until it dies during trial ``kill_at``, check that trial was left running, run it again."""
    db = tmp_path / "study.db"
    with pytest.raises(Killed):
        script(optimizer, db, kill_at, **kwargs)
    gc.collect()  # the dead driver's study and storage go, as with its process
    assert SQLiteStorage(db).trials("contract")[kill_at].state is TrialState.RUNNING
    with pytest.warns(UserWarning, match=f"trial {kill_at} .* running it again"):
        return script(optimizer, db, **kwargs)


def record(study: Study) -> list[tuple]:
    """Everything that must match between two runs of a study, trial by trial."""
    return [(t.number, t.config, t.state, t.budget, t.parent, t.info, t.value, t.cost) for t in study.trials]


def plain(obj):
    """``obj`` as nested dicts and lists of its attributes: two objects' whole states, comparable."""
    if isinstance(obj, dict):
        return {key: plain(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(value) for value in obj]
    if hasattr(obj, "__dict__"):
        return {"class": type(obj).__name__, **plain(vars(obj))}
    return obj


def test_every_optimizer_and_scheduler_is_checked():
    checked = {type(make(0)) for make in OPTIMIZERS.values()} | {type(make()) for make in SCHEDULERS.values()}
    exported = {getattr(module, name) for module in (optimizers, schedulers) for name in module.__all__}
    assert exported - checked == {optimizers.Optimizer, optimizers.SpaceExhausted, schedulers.Scheduler,
                                  schedulers.Launch}


# ------------------------------------------------------------------ optimisers

@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
def test_same_seed_same_trials(optimizer):
    runs = [Study(SPACE, OPTIMIZERS[optimizer](seed)).optimize(objective(), n_trials=10,
                                                                             progress=False)
            for seed in (3, 3, 4)]
    first, again, other = ([(t.config, t.value) for t in study.trials] for study in runs)
    assert first == again
    assert first != other


@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
def test_proposals_lie_in_the_space_as_its_python_types(optimizer):
    opt = OPTIMIZERS[optimizer](1)
    for _ in range(12):
        config = opt.ask()
        assert list(config) == list(SPACE)
        for name, param in SPACE.items():
            value = config[name]
            if isinstance(param, Categorical):
                assert value in param.choices
            else:
                assert type(value) is (int if isinstance(param, Int) else float)
                assert param.low <= value <= param.high
        opt.tell(config, loss(config))


@pytest.mark.parametrize("kill_at", [1, 8], ids=["killed in the warm start", "killed after it"])
@pytest.mark.parametrize("optimizer", OPTIMIZER_NAMES)
def test_a_killed_study_resumes_to_the_uninterrupted_trials(tmp_path, optimizer, kill_at):
    straight = script(optimizer, None, n_trials=12)
    resumed = killed_then_resumed(tmp_path, optimizer, kill_at, n_trials=12)
    assert record(resumed) == record(straight)


def test_enqueue_skips_what_the_stored_study_evaluated_from_its_queue():
    a, b = WARM_START[:2]
    storage = InMemoryStorage()
    first = Study(SPACE, name="warm", storage=storage, seed=0)
    for config in (a, a, b):
        first.enqueue(config)
    first.optimize(objective(), n_trials=2, progress=False)  # a, a evaluated; b still waits
    again = Study(SPACE, name="warm", storage=storage, seed=0)
    for config in (a, b, a, a):  # the 1st and 2nd a are stored already, b and the 3rd a are not
        again.enqueue(config)
    trials = again.optimize(objective(), n_trials=5, progress=False).trials
    assert [(t.config, t.source) for t in trials] == [(a, "queue"), (a, "queue"), (b, "queue"), (a, "queue"),
                                                      (trials[4].config, "optimizer")]
    again.enqueue(b)  # in the same session: a second b, evaluated again
    assert again.optimize(objective(), n_trials=6, progress=False).trials[5].config == b


# ------------------------------------------------------------------ schedulers

@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_same_seed_same_trials_with_a_scheduler(scheduler):
    first, again = (script("random", None, scheduler=scheduler, n_trials=20) for _ in range(2))
    assert record(first) == record(again)
    assert len({t.budget for t in first.trials}) > 1 or any(t.state is TrialState.STOPPED for t in first.trials)


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_total_budget_is_spent_to_the_last_trial(scheduler):
    """Serially, a trial starts while the cost of those before it is under ``total_budget``, and no more start
    once it is reached."""
    costs = [t.cost for t in script("bohb", None, scheduler=scheduler, total_budget=45).trials]
    assert sum(costs[:-1]) < 45 <= sum(costs)


@pytest.mark.parametrize("kill_at", [4, 10], ids=["killed at trial 4", "killed at trial 10"])
@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_a_killed_total_budget_study_resumes_to_the_uninterrupted_trials_and_spending(tmp_path, scheduler, kill_at):
    straight = script("bohb", None, scheduler=scheduler, total_budget=45)
    resumed = killed_then_resumed(tmp_path, "bohb", kill_at, scheduler=scheduler, total_budget=45)
    assert record(resumed) == record(straight)
    assert sum(t.cost for t in resumed.trials) == sum(t.cost for t in straight.trials)
    assert plain(resumed.scheduler) == plain(straight.scheduler)  # no partial curve of the killed trial left


def test_pso_resumes_exactly_under_a_scheduler_that_promotes(tmp_path):
    """Promotions and enqueued configurations reach the swarm as outcomes it never asked for."""
    straight = script("pso", None, scheduler="successive halving", n_trials=20)
    resumed = killed_then_resumed(tmp_path, "pso", 14, scheduler="successive halving", n_trials=20)
    assert record(resumed) == record(straight)
