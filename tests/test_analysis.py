"""fANOVA importance: exact decompositions of known functions, and agreement with Optuna's evaluator."""

import numpy as np
import pandas as pd
import pytest

from hpolib import Categorical, Float, Int, Space
from hpolib.analysis import fanova


def sample(space, n, seed=0):
    rng = np.random.default_rng(seed)
    return [space.sample(rng) for _ in range(n)]


def test_an_additive_function_splits_its_variance_16_to_4():
    space = Space({"x1": Float(0, 1), "x2": Float(0, 1), "unused": Float(0, 1)})
    configs = sample(space, 400)
    rng = np.random.default_rng(1)
    values = [4 * c["x1"] + 2 * c["x2"] + 0.05 * rng.normal() for c in configs]
    imp = fanova(space, configs, values, seed=0).importance(pairs=True)
    # Var(4 x1) = 16/12 and Var(2 x2) = 4/12 of a total 20/12
    assert imp.loc["x1", "mean"] == pytest.approx(0.8, abs=0.04)
    assert imp.loc["x2", "mean"] == pytest.approx(0.2, abs=0.04)
    assert imp.loc["unused", "mean"] < 0.01 and abs(imp.loc["x1 x x2", "mean"]) < 0.03
    assert list(imp.index[:2]) == ["x1", "x2"] and (imp["std"] >= 0).all()


def test_an_interaction_term_is_given_to_the_pair():
    space = Space({"a": Float(0, 1), "b": Float(0, 1)})
    configs = sample(space, 600, seed=2)
    values = [c["a"] + c["b"] + 4 * (c["a"] - 0.5) * (c["b"] - 0.5) for c in configs]
    imp = fanova(space, configs, values, seed=0).importance(pairs=True)
    # singles 1/12 each, the product 16/144: fractions 0.3, 0.3 and 0.4
    assert imp.loc["a", "mean"] == pytest.approx(0.3, abs=0.04)
    assert imp.loc["b", "mean"] == pytest.approx(0.3, abs=0.04)
    assert imp.loc["a x b", "mean"] == pytest.approx(0.4, abs=0.06)


def test_int_log_and_categorical_parameters_and_marginals():
    space = Space({"lr": Float(1e-4, 1e-1, log=True), "layers": Int(1, 4),
                   "act": Categorical(["relu", "tanh", "sigmoid"])})
    configs = sample(space, 500, seed=3)
    penalty = {"relu": 0.0, "tanh": 0.1, "sigmoid": 1.0}
    values = [(np.log10(c["lr"]) + 2.5) ** 2 + penalty[c["act"]] for c in configs]
    result = fanova(space, configs, values, seed=0)
    imp = result.importance()
    assert imp.loc["layers", "mean"] < 0.02 < imp.loc["act", "mean"] < imp.loc["lr", "mean"]
    curve = result.marginal("lr", resolution=30)
    assert 10 ** -3 < curve.loc[curve["mean"].idxmin(), "lr"] < 10 ** -2  # the bowl's bottom, 10**-2.5
    act = result.marginal("act")
    assert list(act["act"]) == ["relu", "tanh", "sigmoid"]
    assert act["mean"].iloc[2] - act["mean"].iloc[0] == pytest.approx(1.0, abs=0.15)


def test_single_importances_agree_with_optunas_fanova():
    optuna = pytest.importorskip("optuna")
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
    from optuna.importance import FanovaImportanceEvaluator

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = Space({"a": Float(0, 1), "b": Float(-2, 2), "n": Int(1, 8), "c": Categorical(["x", "y", "z"])})
    configs = sample(space, 200, seed=1)
    rng = np.random.default_rng(4)
    values = [3 * c["a"] + np.sin(2 * c["b"]) + 0.2 * c["n"] + {"x": 0, "y": 1.0, "z": 0.5}[c["c"]]
              + 0.1 * rng.normal() for c in configs]
    distributions = {"a": FloatDistribution(0, 1), "b": FloatDistribution(-2, 2), "n": IntDistribution(1, 8),
                     "c": CategoricalDistribution(["x", "y", "z"])}
    study = optuna.create_study()
    study.add_trials([optuna.trial.create_trial(params=c, distributions=distributions, value=v)
                      for c, v in zip(configs, values)])
    theirs = optuna.importance.get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
    ours = fanova(space, configs, values, seed=0).importance()["mean"]
    ours = ours / ours.sum()  # Optuna normalises the single importances to sum to one
    for name in space:  # stated tolerance: 0.05 of the normalised importance
        assert ours[name] == pytest.approx(theirs[name], abs=0.05), name
    assert list(ours.index) == list(theirs)  # the same ranking


