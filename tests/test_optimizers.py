"""TPE, GP-BO, PSO and the genetic algorithm: determinism, types, convergence, parallel asks."""

import copy
import math

import numpy as np
import pytest

from hpolib import (BOHB, CMAES, PSO, TPE, Categorical, Float, GeneticAlgorithm, GPOptimizer, GridSearch, Int,
                    ProcessExecutor, RandomSearch, Space, SpaceExhausted, Study)
from hpolib.optimizers.encoding import Asked, OneHot, integer_slices
from hpolib.problems import Branin

MIXED = Space({"lr": Float(1e-4, 1e-1, log=True), "width": Int(8, 64, log=True), "depth": Int(1, 4),
               "act": Categorical(["relu", "tanh", "gelu"])})
COST = {"relu": 1.0, "tanh": 0.0, "gelu": 1.0}


def mixed_objective(c):
    """Best at lr = 1e-2, width = 32, depth = 2, act = tanh (a category in the middle of the list)."""
    return ((np.log10(c["lr"]) + 2) ** 2 + (np.log2(c["width"]) - 5) ** 2 / 4 + (c["depth"] - 2) ** 2 / 4
            + COST[c["act"]])


MAKERS = {
    "tpe": lambda space, seed: TPE(space, seed=seed),
    "tpe-univariate": lambda space, seed: TPE(space, multivariate=False, seed=seed),
    "gp": lambda space, seed: GPOptimizer(space, seed=seed),
    "pso": lambda space, seed: PSO(space, seed=seed),
    "ga": lambda space, seed: GeneticAlgorithm(space, seed=seed),
    "ga-sbx": lambda space, seed: GeneticAlgorithm(space, crossover="sbx", seed=seed),
    "cmaes": lambda space, seed: CMAES(space, seed=seed),
    "cmaes-ipop": lambda space, seed: CMAES(space, restarts=4, seed=seed),
    "cmaes-margin": lambda space, seed: CMAES(space, with_margin=True, seed=seed),
}


def optimise(optimizer, f, n):
    history = []
    for _ in range(n):
        try:
            config = optimizer.ask()
        except SpaceExhausted:
            break
        history.append((config, f(config)))
        optimizer.tell(config, history[-1][1])
    return history


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_same_seed_same_proposals_and_valid_types(name):
    n = 18 if name == "gp" else 40
    a = optimise(MAKERS[name](MIXED, 3), mixed_objective, n)
    b = optimise(MAKERS[name](MIXED, 3), mixed_objective, n)
    assert a == b
    assert a != optimise(MAKERS[name](MIXED, 4), mixed_objective, n)
    for config, _ in a:
        assert MIXED.validate(config) == config
        assert type(config["width"]) is int and type(config["depth"]) is int and type(config["lr"]) is float


@pytest.mark.parametrize("name, n, seeds, tolerance", [
    ("tpe", 80, 10, 0.3), ("tpe-univariate", 80, 10, 0.5), ("gp", 25, 3, 0.1), ("pso", 80, 10, 0.3),
    ("ga", 80, 10, 1.0), ("ga-sbx", 80, 10, 1.0), ("cmaes", 80, 10, 0.3), ("cmaes-ipop", 80, 10, 0.3),
])
def test_converges_on_branin_and_beats_random_search(name, n, seeds, tolerance):
    f = Branin()
    regret = lambda opt: min(v for _, v in optimise(opt, f, n)) - f.optimum  # noqa: E731
    ours = np.median([regret(MAKERS[name](f.space, s)) for s in range(seeds)])
    random = np.median([regret(RandomSearch(f.space, seed=s)) for s in range(seeds)])
    assert ours < tolerance and ours < random


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_finds_the_right_category(name):
    n = 30 if name == "gp" else 80
    history = optimise(MAKERS[name](MIXED, 0), mixed_objective, n)
    best = min(history, key=lambda h: h[1])[0]
    assert best["act"] == "tanh"


def _spread(points):
    x = np.array(points)
    return min(np.linalg.norm(x[i] - x[j]) for i in range(len(x)) for j in range(i))


@pytest.mark.parametrize("make", [
    lambda liar: TPE(Branin().space, constant_liar=liar, seed=1),
    lambda liar: GPOptimizer(Branin().space, constant_liar=liar, n_candidates=300, seed=1),
])
def test_constant_liar_spreads_parallel_asks(make):
    f = Branin()
    spreads = {}
    for liar in (False, True):
        optimizer = make(liar)
        optimise(optimizer, f, 20)
        pending = [optimizer.ask() for _ in range(4)]  # four workers ask before anyone tells
        if liar:
            assert len({tuple(c.values()) for c in pending}) == 4
        spreads[liar] = _spread([f.space.to_unit(c) for c in pending])
    # without the liar they may all ask for one point (GP-BO's differ in the eighth decimal); with it they are
    # apart by at least a two-hundredth of the box
    assert spreads[True] > max(spreads[False], 0.005)


