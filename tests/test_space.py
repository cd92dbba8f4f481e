import math
import re

import numpy as np
import pytest

from hpolib import Categorical, Float, Int, Space

LENET = Space({"f6": Int(125, 325), "c1": Int(1, 32), "c3": Int(1, 32), "c5": Int(40, 130)})


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Int(5, 5), "low < high"),
        (lambda: Int(7, 3), "low < high"),
        (lambda: Int(1.5, 3), "whole number"),
        (lambda: Float(1.0, 0.5), "low < high"),
        (lambda: Float(0.0, 1.0, log=True), "low > 0"),
        (lambda: Int(-1, 10, log=True), "low > 0"),
        (lambda: Float(0, math.inf), "finite"),
        (lambda: Categorical([]), "non-empty"),
        (lambda: Categorical("abc"), "non-empty list"),
        (lambda: Categorical(["a", "a"]), "distinct"),
        (lambda: Categorical([[1]]), "str, int, float, bool or None"),
        (lambda: Space({}), "non-empty"),
        (lambda: Space({"x": (0, 1)}), "'x' must be Int, Float or Categorical"),
    ],
)
def test_bad_definitions_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_validate_names_parameter_and_range():
    space = Space({"lr": Float(1e-4, 1e-1, log=True), "width": Int(8, 64), "act": Categorical(["relu", "tanh"])})
    good = {"lr": 0.01, "width": 16, "act": "relu"}
    assert space.validate(good) == good
    with pytest.raises(ValueError, match=r"'lr' must be a float in \[0.0001, 0.1\], log scale, got 0.5"):
        space.validate({**good, "lr": 0.5})
    with pytest.raises(ValueError, match=r"'width' must be an integer in \[8, 64\], got 16.5"):
        space.validate({**good, "width": 16.5})
    with pytest.raises(ValueError, match=r"'width' must be an integer"):
        space.validate({**good, "width": float("nan")})
    with pytest.raises(ValueError, match=r"'act' must be one of \['relu', 'tanh'\], got 'gelu'"):
        space.validate({**good, "act": "gelu"})
    with pytest.raises(ValueError, match=r"missing \['act'\]"):
        space.validate({"lr": 0.01, "width": 16})
    with pytest.raises(ValueError, match=r"unknown \['depth'\]"):
        space.validate({**good, "depth": 3})
    assert space.validate({**good, "width": np.int64(16)})["width"] == 16
    assert type(space.validate({**good, "width": 16.0})["width"]) is int


def test_categorical_is_type_exact():
    flags = Categorical([True, 1, None])
    assert flags.index(1) == 1 and flags.index(True) == 0
    with pytest.raises(ValueError):
        flags.validate(2, "flag")


def test_sampling_is_seeded_and_in_range():
    space = Space({"lr": Float(1e-5, 1.0, log=True), "n": Int(1, 4), "c": Categorical(["a", "b", "c"])})
    a = [space.sample(seed=3) for _ in range(2)]
    assert a[0] == a[1]
    rng = np.random.default_rng(0)
    draws = [space.sample(rng) for _ in range(4000)]
    for d in draws:
        space.validate(d)
    counts = np.bincount([d["n"] for d in draws])[1:]
    assert counts.min() > 850  # every integer, ends included, about 1000 times
    logs = np.log10([d["lr"] for d in draws])
    assert abs(np.mean(logs < -2.5) - 0.5) < 0.05  # log-uniform: half the mass below the log midpoint
    assert {d["c"] for d in draws} == {"a", "b", "c"}


def test_unit_cube_round_trip():
    space = Space({"lr": Float(1e-4, 1e-1, log=True), "n": Int(1, 32, log=True), "c": Categorical(["x", "y"]),
                   "m": Float(-1, 1)})
    rng = np.random.default_rng(1)
    for _ in range(200):
        config = space.sample(rng)
        u = space.to_unit(config)
        assert np.all((0 <= u) & (u <= 1))
        back = space.from_unit(u)
        assert back["n"] == config["n"] and back["c"] == config["c"]
        assert math.isclose(back["lr"], config["lr"], rel_tol=1e-9)
    assert space.from_unit([-3, 7, 2, 0.5])["lr"] == 1e-4  # clipped into the box
    with pytest.raises(ValueError, match="4 coordinates"):
        space.from_unit([0.5])


def test_grid_counts_without_enumerating():
    grid = LENET.grid()
    assert grid.size == 201 * 32 * 32 * 91 == len(grid)  # ~18.7 million: both ends of every range included
    assert grid[0] == {"f6": 125, "c1": 1, "c3": 1, "c5": 40}
    assert grid[-1] == {"f6": 325, "c1": 32, "c3": 32, "c5": 130}
    assert grid[91] == {"f6": 125, "c1": 1, "c3": 2, "c5": 40}  # last parameter varies fastest
    iterator = iter(grid)
    assert next(iterator) == grid[0] and next(iterator) == grid[1]
    with pytest.raises(IndexError):
        grid[grid.size]


