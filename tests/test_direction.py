"""The direction and incumbent rules every part of hpolib shares."""

import math

import pytest

from hpolib import Direction, Incumbent, Optimizer, Scheduler, Space
from hpolib.executors import Executor
from hpolib.space import Float
from hpolib.storage import Storage


def test_direction_turns_values_into_losses_and_names_the_parameter_on_bad_input():
    assert Direction.of("minimize").loss(2.0) == 2.0 and Direction.of("maximize").loss(2.0) == -2.0
    assert Direction.MAXIMIZE.better(0.9, 0.8) and not Direction.MINIMIZE.better(0.9, 0.8)
    assert Direction.MAXIMIZE == "maximize" and str(Direction.MAXIMIZE) == "maximize"
    with pytest.raises(ValueError, match="goal must be 'minimize' or 'maximize', got 'max'"):
        Direction.of("max", name="goal")


def test_the_incumbent_is_the_best_value_at_the_largest_budget():
    best = Incumbent("minimize")
    assert not best.offer("failed", None, 9) and not best.offer("nan", math.nan, 9) and best.item is None
    assert best.offer("a", 0.1, 1)
    assert best.offer("b", 0.5, 3)  # a larger budget wins over a better value at a smaller one
    assert not best.offer("c", 0.05, 1)
    assert not best.offer("d", 0.5, 3)  # a tie keeps the earlier
    assert best.offer("e", 0.7, None)  # None: the full budget, beyond any number
    assert (best.item, best.value) == ("e", 0.7)


def test_a_subclass_that_misses_a_required_method_fails_when_made_not_when_first_used():
    space = Space({"x": Float(0, 1)})

    class NoProposals(Optimizer):
        pass

    for base, make in [(NoProposals, lambda cls: cls(space, seed=0)), (Scheduler, lambda cls: cls()),
                       (Storage, lambda cls: cls()), (Executor, lambda cls: cls())]:
        with pytest.raises(TypeError, match="abstract"):
            make(base)