def test_bad_input_is_refused():
    space = Space({"a": Float(0, 1)})
    with pytest.raises(ValueError, match="as long as each other"):
        fanova(space, [{"a": 0.1}], [1.0, 2.0])
    with pytest.raises(ValueError, match="at least two finite numbers"):
        fanova(space, [{"a": 0.1}, {"a": 0.2}], [1.0, float("nan")])
    with pytest.raises(ValueError, match="n_trees must be a whole number >= 1"):
        fanova(space, [{"a": 0.1}, {"a": 0.2}], [1.0, 2.0], n_trees=0)
    with pytest.raises(ValueError, match=r"'a' must be a float in \[0.0, 1.0\]"):
        fanova(space, [{"a": 3.0}, {"a": 0.2}], [1.0, 2.0])


def test_iis_runs_its_stages_in_order_and_carries_the_search_over():
    from hpolib import RandomSearch, SerialExecutor
    from hpolib.analysis.iis import increasing_image_sizes

    space = Space({"x": Float(0, 1), "depth": Int(1, 5)})
    calls, told = [], {}

    class Recording(RandomSearch):
        def tell(self, config, value, budget=None):
            told.setdefault(id(self), []).append((config, value))

    def objective_at(size):
        def objective(config, budget, report):
            calls.append(size)
            if 2 ** config["depth"] > size:  # too deep for the input: fails at that size only
                raise ValueError(f"{config['depth']} layers are too deep for {size} px")
            return 1 - abs(config["x"] - 0.3) - 0.001 * size
        return objective

    result = increasing_image_sizes(space, lambda s, seed: Recording(s, seed=seed), objective_at,
                                    [(8, 20), (16, 10), (32, 5)], carry=3, progress=False)
    assert calls == [8] * 20 + [16] * 10 + [32] * 5
    first, second, third = result.studies
    assert [s.name for s in result.studies] == ["iis-8px", "iis-16px", "iis-32px"]
    best_first = sorted((t for t in first.trials if t.state.value == "complete"), key=lambda t: -t.value)[:3]
    assert [t.config for t in second.trials[:3]] == [t.config for t in best_first]
    assert all(t.source == "queue" for t in second.trials[:3]) and second.trials[3].source == "optimizer"
    # stage 1's optimiser was told its own 20 results; stage 2's the 20 earlier ones, then its own 10;
    # stage 3's the 30 earlier ones, then its own 5
    assert sorted(len(v) for v in told.values()) == [20, 30, 35]
    assert result.best.number in range(5) and len(result.spent("seconds")) == 3
    epochs = [sum(t.cost for t in study.trials if t.state.finished) for study in result.studies]
    assert result.spent() == pytest.approx([epochs[0] / 16, epochs[1] / 4, epochs[2]])
    with pytest.raises(ValueError, match="cost must be one of"):
        result.spent("steps")
    frame = result.to_dataframe()
    assert list(frame.groupby("stage").resolution.first()) == [8, 16, 32] and len(frame) == 35
    with pytest.raises(ValueError, match="stages must go up in resolution"):
        increasing_image_sizes(space, RandomSearch, objective_at, [(16, 2), (8, 2)])
    with pytest.raises(ValueError, match="give executor .every stage's. or executor_at .each stage's own., not both"):
        increasing_image_sizes(space, RandomSearch, objective_at, [(8, 2)], executor=SerialExecutor(),
                               executor_at=lambda px: SerialExecutor())


def test_iis_narrows_each_stage_around_the_previous_stages_best():
    from hpolib import RandomSearch
    from hpolib.analysis.iis import increasing_image_sizes

    space = Space({"x": Float(0, 1), "layers": Int(1, 3), "width_2": Int(8, 64), "act": Categorical(["a", "b", "c"])},
                  conditions={"width_2": ("layers", [2, 3])})

    def objective_at(size):
        return lambda config, budget, report: -abs(config["x"] - 0.3) - 0.1 * config["layers"] \
            - 0.1 * (config["act"] != "b")

    result = increasing_image_sizes(space, lambda s, seed: RandomSearch(s, seed=seed), objective_at,
                                    [(8, 30), (16, 10), (32, 5)], carry=2, narrow_top=3, narrow_margin=0.05,
                                    progress=False)
    first, second, third = result.spaces
    assert first == space
    best = sorted((t for t in result.studies[0].trials), key=lambda t: -t.value)[:3]
    xs = [t.config["x"] for t in best]
    assert second["x"].low == pytest.approx(max(min(xs) - 0.05, 0)) and second["x"].high == pytest.approx(
        min(max(xs) + 0.05, 1))
    assert second["act"].choices == tuple(c for c in "abc" if c in {t.config["act"] for t in best})
    assert second.conditions == space.conditions and second["layers"].high - second["layers"].low >= 1
    assert all(second.within(t.config) == t.config for t in result.studies[1].trials)
    assert all(third.within(t.config) == t.config for t in result.studies[2].trials)
    carried = result.studies[1].trials[0].config  # the best so far, its active values inside the narrowed space
    assert {k: v for k, v in carried.items() if space.active(carried)[k]} == {
        k: v for k, v in best[0].config.items() if space.active(best[0].config)[k]}
    with pytest.raises(ValueError, match=r"narrow_margin must be a number in \[0, 1\]"):
        increasing_image_sizes(space, RandomSearch, objective_at, [(8, 2)], narrow_margin=2)