def test_pso_asks_asynchronously_and_converges():
    space = Space({"x": Float(-1, 1), "y": Float(-1, 1)})
    pso = PSO(space, n_particles=3, seed=0)
    first = [pso.ask() for _ in range(3)]
    extra = pso.ask()  # every particle waits for its result: an extra random proposal, not a block
    assert extra not in first
    pso.tell(first[1], 0.5)
    assert pso.ask() != first[1]  # particle 1 moved on at once, the others still wait
    pso = PSO(space, n_particles=5, epsilon=1e-3, seed=0)
    history = optimise(pso, lambda c: c["x"] ** 2 + c["y"] ** 2, 5000)
    assert pso.converged and len(history) < 5000
    assert min(v for _, v in history) < 1e-4
    with pytest.raises(SpaceExhausted, match="converged"):
        pso.ask()


def test_pso_stays_in_bounds_with_clamped_velocity():
    f = Branin()
    pso = PSO(f.space, v_max=0.2, seed=2)
    optimise(pso, f, 200)
    assert np.all((pso.positions >= 0) & (pso.positions <= 1))
    assert np.all(np.abs(pso.velocities) <= 0.2)


def test_pso_restore_replays_a_serial_run():
    f = Branin()
    full = optimise(PSO(f.space, seed=5), f, 30)
    resumed = PSO(f.space, seed=5)
    resumed.restore(20, [(c, v, None) for c, v in full[:20]])
    assert optimise(resumed, f, 10) == full[20:]


def test_ga_keeps_the_elite_and_mutates_categories_to_other_choices():
    ga = GeneticAlgorithm(MIXED, population_size=4, mutation_rate=1.0, seed=0)
    history = optimise(ga, mixed_objective, 60)
    best = sorted(v for _, v in history)[:4]
    assert sorted(ga.losses[i] for i in ga.population) == best
    genome = ga.encoding.encode({"lr": 0.01, "width": 32, "depth": 2, "act": "relu"})
    for seed in range(20):
        assert ga._mutate(genome, np.random.default_rng(seed))[3] != 0  # never stays 'relu' when mutated


EVERY_OPTIMIZER = {**MAKERS, "random": lambda space, seed: RandomSearch(space, seed=seed),
                   "grid": lambda space, seed: GridSearch(space, resolution=3, seed=seed),
                   "bohb": lambda space, seed: BOHB(space, seed=seed)}


@pytest.mark.parametrize("name", sorted(EVERY_OPTIMIZER))
def test_tell_refuses_configs_off_the_space_and_losses_that_are_not_finite_numbers(name):
    optimizer = EVERY_OPTIMIZER[name](MIXED, 0)
    config = optimizer.ask()
    for told, message in [({k: v for k, v in config.items() if k != "width"}, r"missing \['width'\]"),
                          ({**config, "dropout": 0.5}, r"unknown \['dropout'\]"),
                          ({**config, "depth": 9}, r"'depth' must be an integer in \[1, 4\], got 9")]:
        with pytest.raises(ValueError, match=message):
            optimizer.tell(told, 1.0)
    for value in (math.nan, -math.inf, True, np.bool_(False), "0.5"):
        with pytest.raises(ValueError, match=f"loss must be a finite number, got {value!r}"):
            optimizer.tell(config, value)
        with pytest.raises(ValueError, match="loss must be a finite number"):  # a resumed study's history too
            EVERY_OPTIMIZER[name](MIXED, 0).restore(1, [(config, value, None)])
    optimizer.tell(config, None)  # a failed trial
    optimizer.tell(config, np.float32(0.5))
    optimizer.ask()


def test_one_hot_encoding_round_trip():
    encoding = OneHot(MIXED)
    assert encoding.dim == 3 + 3
    rng = np.random.default_rng(0)
    for _ in range(50):
        config = MIXED.sample(rng)
        assert encoding.decode(encoding.encode(config)) == config
    assert all(row[3:].sum() == 1 for row in encoding.random(rng, 10))


def test_a_snapped_point_is_the_vector_of_the_configuration_it_proposes_and_an_integer_owns_its_slice():
    space = Space({"k": Int(1, 4), "w": Int(16, 512, log=True), "x": Float(0.0, 1.0), "act": Categorical(["a", "b"])})
    encoding = OneHot(space)
    points = np.random.default_rng(0).random((300, encoding.dim))
    snapped = encoding.snap(points)
    for point, snap in zip(points, snapped):
        config = encoding.decode(point)
        assert encoding.decode(snap) == config and np.allclose(snap, encoding.encode(config))
    assert np.array_equal(encoding.snap(points[0]), snapped[0])  # one point as a row of many
    lower, upper = integer_slices(snapped, encoding.integers)
    for j, param in enumerate(encoding.integers):
        if param is None:  # not an integer: a point, not an interval
            assert np.array_equal(lower[:, j], snapped[:, j]) and np.array_equal(upper[:, j], snapped[:, j])
            continue
        assert np.all((lower[:, j] < snapped[:, j]) & (snapped[:, j] < upper[:, j]))
        inside = [param.from_unit(v) for v in (lower[:, j] + 1e-9, upper[:, j] - 1e-9, snapped[:, j]) for v in v]
        assert inside[:300] == inside[300:600] == inside[600:]  # the whole slice rounds to the snapped integer
    assert lower[:, 0].min() == 0.0 and upper[:, 0].max() == 1.0  # the end integers' slices reach the ends


