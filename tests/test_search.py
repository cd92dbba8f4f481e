import pytest

from hpolib import Categorical, Float, GridSearch, Int, RandomSearch, Space, SpaceExhausted
from hpolib.optimizers.grid import permute

SPACE = Space({"lr": Float(1e-3, 1.0, log=True), "n": Int(1, 6), "act": Categorical(["relu", "tanh"])})


def asks(optimizer, k):
    return [optimizer.ask() for _ in range(k)]


def test_random_search_same_seed_same_sequence():
    assert asks(RandomSearch(SPACE, seed=7), 20) == asks(RandomSearch(SPACE, seed=7), 20)
    assert asks(RandomSearch(SPACE, seed=7), 20) != asks(RandomSearch(SPACE, seed=8), 20)
    for config in asks(RandomSearch(SPACE, seed=1), 50):
        SPACE.validate(config)


def test_random_search_restore_continues_the_same_sequence():
    full = asks(RandomSearch(SPACE, seed=3), 10)
    resumed = RandomSearch(SPACE, seed=3)
    resumed.restore(6, [(c, 1.0, None) for c in full[:6]])
    assert asks(resumed, 4) == full[6:]


def test_grid_search_in_order_then_exhausted():
    optimizer = GridSearch(SPACE, resolution={"lr": 3})
    points = asks(optimizer, 3 * 6 * 2)
    assert points == list(SPACE.grid({"lr": 3}))
    with pytest.raises(SpaceExhausted):
        optimizer.ask()


def test_shuffled_grid_is_a_seeded_permutation():
    grid = SPACE.grid({"lr": 3})
    a = asks(GridSearch(SPACE, resolution={"lr": 3}, shuffle=True, seed=5), grid.size)
    b = asks(GridSearch(SPACE, resolution={"lr": 3}, shuffle=True, seed=5), grid.size)
    c = asks(GridSearch(SPACE, resolution={"lr": 3}, shuffle=True, seed=6), grid.size)
    key = lambda d: sorted(d.items())  # noqa: E731
    assert a == b and a != c
    assert sorted(a, key=key) == sorted(grid, key=key)  # every point exactly once


@pytest.mark.parametrize("size", [1, 2, 3, 17, 1000, 18_729_984])
def test_permute_is_a_bijection(size):
    sample = range(min(size, 5000))
    images = [permute(i, size, seed=11) for i in sample]
    assert len(set(images)) == len(images) and all(0 <= x < size for x in images)
    if size <= 5000:
        assert sorted(images) == list(range(size))


def test_huge_shuffled_grid_is_lazy():
    lenet = Space({"f6": Int(125, 325), "c1": Int(1, 32), "c3": Int(1, 32), "c5": Int(40, 130)})
    optimizer = GridSearch(lenet, shuffle=True, seed=0)
    assert optimizer.size == 18_729_984
    first = asks(optimizer, 50)
    assert len({tuple(c.values()) for c in first}) == 50
    assert len({c["f6"] for c in first}) > 30  # spread over the grid, not a corner of it


def test_optimizer_validates_seed_and_space():
    with pytest.raises(ValueError, match="seed"):
        RandomSearch(SPACE, seed=-1)
    with pytest.raises(ValueError, match="space"):
        RandomSearch({"x": Float(0, 1)})