def test_conditional_fanova_learns_nothing_from_values_that_did_not_take_effect():
    """f = 3x + 4y where y is active (two layers), 3x with one layer. In one-layer trials y's drawn value is set
    to x, so a forest that saw it would credit y with x's effect; the conditional rule must not."""
    from hpolib.analysis.fanova import conditional_importance, fanova
    from hpolib.space import Float, Int, Space

    space = Space({"x": Float(0, 1), "layers": Int(1, 2), "y": Float(0, 1)}, conditions={"y": ("layers", [2])})
    rng = np.random.default_rng(0)
    configs = []
    for _ in range(400):
        c = space.sample(rng)
        if c["layers"] == 1:
            c["y"] = c["x"]  # the value drawn for an inactive y, correlated with the effect of x
        configs.append(c)
    values = [3 * c["x"] + (4 * c["y"] if c["layers"] == 2 else 0.0) for c in configs]
    imp = conditional_importance(space, configs, values, seed=0)
    assert imp.loc["y", "active_share"] == pytest.approx(np.mean([c["layers"] == 2 for c in configs]))
    assert imp.loc["y", "trials"] == sum(c["layers"] == 2 for c in configs)
    assert imp.loc["y", "mean"] == pytest.approx(16 / 25, abs=0.08)  # among two-layer trials: 4^2 / (3^2 + 4^2)
    assert imp.loc["x", "active_share"] == 1.0
    redrawn = [{**c, "y": 1 - c["x"]} if c["layers"] == 1 else c for c in configs]  # other inactive values
    pd.testing.assert_frame_equal(conditional_importance(space, redrawn, values, seed=0), imp)
    assert not fanova(space, redrawn, values, seed=0).importance().equals(fanova(space, configs, values,
                                                                                  seed=0).importance())
    unconditional = Space({"x": Float(0, 1), "z": Float(0, 1)})
    plain = [unconditional.sample(rng) for _ in range(100)]
    same = conditional_importance(unconditional, plain, [c["x"] for c in plain], seed=0)
    pd.testing.assert_frame_equal(same[["mean", "std"]],
                                  fanova(unconditional, plain, [c["x"] for c in plain], seed=0).importance())


def test_iis_savings_count_pixel_epochs_and_only_full_resolution_errors():
    from hpolib import RandomSearch, Study
    from hpolib.analysis.iis import increasing_image_sizes, savings, search_trace

    space = Space({"x": Float(0, 1)})

    def objective_at(size):
        def objective(config, budget, report):
            report(1, 0.0)  # one epoch: each trial costs 1 epoch at its resolution
            return 1 - abs(config["x"] - 0.3) - (0.5 if size < 16 else 0.0)
        return objective

    run = increasing_image_sizes(space, lambda s, seed: RandomSearch(s, seed=seed), objective_at,
                                 [(8, 8), (16, 4)], carry=2, progress=False)
    direct = Study(space, RandomSearch(space, seed=0), direction="maximize")
    direct.optimize(objective_at(16), n_trials=12, progress=False)
    trace = run.trace()
    # 8 evaluations at 8 px cost (8/16)^2 = 1/4 pixel-epoch each, then 4 at full resolution cost 1 each
    assert trace.spent.tolist() == [0.25 * k for k in range(1, 9)] + [3.0, 4.0, 5.0, 6.0]
    assert trace.best.iloc[:8].isna().all()  # an error at 8 px is not comparable and never counts
    assert trace.best.iloc[-1] == pytest.approx(1 - run.best.value)
    assert search_trace([(16, direct.trials)], 16).spent.iloc[-1] == 12.0
    saved = savings(direct, run)
    assert saved["total"] == pytest.approx(1 - 6 / 12)
    assert saved["to iis's error"] <= 1 and set(saved) == {"total", "to direct's error", "to iis's error"}
    with pytest.raises(ValueError, match="cost must be one of"):
        run.trace("epochs")