def test_neighbours_are_one_integer_step_or_one_other_choice_away():
    space = Space({"k": Int(0, 9), "j": Int(1, 3), "x": Float(0.0, 1.0), "act": Categorical(["a", "b", "c"])})
    encoding = OneHot(space)
    point = {"k": 9, "j": 2, "x": 0.5, "act": "b"}
    moved = [{n: v for n, v in encoding.decode(p).items() if v != point[n]} for p in
             encoding.neighbours(encoding.encode(point))]
    assert sorted(map(str, moved)) == sorted(map(str, [{"k": 8}, {"j": 1}, {"j": 3}, {"act": "a"}, {"act": "c"}]))


def test_a_line_moves_one_integer_through_its_values_and_spreads_a_wide_ones():
    space = Space({"k": Int(0, 9), "w": Int(1, 100_000, log=True), "x": Float(0.0, 1.0)})
    encoding = OneHot(space)
    point = encoding.encode({"k": 4, "w": 777, "x": 0.25})
    assert encoding.floats.tolist() == [False, False, True]
    narrow = [encoding.decode(p) for p in encoding.line(point, 0)]
    assert [c["k"] for c in narrow] == list(range(10)) and all(c["w"] == 777 and c["x"] == 0.25 for c in narrow)
    wide = sorted(encoding.decode(p)["w"] for p in encoding.line(point, 1))
    assert len(wide) <= OneHot.LINE_POINTS + 2 and {1, 776, 778, 100_000} <= set(wide)
    with pytest.raises(ValueError, match="coordinate 2"):
        encoding.line(point, 2)


def test_gp_local_search_holds_integers_whole_and_ends_where_no_single_move_scores_higher():
    """From any start the search ends at a configuration (integers whole) that no move of one integer to another
    value, nor of the floats by L-BFGS-B, improves: on a bowl whose integer and float are coupled, a relaxed
    search that rounds afterwards leaves the float placed for an integer between two values."""
    space = Space({"k": Int(0, 40), "x": Float(0.0, 1.0)})
    gp = GPOptimizer(space, n_startup=8, seed=0)
    optimise(gp, lambda c: (c["k"] / 40 - 0.37) ** 2 + (c["x"] - 0.6 - (c["k"] / 40 - 0.37)) ** 2, 14)
    model, targets = gp.fit(np.array(gp.encoded), np.array(gp.losses))
    best = targets.min()
    for start in gp.encoding.snap(gp.encoding.random(np.random.default_rng(1), 5)):
        end = gp._search(model, start, best)
        assert np.array_equal(end, gp.encoding.snap(end))
        score = gp.score(model, end, best)[0]
        assert score >= gp.score(model, start, best)[0]
        assert gp.score(model, gp.encoding.line(end, 0), best).max() <= score + 1e-9  # end is on its line
        assert gp.score(model, gp._polish(model, end, best), best)[0] <= score + 1e-9


def test_asked_proposes_the_best_new_configuration_and_a_repeat_only_when_none_is_new():
    asked = Asked()
    for k in (2, 3):
        asked.add({"k": k})
    configs = [{"k": 2}, {"k": 3}, {"k": 4}, {"k": 5}]
    assert asked.best(np.array([9.0, 8.0, 1.0, 7.0]), configs.__getitem__) == 3
    assert asked.best(np.array([9.0, 8.0]), configs.__getitem__) == 0  # every candidate repeats: the best


def test_gp_proposes_every_integer_configuration_once_before_any_twice():
    """Rounding made the GP re-propose its evaluated incumbent; now the best-scoring new configuration is
    proposed (:class:`~hpolib.optimizers.encoding.Asked`), each one integers in range, until the space is spent."""
    space = Space({"k": Int(0, 2), "j": Int(-1, 2), "act": Categorical(["a", "b"])})
    gp = GPOptimizer(space, n_startup=4, n_candidates=300, seed=0)
    history = optimise(gp, lambda c: (c["k"] - 2) ** 2 + (c["j"] - 1) ** 2 + (c["act"] == "a"), 25)
    configs = [c for c, _ in history]
    assert all(space.validate(c) == c and type(c["k"]) is int for c in configs)
    assert len({tuple(c.values()) for c in configs[:24]}) == 24  # the 24 configurations, each once
    assert configs[24] in configs[:24]  # then, with none new, a repeat rather than an error


