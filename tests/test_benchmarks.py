import numpy as np
import pytest

from hpolib import Categorical, Float, Int
from hpolib.problems import FUNCTIONS, Branin, DigitsMLP, Hartmann3, QuadraticBowl, Rosenbrock


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_known_optimum_is_reached_and_not_beaten(name):
    f = FUNCTIONS[name]()
    assert f(f.optimum_config) == pytest.approx(f.optimum, abs=1e-4)
    rng = np.random.default_rng(0)
    values = [f(f.space.sample(rng)) for _ in range(2000)]
    assert min(values) >= f.optimum - 1e-9


def test_branin_has_its_three_minima():
    f = Branin()
    for x0, x1 in [(-np.pi, 12.275), (np.pi, 2.275), (9.42478, 2.475)]:
        assert f({"x0": x0, "x1": x1}) == pytest.approx(0.397887, abs=1e-5)


def test_fidelity_error_shrinks_to_zero_and_is_repeatable():
    f = Hartmann3(max_budget=27, bias=0.2, noise=0.1, seed=1)
    rng = np.random.default_rng(2)
    configs = [f.space.sample(rng) for _ in range(300)]
    exact = np.array([f.evaluate(np.array(list(c.values()))) for c in configs])
    error = {b: np.mean(np.abs([f(c, b) for c in configs] - exact)) for b in (1, 9, 27)}
    assert error[1] > error[9] > error[27] == 0
    assert f(configs[0], 3) == f(configs[0], 3)
    assert f(configs[0], 3) != Hartmann3(max_budget=27, bias=0.2, noise=0.1, seed=2)(configs[0], 3)


def test_report_gives_the_learning_curve():
    f = Rosenbrock(dim=2, max_budget=5)
    curve = []
    value = f({"x0": 0.0, "x1": 0.0}, 5, lambda step, v: curve.append((step, v)))
    assert [s for s, _ in curve] == [1, 2, 3, 4, 5] and curve[-1][1] == value == 1.0
    with pytest.raises(ValueError, match=r"budget must be in \(0, 5\]"):
        f({"x0": 0.0, "x1": 0.0}, 6)
    with pytest.raises(ValueError, match="dim"):
        Rosenbrock(dim=0)


def test_digits_mlp_trains_for_real():
    f = DigitsMLP(max_budget=5)
    config = {"learning_rate_init": 1e-2, "hidden": 64, "alpha": 1e-4, "activation": "relu", "batch_size": 32}
    curve = []
    error = f(config, 5, lambda step, v: curve.append(v))
    assert len(curve) == 5 and curve[-1] == error < 0.1 < curve[0] + 0.5
    assert error == DigitsMLP(max_budget=5)(config, 5)  # seeded
    f.space.validate(config)


def test_the_widened_problems_have_their_stated_optima_off_the_centre():
    from hpolib.problems import IntegerBowl, MixedBranches, ShiftedBowl

    for f in (ShiftedBowl(dim=5), IntegerBowl(dim=6), MixedBranches()):
        assert f(f.optimum_config) == pytest.approx(f.optimum, abs=1e-12)
        rng = np.random.default_rng(0)
        assert all(f(f.space.sample(rng)) > f.optimum for _ in range(50))
        centre = {n: p.from_unit(0.5) for n, p in f.space.items()}
        assert f(centre) > f.optimum + 0.1  # the middle of the box is not the answer
    bowl = ShiftedBowl(dim=4)
    assert not any(abs(c) in (0.0, 5.0) for c in bowl.optimum_config.values())
    branches = MixedBranches()
    best_elsewhere = min(branches({**branches.optimum_config, "shape": s}) for s in ("ridge", "ackley"))
    assert best_elsewhere >= 0.5  # the other branches cannot reach the optimum


def test_quadratic_bowl_is_zero_at_its_target_alone_and_charges_an_integer_by_its_step():
    f = QuadraticBowl({"k": Int(0, 99), "x": Float(-1.0, 1.0), "act": Categorical(["relu", "tanh", "elu"])},
                      {"k": 99, "x": 0.25, "act": "tanh"}, rotation_seed=0)
    assert f(f.optimum_config) == pytest.approx(f.optimum, abs=1e-12)
    rng = np.random.default_rng(0)
    assert all(f(f.space.sample(rng)) > f.optimum for _ in range(200))  # the rotated bowl has no other zero
    assert f({**f.optimum_config, "act": "elu"}) == pytest.approx(1.0)  # one choice away along the list
    separable = QuadraticBowl({"k": Int(0, 99), "j": Int(0, 9)}, {"k": 10, "j": 9})
    assert separable({"k": 11, "j": 9}) == pytest.approx(100 * 1 / 100**2)  # a step of a 100-value integer
    assert separable({"k": 10, "j": 8}) == pytest.approx(100 * 10 / 10**2)  # of a 10-value one, weight 10


def test_the_boosting_task_is_a_deterministic_cross_validated_error():
    from hpolib.problems import CancerBoosting

    f = CancerBoosting(seed=0)
    config = {"learning_rate": 0.1, "max_iter": 50, "max_leaf_nodes": 15, "min_samples_leaf": 10,
              "l2_regularization": 1e-3}
    error = f(config)
    assert 0 < error < 0.1 and f(config) == error
    assert f({**config, "learning_rate": 1e-3, "max_iter": 10}) > error  # barely trained: worse


def _script(name):
    """A benchmark script of ``benchmarks/`` as a module (its ``main`` not run)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"benchmark_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmarks_label_a_comparison_with_the_one_call_of_hpolib_analysis_stats():
    import pandas as pd

    optimizers = _script("optimizers")
    final = {"hpolib-random": [2.0 + k for k in range(6)], "optuna-random": [1.0 + k for k in range(6)],
             "hpolib-tpe": [1.0] * 6, "optuna-tpe": [1.0] * 6,
             "hpolib-gp": [1.0, 3.0, 1.0, 3.0, 1.0, 3.0], "skopt-gp": [2.0] * 6}
    runs = pd.DataFrame([{"method": m, "problem": "branin", "seed": k, "regret": [9.0, value]}
                         for m, values in final.items() for k, value in enumerate(values)])
    verdicts = optimizers.compare(runs).set_index(["hpolib", "peer"])
    assert verdicts.loc[("hpolib-random", "optuna-random"), "verdict"] == "clearly worse"  # 6 of 6, p = 0.016
    tied = verdicts.loc[("hpolib-tpe", "optuna-tpe")]
    assert tied.verdict == "no worse" and tied.p_hpolib_worse == 1.0  # every seed tied
    assert verdicts.loc[("hpolib-gp", "skopt-gp"), "verdict"] == "no worse"  # equal medians, p = 0.5
    schedulers = _script("schedulers")
    costs = [schedulers.BUDGET / 8, schedulers.BUDGET]
    runs = pd.DataFrame([{"method": m, "problem": p, "seed": k, "cost": costs, "regret": [5.0, r + k]}
                         for p in schedulers.PROBLEMS for k in range(6)
                         for m, r in (("hpolib-bohb", 2.0), ("dehb", 1.0))])
    verdicts = schedulers.compare(runs, peers=("dehb",))
    assert set(verdicts.verdict[verdicts.budget == "100%"]) == {"clearly worse"}
    assert set(verdicts.verdict[verdicts.budget == "25%"]) == {"no worse"}  # both at their first incumbent, 5.0
