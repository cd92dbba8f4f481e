"""DEHB as Awad, Mallik and Hutter describe it: Hyperband's brackets, one subpopulation per budget, rand/1/bin."""

import numpy as np
import pytest

from hpolib import DEHB, Float, Space, Study
from hpolib.problems import Branin

SPACE = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0), "z": Float(0.0, 1.0)})


def run(scheduler, total_budget=300):
    f = Branin(max_budget=9)
    study = Study(f.space, scheduler=scheduler, seed=0, storage=None)
    return study.optimize(f, total_budget=total_budget, progress=False)


def test_subpopulations_are_as_large_as_the_most_trials_a_budget_gets_in_one_hyperband_iteration():
    # Hyperband(1, 27, 3): 27x1 9x3 3x9 1x27 | 12x3 4x9 1x27 | 6x9 2x27 | 4x27
    assert DEHB(SPACE, 1, 27, eta=3, seed=0).capacity == {1: 27, 3: 12, 9: 6, 27: 4}


def test_the_first_bracket_is_hyperbands_and_the_first_iteration_promotes():
    scheduler = DEHB(Branin(max_budget=9).space, 1, 9, eta=3, seed=0)
    trials = run(scheduler).trials
    first = [t for t in trials if t.info["bracket"] == 0]
    assert [t.info["origin"] for t in first] == ["random"] * 9 + ["promotion"] * 4
    rung0 = sorted(first[:9], key=lambda t: t.value)
    assert [t.config for t in first[9:12]] == [t.config for t in rung0[:3]]  # the best third goes on
    assert all(t.parent is None for t in trials)  # every trial trains from scratch, as in the paper
    later = [t for t in trials if t.info["bracket"] >= len(scheduler.cycle)]
    assert later and {t.info["origin"] for t in later} == {"mutation"}


def test_selection_keeps_the_better_of_target_and_offspring():
    scheduler = DEHB(Branin(max_budget=9).space, 1, 9, eta=3, seed=0)
    trials = run(scheduler).trials
    for budget, members in scheduler.subpopulations.items():
        for slot, member in enumerate(members):
            here = [t.value for t in trials if t.budget == budget and t.info["slot"] == slot]
            assert member is not None and member[1] <= min(here)  # the best the slot ever saw


def offspring(crossover_prob, seed=0):
    """An offspring of a filled subpopulation, with its target, in the unit cube."""
    scheduler = DEHB(SPACE, 1, 9, eta=3, crossover_prob=crossover_prob, seed=seed)
    rng = np.random.default_rng(1)
    for members in scheduler.subpopulations.values():
        members[:] = [(SPACE.from_unit(rng.random(3)), float(rng.random())) for _ in members]
    bracket = scheduler.bracket(len(scheduler.cycle))  # a bracket of the second iteration: DE everywhere
    target = SPACE.to_unit(scheduler.subpopulations[1][0][0])
    child = SPACE.to_unit(scheduler._offspring(bracket, 0, np.random.default_rng(seed)))
    return target, child


def test_binomial_crossover_takes_one_coordinate_at_least_and_all_at_cr_one():
    for seed in range(20):
        target, child = offspring(0.0, seed)
        assert np.sum(~np.isclose(target, child)) == 1
        target, child = offspring(1.0, seed)
        assert not np.any(np.isclose(target, child))


def test_rand1_mutation_is_a_parent_plus_f_times_a_difference_of_two():
    scheduler = DEHB(SPACE, 1, 9, eta=3, crossover_prob=1.0, seed=0)
    parents = [np.array([0.2, 0.2, 0.2]), np.array([0.6, 0.4, 0.3]), np.array([0.4, 0.2, 0.1])]
    scheduler.subpopulations[1][:] = [(SPACE.from_unit(x), 1.0) for x in parents] + [None] * 6
    scheduler.subpopulations[3][:] = [(SPACE.from_unit([0.9, 0.9, 0.9]), 1.0)] + [None] * 4
    bracket = scheduler.bracket(len(scheduler.cycle) + 1)  # first rung at budget 3: pool from budget 1
    child = SPACE.to_unit(scheduler._offspring(bracket, 0, np.random.default_rng(0)))
    candidates = [a + 0.5 * (b - c) for a in parents for b in parents for c in parents
                  if len({id(a), id(b), id(c)}) == 3]
    assert any(np.allclose(child, v) for v in candidates)


@pytest.mark.parametrize("kwargs, message", [
    ({"mutation_factor": 0}, r"mutation_factor must be a number in \(0, 2\], got 0"),
    ({"crossover_prob": 1.5}, r"crossover_prob must be a number in \[0, 1\], got 1.5"),
    ({"seed": -1}, "seed"),
])
def test_settings_are_checked_at_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DEHB(SPACE, 1, 9, **kwargs)