def test_tpe_does_not_propose_its_evaluated_incumbent_again_when_a_neighbour_is_a_candidate():
    for seed in range(10):
        tpe = TPE(Space({"k": Int(0, 99)}), n_startup=1, seed=seed)
        for k in range(0, 100, 10):
            tpe.tell({"k": k}, abs(k - 50))  # the good group is k = 50 alone
        assert 45 <= tpe.ask()["k"] <= 55 and tpe.ask()["k"] != 50


def test_tpe_orders_equal_integers_at_random_to_give_them_their_kernel_widths():
    """Of four equal values, the one that takes the gap to the next value is drawn at random, not the newest
    (a stable sort's choice, the same in every coordinate); values without a tie draw nothing."""
    from hpolib.optimizers.tpe import _neighbour_bandwidths

    values = np.array([0.45, 0.45, 0.45, 0.45, 0.85])
    in_order = _neighbour_bandwidths(values)[:4]
    assert np.argmax(in_order) == 3  # in the order given, the newest of the tie
    wide = np.zeros(4)
    for seed in range(400):
        widths = _neighbour_bandwidths(values, np.random.default_rng(seed))[:4]
        assert sorted(widths) == sorted(in_order)  # the same widths, dealt out afresh
        wide[np.argmax(widths)] += 1
    assert np.all((wide > 60) & (wide < 140))  # each of the four about a quarter of the time
    rng = np.random.default_rng(0)
    _neighbour_bandwidths(np.array([0.1, 0.5, 0.9]), rng)
    assert rng.random() == np.random.default_rng(0).random()


def test_ga_breeds_again_rather_than_repeat_a_configuration():
    def repeats(max_breeds):
        ga = GeneticAlgorithm(Space({"k": Int(0, 29), "j": Int(0, 29)}), population_size=10, seed=0)
        ga.MAX_BREEDS = max_breeds
        children = [c for c, _ in optimise(ga, lambda c: (c["k"] - 3) ** 2 + (c["j"] - 7) ** 2, 60)][10:]
        return len(children) - len({tuple(c.values()) for c in children})

    assert repeats(1) > 0 and repeats(GeneticAlgorithm.MAX_BREEDS) == 0  # one child a proposal repeated some


@pytest.mark.parametrize("make, message", [
    (lambda: TPE(MIXED, n_startup=0), "n_startup"),
    (lambda: GPOptimizer(MIXED, acquisition="pi"), "acquisition"),
    (lambda: GPOptimizer(MIXED, kappa=-1), "kappa"),
    (lambda: PSO(MIXED, n_particles=0), "n_particles"),
    (lambda: PSO(MIXED, v_max=2), "v_max"),
    (lambda: GeneticAlgorithm(MIXED, crossover="one-point"), "crossover"),
    (lambda: GeneticAlgorithm(MIXED, mutation_rate=1.5), "mutation_rate"),
    (lambda: GeneticAlgorithm(MIXED, eta=0), "eta must be a positive number"),
    (lambda: PSO(MIXED, inertia="0.5"), r"inertia must be a number in \[0, inf\), got '0.5'"),
    (lambda: TPE(MIXED, prior_weight=None), "prior_weight must be a positive number, got None"),
    (lambda: BOHB(MIXED, top_n_percent=100), r"top_n_percent must be a number in \(0, 100\)"),
    (lambda: BOHB(MIXED, random_fraction=-0.1), r"random_fraction must be a number in \[0, 1\]"),
    (lambda: CMAES(MIXED, population_size=3), "population_size must be a whole number >= 4, got 3"),
    (lambda: CMAES(MIXED, sigma0=0), r"sigma0 must be a number in \(0, 1\], got 0"),
    (lambda: CMAES(MIXED, restarts=-1), "restarts must be a whole number >= 0, got -1"),
    (lambda: CMAES(MIXED, with_margin=1), "with_margin must be True or False, got 1"),
])
def test_bad_settings_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_tpe_with_constant_liar_in_a_parallel_study():
    """Whichever worker returns first, a model-based proposal keeps away from those still pending."""
    f = Branin()
    gaps = []  # distance (unit cube) from each model-based proposal to the nearest one pending

    class Recording(TPE):
        def ask(self):
            pending = [numbers for numbers, _ in self._pending.values()]  # Branin's space: both numeric
            config = super().ask()
            if pending and len(self.losses) >= self.n_startup:
                gaps.append(min(np.linalg.norm(f.space.to_unit(config) - p) for p in pending))
            return config

    optimizer = Recording(f.space, constant_liar=True, seed=0)
    study = Study(f.space, optimizer, executor=ProcessExecutor(n_workers=2))
    study.optimize(f, n_trials=30, progress=False)
    assert len(study.trials) == 30 and not optimizer._pending  # every proposal was told back
    # distinct and spread (over orderings the liar's closest is 0.05; how it compares with no liar is
    # test_constant_liar_spreads_parallel_asks, which needs no timing)
    assert len(gaps) >= 10 and min(gaps) > 0.025