def test_grid_resolutions():
    space = Space({"lr": Float(1e-4, 1e-1, log=True), "n": Int(1, 100), "c": Categorical(["a", "b"])})
    grid = space.grid({"lr": 4, "n": 3})
    assert grid.size == 4 * 3 * 2
    assert [round(v, 10) for v in grid.axes[0]] == [1e-4, 1e-3, 1e-2, 1e-1]
    assert list(grid.axes[1]) == [1, 50, 100]
    assert space.grid(5).size == 5 * 5 * 2
    assert Int(1, 4).grid(10) == range(1, 5)  # no more points than integers
    with pytest.raises(ValueError, match="'lr': a Float parameter has no natural grid"):
        space.grid()
    with pytest.raises(ValueError, match=r"unknown parameters \['depth'\]"):
        space.grid({"depth": 3})
    with pytest.raises(ValueError, match="whole number >= 1"):
        space.grid(0)
    assert [c for c in grid][:2] == [grid[0], grid[1]]


def test_a_conditional_space_says_which_values_take_effect_and_refuses_bad_conditions():
    space = Space({"layers": Int(1, 3), "w2": Int(8, 64), "w3": Int(8, 64), "act": Categorical(["relu", "tanh"])},
                  conditions={"w2": ("layers", [2, 3]), "w3": ("w2", list(range(8, 65)))})
    assert space.active({"layers": 1, "w2": 9, "w3": 10, "act": "relu"}) == {"layers": True, "w2": False,
                                                                              "w3": False, "act": True}
    assert space.active({"layers": 3, "w2": 9, "w3": 10, "act": "relu"})["w3"]  # a chain: w3 needs w2 active
    assert space != Space(dict(space)) and "conditions=" in repr(space)
    with pytest.raises(ValueError, match="must come before it"):
        Space({"w2": Int(8, 64), "layers": Int(1, 3)}, conditions={"w2": ("layers", [2])})
    with pytest.raises(ValueError, match="unknown parameter 'w9'"):
        Space({"layers": Int(1, 3)}, conditions={"w9": ("layers", [2])})
    with pytest.raises(ValueError, match="'layers' must be an integer in"):
        Space({"layers": Int(1, 3), "w2": Int(8, 64)}, conditions={"w2": ("layers", [7])})


def test_a_narrowed_space_takes_configurations_whose_inactive_values_lie_outside_it():
    space = Space({"layers": Int(1, 3), "w2": Int(8, 64)}, conditions={"w2": ("layers", [2, 3])})
    narrow = space.narrowed([{"layers": 2, "w2": 30}, {"layers": 3, "w2": 40}], margin=0.0)
    assert (narrow["layers"].low, narrow["layers"].high, narrow["w2"].low, narrow["w2"].high) == (2, 3, 30, 40)
    assert narrow.within({"layers": 2, "w2": 35}) == {"layers": 2, "w2": 35}
    assert narrow.within({"layers": 2, "w2": 60}) is None  # an active value outside: not in the space
    assert narrow.within({"layers": 1, "w2": 60}) is None  # layers 1 is outside too
    wide = Space({"layers": Int(1, 3), "w2": Int(8, 64)}, conditions={"w2": ("layers", [3])})
    only_three = wide.narrowed([{"layers": 2, "w2": 8}, {"layers": 2, "w2": 64}], margin=0.0)
    assert only_three["w2"] == Int(8, 64)  # active in none of them: its range is kept
    assert only_three.within({"layers": 2, "w2": 50}) == {"layers": 2, "w2": 50}
    threes = wide.narrowed([{"layers": 3, "w2": 30}, {"layers": 2, "w2": 9}, {"layers": 3, "w2": 40}], margin=0.0)
    assert threes["w2"] == Int(30, 40) and threes.within({"layers": 2, "w2": 60}) == {"layers": 2, "w2": 40}
    assert Int(1, 3).narrowed([3], 0.0) == Int(2, 3)  # at least two values
    with pytest.raises(ValueError, match=r"margin must be a number in \[0, 1\]"):
        space.narrowed([{"layers": 2, "w2": 30}], margin=-1)
    with pytest.raises(ValueError, match=r"margin must be a number in \[0, 1\], got '0.1'"):
        space.narrowed([{"layers": 2, "w2": 30}], margin="0.1")  # a string: the same error, not a TypeError


@pytest.mark.parametrize("value, interval, ok", [
    (0, "[0, 1]", True), (1, "[0, 1]", True), (0, "(0, 1]", False), (1, "[0, 1)", False), (0.5, "(0, 0.5]", True),
    (float("nan"), "[0, 1]", False), (True, "[0, 1]", False), (None, "(0, 1)", False),
    (np.float32(0.25), "(0, 1)", True),
])
def test_check_in_takes_numbers_in_the_interval_and_names_the_parameter_otherwise(value, interval, ok):
    from hpolib._checks import check_in

    if ok:
        assert check_in("share", value, interval) == float(value)
    else:
        with pytest.raises(ValueError, match=rf"share must be a number in {re.escape(interval)}, got"):
            check_in("share", value, interval)