def test_tpe_s_parzen_estimator_is_optuna_s_where_no_two_observations_tie():
    """Observation by observation and kernel by kernel, hpolib's estimator is Optuna 5's (bandwidths, magic clip,
    prior, ramp weights, integer slices on linear and log scales, categorical kernels): the log densities differ by
    one constant, the floats' change of scale to the unit interval. Around them the split into good and bad and the
    weights by age are Optuna's too; the candidates' draws and choice are not compared here."""
    optuna = pytest.importorskip("optuna")
    if int(optuna.__version__.split(".")[0]) < 5:
        pytest.skip("Optuna before 5 sets its multivariate bandwidths otherwise")
    from optuna.samplers._tpe import parzen_estimator as parzen
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
    from optuna.samplers._tpe.sampler import default_gamma as optuna_gamma
    from optuna.samplers._tpe.sampler import default_weights as optuna_weights

    from hpolib.optimizers.encoding import Ordinal, integer_slices, snap_integers
    from hpolib.optimizers.tpe import ParzenEstimator, default_gamma, default_weights

    space = Space({"n": Int(1, 1000, log=True), "m": Int(0, 299), "x": Float(-5.0, 5.0),
                   "lr": Float(1e-5, 0.1, log=True), "act": Categorical(["relu", "tanh", "elu"])})
    rng = np.random.default_rng(0)
    n = 40  # above 25: the ramp of weights
    observed = [dict(c, n=int(v), m=int(w)) for c, v, w in  # distinct integers: no ties
                zip((space.sample(rng) for _ in range(n)), rng.choice(np.arange(20, 1000), n, replace=False),
                    rng.choice(300, n, replace=False))]
    candidates = [space.sample(rng) for _ in range(60)]

    def optuna_log_pdf():
        distributions = {"n": IntDistribution(1, 1000, log=True), "m": IntDistribution(0, 299),
                         "x": FloatDistribution(-5.0, 5.0), "lr": FloatDistribution(1e-5, 0.1, log=True),
                         "act": CategoricalDistribution(["relu", "tanh", "elu"])}
        columns = lambda configs: {k: np.array([["relu", "tanh", "elu"].index(c[k]) if k == "act" else c[k]  # noqa: E731
                                                for c in configs], dtype=float) for k in distributions}
        settings = parzen._ParzenEstimatorParameters(prior_weight=1.0, consider_magic_clip=True,
                                                     consider_endpoints=False, weights=optuna_weights,
                                                     multivariate=True)
        return parzen._ParzenEstimator(columns(observed), distributions, settings).log_pdf(columns(candidates))

    encoding = Ordinal(space)
    numeric, integers = ~encoding.categorical, [p for p, c in zip(encoding.integers, encoding.categorical) if not c]
    x, c = np.array([encoding.encode(o) for o in observed]), np.array([encoding.encode(o) for o in candidates])
    estimator = ParzenEstimator(x[:, numeric], x[:, ~numeric].astype(int), [3], default_weights(n))
    snapped = snap_integers(c[:, numeric], integers)
    ours = estimator.log_pdf(*integer_slices(snapped, integers), c[:, ~numeric].astype(int))
    scale = np.log(10.0) + np.log(np.log(0.1 / 1e-5))  # d(unit)/dx for x, and for lr on its log scale
    assert np.allclose(ours - optuna_log_pdf(), scale, rtol=0, atol=1e-9)
    for k in range(1, 300):  # the same split into good and bad, and the same weights
        assert default_gamma(k) == optuna_gamma(k) and np.array_equal(default_weights(k), optuna_weights(k))


def test_tpe_scores_an_integer_by_the_mass_of_its_slice():
    """A point's likelihood is the mixture's truncated-normal density, an interval's its mass (scipy's
    truncnorm as reference), finite even for a slice many kernel widths away."""
    from scipy.special import log_ndtr
    from scipy.stats import truncnorm

    from hpolib.optimizers.tpe import ParzenEstimator, _log_mass

    no_choices = np.zeros((3, 0), dtype=int)
    est = ParzenEstimator(np.array([[0.0], [0.3], [0.35]]), no_choices, [], np.ones(3))
    kernels = [truncnorm(-m / s, (1 - m) / s, loc=m, scale=s) for m, s in zip(est.mus[:, 0], est.sigmas[:, 0])]
    weights = np.exp(est.log_weights)
    mixture = lambda f: np.log(sum(w * f(k) for w, k in zip(weights, kernels)))  # noqa: E731
    expected = [mixture(lambda k: k.cdf(0.25) - k.cdf(0.2)), mixture(lambda k: k.cdf(1.0) - k.cdf(0.95)),
                mixture(lambda k: k.pdf(0.6))]
    got = est.log_pdf(np.array([[0.2], [0.95], [0.6]]), np.array([[0.25], [1.0], [0.6]]), no_choices)
    assert np.allclose(got, expected)
    # a slice far in either tail, where Phi(b) - Phi(a) is 0 in floating point: the nearer edge's tail
    tails = _log_mass(np.array([40.0, -41.0]), np.array([41.0, -40.0]))
    assert np.allclose(tails, log_ndtr(-40.0))


def _central_differences(f, theta, step=1e-5):
    """The gradient of ``f`` at ``theta`` by central differences: error of order ``step**2``, where forward
    differences' error of order ``step`` times the curvature exceeds 1e-4 at a small fitted noise."""
    return np.array([(f(theta + step * e) - f(theta - step * e)) / (2 * step) for e in np.eye(len(theta))])


def test_gp_gradients_match_finite_differences():
    from hpolib.optimizers.gaussian_process import GaussianProcess

    rng = np.random.default_rng(0)
    x = rng.random((25, 3))
    y = np.sin(3 * x).sum(1) * 5 + 2
    model = GaussianProcess().fit(x, y)
    z, diff2 = (y - y.mean()) / y.std(), (x[:, None, :] - x[None, :, :]) ** 2
    theta = model.theta + 0.3  # away from the optimum, where the gradient is not zero
    analytic = model._objective(theta, diff2, z)[1]
    numeric = _central_differences(lambda t: model._objective(t, diff2, z)[0], theta)
    assert np.allclose(analytic, numeric, rtol=1e-4, atol=1e-4)
    point, eps = rng.random(3), 1e-6
    mu, sigma, d_mu, d_sigma = model.predict_with_gradient(point)
    assert np.allclose([mu, sigma], [v[0] for v in model.predict(point[None])])
    for j in range(3):
        step = np.eye(3)[j] * eps
        (m1, s1), (m0, s0) = (model.predict((point + sign * step)[None]) for sign in (1, -1))
        assert d_mu[j] == pytest.approx((m1 - m0)[0] / (2 * eps), rel=1e-4, abs=1e-6)
        assert d_sigma[j] == pytest.approx((s1 - s0)[0] / (2 * eps), rel=1e-3, abs=1e-6)


def test_gp_counts_a_change_of_category_as_one_hamming_step_under_one_length_scale():
    """A categorical parameter's one-hot block has one length scale, and any two different choices are at squared
    distance ``1 / l^2`` (Optuna's Hamming kernel): the model learns one number per categorical, not one per
    choice."""
    from hpolib.optimizers.gaussian_process import GaussianProcess

    rng = np.random.default_rng(0)
    hot = rng.integers(3, size=20)
    x = np.hstack([rng.random((20, 2)), np.eye(3)[hot]])
    y = np.sin(3 * x[:, 0]) + x[:, 1] + (hot == 1)
    model = GaussianProcess(blocks=[slice(2, 5)]).fit(x, y)
    assert len(model.lengths) == 3  # two numbers and one categorical
    base = np.array([0.5, 0.5, 1.0, 0.0, 0.0])
    others = [np.r_[0.5, 0.5, np.eye(3)[j]] for j in (1, 2)]
    matern = model._kernel(base[None], others[0][None])[0, 0] / model.amplitude
    r = 1 / model.lengths[-1]
    assert matern == pytest.approx((1 + np.sqrt(5) * r + 5 / 3 * r**2) * np.exp(-np.sqrt(5) * r), rel=1e-10)
    assert model._kernel(base[None], others[1][None])[0, 0] == pytest.approx(matern * model.amplitude, rel=1e-10)
    z = (y - model.mean) / model.scale
    diff2 = ((x[:, None, :] - x[None, :, :]) ** 2) @ model._weights
    theta = model.theta + 0.3
    assert np.allclose(model._objective(theta, diff2, z)[1],
                       _central_differences(lambda t: model._objective(t, diff2, z)[0], theta), rtol=1e-4, atol=1e-4)
    point = np.r_[rng.random(2), 0.0, 1.0, 0.0]
    d_mu = model.predict_with_gradient(point)[2]
    for j in range(2):
        step = np.eye(5)[j] * 1e-6
        finite = (model.predict((point + step)[None])[0] - model.predict((point - step)[None])[0])[0] / 2e-6
        assert d_mu[j] == pytest.approx(finite, rel=1e-4, abs=1e-6)
    gp = GPOptimizer(Space({"a": Float(0, 1), "act": Categorical(["relu", "tanh", "elu"])}), n_startup=5, seed=0)
    optimise(gp, lambda c: (c["a"] - 0.3) ** 2 + (c["act"] != "tanh"), 8)
    assert len(gp.fit(np.array(gp.encoded), np.array(gp.losses))[0].lengths) == 2


def test_gp_leave_one_out_density_matches_predicting_each_value_from_the_others():
    from scipy.stats import norm

    from hpolib.optimizers.gaussian_process import GaussianProcess

    rng = np.random.default_rng(2)
    x = rng.random((15, 2))
    y = 10 * np.sin(4 * x[:, 0]) + x[:, 1] ** 2 + 3
    model = GaussianProcess().fit(x, y)
    z = (y - model.mean) / model.scale
    cov = model._kernel(x, x) + model.noise * np.eye(len(y))
    each = []
    for i in range(len(y)):  # the conditional of z_i given the rest, with the fit's hyperparameters
        rest = np.arange(len(y)) != i
        weights = np.linalg.solve(cov[np.ix_(rest, rest)], cov[rest, i])
        mean, var = weights @ z[rest], cov[i, i] - weights @ cov[rest, i]
        each.append(norm.logpdf(y[i], model.mean + model.scale * mean, model.scale * np.sqrt(var)))
    assert model.leave_one_out_log_densities() == pytest.approx(each, rel=1e-8)


def test_gp_length_scale_prior_is_optunas_on_a_number_and_log_normal_on_a_categorical():
    from hpolib.optimizers.gaussian_process import GaussianProcess

    gp = GaussianProcess(blocks=[slice(2, 5)])  # two numbers, then one categorical's block
    log_l = np.log([0.3, 7.5, 4.0])
    value, slope = gp._length_scale_prior(log_l)
    numbers = np.exp(log_l[:2])
    optuna = np.sum(0.1 * numbers**2 + 0.1 / numbers**2)  # Optuna's GPSampler prior
    assert value == pytest.approx(optuna + 0.5 * np.log(4.0) ** 2)
    assert slope == pytest.approx(_central_differences(lambda t: gp._length_scale_prior(t)[0], log_l), rel=1e-6)
    # the tails: from the mode to a length scale of 7.5 costs a number over 2.5 times what it costs a categorical
    def rise(gp):
        return gp._length_scale_prior(np.log([7.5]))[0] - gp._length_scale_prior(np.log([1.0]))[0]

    assert rise(GaussianProcess()) > 2.5 * rise(GaussianProcess(blocks=[slice(0, 3)]))


def test_gp_fits_a_bowl_across_the_box_with_the_length_scales_its_data_support():
    """Under the former prior, (0.5, 0.5), a bowl's length scales were held short and the model predicted it
    worse away from its observations; the default lets them lengthen."""
    from hpolib.optimizers.gaussian_process import LENGTH_SCALE_PRIOR, GaussianProcess

    rng = np.random.default_rng(0)
    x, elsewhere = rng.random((30, 5)), rng.random((200, 5))
    def bowl(v):
        return 100 * (v - 0.3) ** 2 @ np.logspace(0, 1, 5)

    fits = [GaussianProcess(prior).fit(x, bowl(x)) for prior in (LENGTH_SCALE_PRIOR, (0.5, 0.5))]
    assert LENGTH_SCALE_PRIOR == (1.0, 1.0) and np.all(fits[0].lengths > 1.2 * fits[1].lengths)
    error = [np.abs(fit.predict(elsewhere)[0] - bowl(elsewhere)).mean() for fit in fits]
    assert error[0] < 0.9 * error[1]


def test_gp_auto_targets_transform_only_when_that_predicts_better_by_two_standard_errors():
    from hpolib.optimizers.gp import choose_targets

    flat = np.zeros(20)
    assert choose_targets({"standardise": flat, "yeo-johnson": flat + 1.0}) == "yeo-johnson"  # every value better
    lucky = flat.copy()
    lucky[0] = 30.0  # one value predicted far better, the rest no better: the sum is ahead by less than 2 errors
    assert choose_targets({"standardise": flat, "yeo-johnson": lucky}) == "standardise"
    assert choose_targets({"standardise": flat}) == "standardise"

    # a valley whose walls are far above its floor: the power transform predicts it better; a plane: standardising
    def choices(f):
        space = Space({"a": Float(0, 1), "b": Float(0, 1)})
        gp = GPOptimizer(space, n_startup=8, n_candidates=100, n_polish=0, seed=0)
        optimise(gp, lambda c: f(np.array([c["a"], c["b"]])), 12)
        return gp.chosen

    assert choices(lambda v: np.exp(12 * np.abs(v - 0.3).sum()))[-1] == "yeo-johnson"
    assert choices(lambda v: v[0] + 2 * v[1])[-1] == "standardise"


def test_log_ei_is_the_log_of_ei_where_ei_is_representable_and_finite_beyond():
    from hpolib.optimizers.gaussian_process import GaussianProcess
    from hpolib.optimizers.gp import expected_improvement, log_expected_improvement

    mu, sigma = np.array([0.0, 1.0, 3.0, 10.0, 1e3]), np.array([1.0, 0.5, 0.5, 0.1, 1e-3])
    log_ei = log_expected_improvement(mu, sigma, best=0.5)
    ei = expected_improvement(mu, sigma, best=0.5)
    assert np.allclose(log_ei[:3], np.log(ei[:3]), rtol=1e-10)
    assert ei[-1] == 0.0 and np.isfinite(log_ei).all() and np.all(np.diff(log_ei) < 0)  # still ranked

    rng = np.random.default_rng(1)
    x = rng.random((20, 2))
    y = np.sin(3 * x).sum(1)
    model, gp = GaussianProcess().fit(x, y), GPOptimizer(Space({"a": Float(0, 1), "b": Float(0, 1)}), seed=0)
    for point in (rng.random(2), x[np.argmin(y)] + 0.01):  # anywhere, and next to the incumbent
        value, gradient = gp._score_with_gradient(model, point, y.min())
        assert value == pytest.approx(gp.score(model, point, y.min())[0], rel=1e-6)
        for j, step in enumerate(np.eye(2) * 1e-6):
            finite = (gp.score(model, point + step, y.min())[0] - gp.score(model, point - step, y.min())[0]) / 2e-6
            assert gradient[j] == pytest.approx(finite, rel=1e-3, abs=1e-5)


def test_gp_in_one_dimension_with_lcb_finds_the_minimum():
    space = Space({"log_lr": Float(-5.0, 0.0)})
    gp = GPOptimizer(space, acquisition="lcb", kappa=1.0, n_startup=4, seed=0)
    history = optimise(gp, lambda c: (c["log_lr"] + 2.0) ** 2, 14)
    assert abs(min(history, key=lambda h: h[1])[0]["log_lr"] + 2.0) < 0.05


def test_gp_without_polishing_proposes_the_best_candidate_or_the_polished_incumbent(monkeypatch):
    import hpolib.optimizers.gp as gp_module

    f = Branin()
    optimizer = GPOptimizer(f.space, n_polish=0, n_startup=4, n_candidates=200, seed=3)
    for _ in range(7):
        config = optimizer.ask()
        optimizer.tell(config, f(config, None, lambda *a: None))
    seen, polished = {}, []
    maximise, minimize = optimizer._maximise, gp_module.minimize

    def spy_maximise(model, best, rng, incumbent):
        seen.update(model=model, best=best, incumbent=incumbent, rng=copy.deepcopy(rng))
        seen["winner"] = maximise(model, best, rng, incumbent)
        return seen["winner"]

    def spy_minimize(fun, x0, **kwargs):
        result = minimize(fun, x0, **kwargs)
        polished.append((x0.copy(), result.x, -result.fun))
        return result

    monkeypatch.setattr(optimizer, "_maximise", spy_maximise)
    monkeypatch.setattr(gp_module, "minimize", spy_minimize)
    proposal = optimizer.ask()
    (start, end, end_score), = polished  # n_polish=0: the incumbent alone is polished
    assert np.array_equal(start, seen["incumbent"])
    candidates = optimizer.encoding.random(seen["rng"], 200)  # the candidates _maximise drew
    scores = optimizer.score(seen["model"], candidates, seen["best"])
    best_candidate = candidates[np.argmax(scores)]
    expected = end if end_score > scores.max() else best_candidate
    assert np.array_equal(seen["winner"], expected)
    assert proposal == optimizer.encoding.decode(expected)


@pytest.mark.parametrize("cls", [RandomSearch, GridSearch, TPE, GPOptimizer, PSO, GeneticAlgorithm, BOHB, CMAES])
def test_settings_after_the_space_are_keyword_only(cls):
    with pytest.raises(TypeError, match="positional argument"):
        cls(MIXED, 3)


def test_cmaes_restarts_with_twice_the_population_and_restore_replays_across_a_restart():
    """On a flat loss every run stops on its range of values; each IPOP restart doubles the population, and a
    rebuilt strategy told the history (a trial left running at the end) proposes what the first would."""
    space = Space({"x": Float(0, 1), "k": Int(0, 3)})
    straight = CMAES(space, population_size=4, restarts=2, seed=0)
    history = []
    for _ in range(300):
        config = straight.ask()
        history.append((config, 1.0, None))
        straight.tell(config, 1.0)
    assert straight.restart == 2 and straight.population_size == 16
    running = straight.ask()
    rebuilt = CMAES(space, population_size=4, restarts=2, seed=0)
    rebuilt.restore(301, history)
    assert (rebuilt.restart, rebuilt.generation, rebuilt.n_asked) == (2, straight.generation, 301)
    rebuilt.tell(running, 0.5)
    straight.tell(running, 0.5)
    assert [rebuilt.ask() for _ in range(10)] == [straight.ask() for _ in range(10)]


def test_cmaes_rounds_integers_unless_told_to_learn_them_as_discrete_coordinates_with_margin():
    plain = CMAES(MIXED, seed=0)  # lr, width (log: continuous), depth (linear), act (3 coordinates)
    assert not plain.steps.any() and type(plain._engine).__name__ == "CMA"
    cma = CMAES(MIXED, with_margin=True, seed=0)  # depth becomes a discrete coordinate, width stays continuous
    assert cma.steps.tolist() == [0.0, 0.0, 0.25, 0.0, 0.0, 0.0]
    assert cma.bounds[2].tolist() == [0.125, 0.875]
    assert type(cma._engine).__name__ == "CMAwM"
