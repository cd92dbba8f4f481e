"""Profiles: the scale a study notebook runs at, and every knob's default at that scale.

``smoke`` (bundled data, seconds: the nbval baselines), ``quick`` (bundled
data, minutes: the default main job), ``full`` (real datasets from the data
root, CPU-sized subsets and budgets: the published book) and ``paper`` (the
source studies' own budgets, for a GPU). A notebook's parameters cell sets
``profile`` and leaves every other knob ``None``; :func:`resolve` fills what
was not set from the profile, so ``papermill -p profile quick -p seeds "[3]"``
changes one knob and keeps the rest.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

from .display import Callout

PROFILE_NAMES = ("smoke", "quick", "full", "paper")

_LENET_SPACE = {"c1": (1, 32), "c3": (1, 32), "c5": (40, 130), "f6": (125, 325)}  # the source report's ranges
_LENET_WIDE = {"wide_c1": (1, 64), "wide_c3": (1, 64), "wide_c5": (40, 256), "wide_f6": (125, 512)}  # about twice

_IIS_SPACE = dict(lr_range=(1e-4, 0.3), filters=(4, 64), kernels=(2, 5), dense_layers=(0, 2), dense_units=(16, 256),
                  batch_size=(16, 256), l1=(1e-7, 1e-3), l2=(1e-7, 1e-3))  # Hinz et al. (2018): per-layer conv
# settings, dense layers, batch size, L1 and L2 (the paper's exact bounds are not in the source notes)

# The AutoLRS paper's VGG-16 baseline: lr 0.1, x0.1 after 150 and 250 of 350 epochs; cosine and one-cycle beside it
_AUTOLRS_BASELINES = dict(schedules=["step", "cosine", "onecycle"], step_milestones=[150 / 350, 250 / 350])

# What every profile of a study shares; each profile below states only what sets its scale.
_SHARED = {
    "lenet_hpo": dict(size=32, min_epochs=1, grid_resolution=2, retrain_recipes=["hpolib", "pytorch-tutorial",
                      "relu-crop-flip", "adam-crop-flip"], wide_methods=["random", "tpe"], **_LENET_SPACE,
                      **_LENET_WIDE),
    # fixed_fractions: the equal budgets of the fixed-time comparison, shares of what LCM spent in all (the slides
    # double theirs, 100 to 1,600 s); val_fraction: the share of the training pool held out for validation
    "lcm_pbt": dict(ready=1, lr_range=(1e-4, 0.2), decay_range=(0.5, 1.0), decay_every=(1, 3), perturb=(0.8, 1.2),
                    resample_probability=0.25, split_rate=0.1, early_stopping_rate=0.995, n_neighbours=3,
                    fixed_fractions=[1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0], val_fraction=0.1, cnn_val_fraction=0.1),
    "iis_fanova": dict(grayscale=True, optimizers=["random", "tpe", "ga"], narrow_margin=0.1, val_fraction=0.1,
                       **_IIS_SPACE),
    "autolrs": dict(base_lr=0.1, constant_lrs=[0.01, 0.03, 0.1], **_AUTOLRS_BASELINES, lr_min=1e-3, lr_max=0.1,
                    kappa=1e6, loss="train", momentum=0.9, weight_decay=5e-4, seeds=[0], ablations=[],
                    smooth_evaluations=3),
}

_SCALES: dict[str, dict[str, dict]] = {
    "lenet_hpo": {
        "smoke": dict(dataset="digits", subset=500, grayscale=True, seeds=[0], headline_seeds=[0, 1], epochs=2,
                      budget=6, methods=["random", "tpe", "pso", "bohb"], final_epochs=2, retrain_seeds=[0],
                      retrain_recipes=["hpolib", "relu-crop-flip"], wide_methods=["random"], wide_seeds=[0]),
        # the report's three methods on two seeds, the rest on one; one-epoch confirmations on the 1,437 training
        # and validation images of scikit-learn's digits
        "quick": dict(dataset="digits", subset=400, grayscale=True, seeds=[0], headline_seeds=[0, 1],
                      epochs=3, budget=9, methods=["grid", "random", "pso", "ga", "tpe", "gp", "hyperband", "bohb",
                               "dehb"], final_epochs=1, retrain_seeds=[0], retrain_recipes=["hpolib", "relu-crop-flip"],
                      wide_methods=["random"], wide_seeds=[0]),
        # 6-epoch trials on a fifth of CIFAR-10, 50 of them per run (60 full-data epochs); the report's three
        # methods on five seeds, the rest on two; every run's best retrained for the report's 40 epochs
        "full": dict(dataset="cifar10", subset=10000, grayscale=False, seeds=[0, 1], headline_seeds=[0, 1, 2, 3, 4],
                     epochs=6, budget=300, min_epochs=2, methods=["grid", "random", "pso", "ga", "tpe", "gp",
                                                                  "hyperband", "bohb", "dehb"],
                     grid_resolution=3, final_epochs=40, retrain_seeds=[0, 1, 2], wide_seeds=[0, 1, 2]),
        "paper": dict(dataset="cifar10", subset=None, grayscale=False, seeds=[0, 1, 2], headline_seeds=[0, 1, 2, 3, 4],
                      epochs=40, budget=4000, min_epochs=10, methods=["grid", "random", "pso", "ga", "tpe", "gp",
                                                                      "hyperband", "bohb", "dehb"],
                      grid_resolution=3, final_epochs=40, retrain_seeds=[0, 1, 2], wide_seeds=[0, 1, 2]),
    },
    "lcm_pbt": {
        "smoke": dict(dataset="digits", subset=None, seeds=[0], n_trials=12, epochs=6, checkpoints=[2, 3],
                      split_rate=0.25, early_stopping_rate=0.99, n_neighbours=2, population_size=4, pbt_epochs=4,
                      pbt_seeds=[0], width=64, cnn_dataset="digits", cnn_subset=None, cnn_seeds=[0], cnn_trials=6,
                      cnn_epochs=4, cnn_checkpoints=[2], cnn_width=4),
        "quick": dict(dataset="mnist5k", subset=2500, seeds=[0, 1], n_trials=12, epochs=6, checkpoints=[2, 3],
                      population_size=6, pbt_epochs=5, pbt_seeds=[0, 1], width=128, cnn_dataset="mnist5k",
                      cnn_subset=500, cnn_seeds=[0, 1], cnn_trials=6, cnn_epochs=4, cnn_checkpoints=[2],
                      cnn_width=8),
        # the slides' repetitions: 9 on MNIST, 12 on CIFAR-10; 2,000 validation images in each (CIFAR-10: 3,000
        # training images, as before, and 2,000 held out); PBT's two effects on 6 seeds (the fewest on which two
        # Holm-corrected one-sided tests can each reach p < 0.05)
        "full": dict(dataset="mnist", subset=20000, seeds=list(range(9)), n_trials=40, epochs=10, checkpoints=[2, 4],
                     population_size=10, pbt_epochs=15, pbt_seeds=list(range(6)), width=128, cnn_dataset="cifar10",
                     cnn_subset=5000, cnn_val_fraction=0.4, cnn_seeds=list(range(12)), cnn_trials=20, cnn_epochs=8,
                     cnn_checkpoints=[2, 4], cnn_width=16),
        "paper": dict(dataset="mnist", subset=None, seeds=list(range(9)), n_trials=100, epochs=20,
                      checkpoints=[3, 6], population_size=10, pbt_epochs=30, ready=2, pbt_seeds=list(range(6)),
                      width=128, cnn_dataset="cifar10", cnn_subset=None, cnn_seeds=list(range(12)), cnn_trials=100,
                      cnn_epochs=20, cnn_checkpoints=[3, 6], cnn_width=32),
    },
    "iis_fanova": {
        "smoke": dict(dataset="digits", subset=None, resolutions=[4, 8], evaluations=8, iis_evaluations=[5, 3],
                      seeds=[0, 1], epochs=3, patience=2, carry=2, narrow_top=3, conv_layers=(1, 2)),
        "quick": dict(dataset="mnist5k", subset=600, resolutions=[7, 14, 28], evaluations=8,
                      iis_evaluations=[4, 3, 1], seeds=[0], epochs=2, patience=2, carry=2, narrow_top=3,
                      conv_layers=(1, 2)),
        # the source's stage shares (1/2, 1/3, 1/6 of the evaluations) at its ratios of resolution (1/4, 1/2, 1);
        # 3,000 training and 1,000 validation images (one is 0.1 pp)
        "full": dict(dataset="cifar10", subset=4000, val_fraction=0.25, resolutions=[8, 16, 32], evaluations=40,
                     iis_evaluations=[20, 13, 7], seeds=[0, 1, 2], epochs=10, patience=3, carry=3, narrow_top=5,
                     conv_layers=(1, 3)),
        "paper": dict(dataset="stl10", subset=None, val_fraction=0.2, resolutions=[32, 64, 96], evaluations=1500,
                      iis_evaluations=[750, 500, 250], seeds=[0, 1, 2], epochs=100, patience=5, carry=10,
                      narrow_top=25, conv_layers=(1, 5)),
    },
    "autolrs": {
        "smoke": dict(dataset="digits", subset=None, grayscale=True, depth=11, width_multiplier=0.0625, steps=100,
                      batch_size=64, val_size=128, constant_lrs=[0.01, 0.1], tau=20, tau_max=40, k=3,
                      explore_fraction=0.25, ablations=[{"name": "tau' = tau / 2", "explore_fraction": 0.5}]),
        "quick": dict(dataset="mnist5k", subset=3000, grayscale=True, depth=11, width_multiplier=0.0625, steps=120,
                      batch_size=128, val_size=200, tau=15, tau_max=60, k=5, explore_fraction=0.2,
                      constant_lrs=[0.01, 0.1]),
        # 30 epochs of the 45,000 training images (352 steps each); stages of 2, 4 and then 8 epochs
        "full": dict(dataset="cifar10", subset=None, grayscale=False, depth=16, width_multiplier=0.125, steps=10560,
                     batch_size=128, val_size=1000, tau=704, tau_max=2816, k=10, explore_fraction=0.1, seeds=[0, 1, 2],
                     constant_lrs=[0.003, 0.01, 0.03, 0.1, 0.3],
                     ablations=[{"name": "validation loss", "loss": "validation"},
                                {"name": "tau' = tau / 5, k = 5", "explore_fraction": 0.2, "k": 5},
                                {"name": "k = 5: half the exploration", "k": 5},
                                {"name": "lr in [0.01, 0.3]", "lr_min": 0.01, "lr_max": 0.3}]),
        # 350 epochs, as the paper's VGG-16 baseline and the authors' example
        "paper": dict(dataset="cifar10", subset=None, grayscale=False, depth=16, width_multiplier=1.0, steps=123200,
                      batch_size=128, val_size=1000, tau=1000, tau_max=8000, k=10, explore_fraction=0.1),
    },
}

PROFILES: dict[str, dict[str, dict]] = {
    study: {profile: {**_SHARED[study], **scale} for profile, scale in scales.items()}
    for study, scales in _SCALES.items()}
"""Every knob of every study at every profile: what the study shares, then what sets the profile's scale."""

# The arithmetic of training at each profile (hpolib.dl.precision): smoke trains in float64 so that its nbval
# baselines hold on every CPU, whatever its vector units round differently in float32; full and paper in
# bfloat16 on a CPU that computes it natively (auto), which trains the study's networks up to twice as fast.
PRECISION = {"smoke": "float64", "quick": "float32", "full": "auto", "paper": "auto"}
for _study in PROFILES.values():
    for _profile, _settings in _study.items():
        _settings["precision"] = PRECISION[_profile]


FOLLOWS = {"headline_seeds": "seeds", "cnn_seeds": "seeds", "retrain_seeds": "seeds", "wide_seeds": "seeds",
           "pbt_seeds": "seeds"}
"""Knobs that take the value of another when only that other is given: ``seeds`` sets every method's seeds
unless the more seeds some methods run at a profile (``headline_seeds``: the report's three methods) are given
too."""


def resolve(study: str, profile: str, given: dict) -> dict:
    """The settings of ``study`` at ``profile``: the profile's defaults, overridden by the non-``None`` ``given``.

    A knob of :data:`FOLLOWS` that is not given follows its leader where that is given, so
    ``-p seeds=[7]`` runs every method on seed 7 alone.

    Raises a ValueError naming the valid choices for an unknown study,
    profile or setting.

    >>> s = resolve("lenet_hpo", "full", {"seeds": [7]})
    >>> s["seeds"], s["headline_seeds"], s["retrain_seeds"]
    ([7], [7], [7])
    """
    if study not in PROFILES:
        raise ValueError(f"unknown study {study!r}; known: {', '.join(PROFILES)}")
    if profile not in PROFILE_NAMES:
        raise ValueError(f"profile must be one of {', '.join(PROFILE_NAMES)}, got {profile!r}")
    defaults = PROFILES[study][profile]
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ValueError(f"unknown settings {unknown} for {study}; valid: {', '.join(sorted(defaults))}")
    settings = {key: given[key] if given.get(key) is not None else value for key, value in defaults.items()}
    for knob, leader in FOLLOWS.items():
        if knob in settings and given.get(knob) is None and given.get(leader) is not None:
            settings[knob] = given[leader]
    check(study, settings)
    return settings


def resolve_namespace(study: str, namespace: Mapping) -> dict:
    """:func:`resolve` for a notebook: ``profile`` and every knob of ``study`` that ``namespace`` (the
    notebook's ``globals()``, after its parameters cell) defines.

    >>> resolve_namespace("iis_fanova", {"profile": "quick", "seeds": [4], "other": 1})["seeds"]
    [4]
    """
    if study not in PROFILES:
        raise ValueError(f"unknown study {study!r}; known: {', '.join(PROFILES)}")
    knobs = PROFILES[study]["smoke"]
    return resolve(study, namespace["profile"], {k: namespace[k] for k in knobs if k in namespace})


def check(study: str, settings: dict) -> None:
    """Refuse a setting of the wrong type or out of range with a ValueError naming it, its value and what it takes.

    A knob takes what its default is at every profile (``None`` too where a profile has it): True or False,
    a string, a whole number (>= 1 for counts, >= 0 for seeds and ``carry``), a number >= 0, a non-empty
    list of such items, or a ``(low, high)`` pair with low <= high; datasets, methods, optimisers,
    schedules and precisions must be ones that exist.
    """
    for name, value in settings.items():
        defaults = [PROFILES[study][profile][name] for profile in PROFILE_NAMES]
        fits, text = _rule(name, next(d for d in defaults if d is not None))
        if None in defaults:
            fits, text = (lambda v, fits=fits: v is None or fits(v)), f"{text} or None"
        if not fits(value):
            raise ValueError(f"{name} must be {text}, got {value!r}")
    if "iis_evaluations" in settings and len(settings["iis_evaluations"]) != len(settings["resolutions"]):
        raise ValueError(f"iis_evaluations needs one entry per resolution ({len(settings['resolutions'])}), "
                         f"got {settings['iis_evaluations']!r}")
    if "val_fraction" in settings and not 0 < settings["val_fraction"] < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {settings['val_fraction']!r}")


_MAY_BE_ZERO = ("seed", "seeds", "headline_seeds", "cnn_seeds", "retrain_seeds", "wide_seeds", "pbt_seeds", "carry")
_MAY_BE_EMPTY = ("ablations",)


def _rule(name: str, example, low: int | None = None):
    """``(fits, text)``: a test of the values knob ``name`` takes, as its default ``example`` shows, and their
    description; ``low`` is the least whole number (by default 1, or 0 for seeds and ``carry``)."""
    low = (0 if name in _MAY_BE_ZERO else 1) if low is None else low
    if isinstance(example, bool):
        return (lambda v: isinstance(v, bool)), "True or False"
    if isinstance(example, str):
        known = _known().get(name)
        if known is None:
            return (lambda v: isinstance(v, str)), "a string"
        return (lambda v: isinstance(v, str) and v in known), f"one of {', '.join(known)}"
    if isinstance(example, int):
        return (lambda v: _whole(v) and v >= low), f"a whole number >= {low}"
    if isinstance(example, float):
        return (lambda v: _real(v) and v >= 0), "a number >= 0"
    if isinstance(example, dict):
        return (lambda v: isinstance(v, dict)), "a dict"
    item, text = _rule(name, example[0], 0 if isinstance(example, tuple) else low)
    if isinstance(example, tuple):
        return (lambda v: _sequence(v) and len(v) == 2 and all(map(item, v)) and v[0] <= v[1]), \
            f"a pair (low, high) with low <= high, each {text}"
    if name in _MAY_BE_EMPTY:
        return (lambda v: _sequence(v) and all(map(item, v))), f"a list, each {text}"
    return (lambda v: _sequence(v) and len(v) > 0 and all(map(item, v))), f"a non-empty list, each {text}"


def _whole(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _sequence(value) -> bool:
    return isinstance(value, (list, tuple))


def _known() -> dict[str, tuple]:
    """The names a knob may take, where only some exist (imported on use: they need torch)."""
    from ..dl.data import DATASETS
    from ..methods import method_factories
    from ..dl.precision import PRECISIONS
    from ..dl.training import SCHEDULES
    from ..studies.lenet import RECIPES

    return {"dataset": DATASETS, "cnn_dataset": DATASETS, "methods": tuple(method_factories(1, 3)),
            "wide_methods": tuple(method_factories(1, 3)),
            "optimizers": ("random", "tpe", "ga"), "schedules": SCHEDULES, "precision": PRECISIONS,
            "loss": ("train", "validation"), "retrain_recipes": tuple(RECIPES)}


_SCALE_WORDS = {  # what sets a chapter's scale, in the order and words its banner gives them
    "dataset": "data", "subset": "training images", "size": "image size (px)", "resolutions": "resolutions (px)",
    "model": "model", "depth": "depth", "width_multiplier": "width multiplier", "epochs": "epochs per trial",
    "min_epochs": "fewest epochs per trial (Hyperband, BOHB, DEHB)", "steps": "training steps",
    "budget": "epochs per search", "final_epochs": "epochs of a confirmation", "evaluations": "evaluations",
    "iis_evaluations": "IIS evaluations by resolution", "smooth_evaluations": "evaluations a reading averages",
    "seeds": "seeds",
    "headline_seeds": "seeds of the source's methods", "seed": "seed", "cnn_dataset": "network data",
    "cnn_subset": "network training images", "cnn_epochs": "network epochs per trial",
}


def banner(study: str, profile: str, settings: dict) -> Callout:
    """What sets the scale a notebook ran at, in words, shown as a callout at the top of every study page."""
    from .names import name

    scale = {"smoke": "a seconds-long smoke test", "quick": "a minutes-long run on bundled data",
             "full": "a CPU-sized run on real data", "paper": "the source study's own scale"}[profile]
    what = [f"{words} {_value(key, settings[key], name)}" for key, words in _SCALE_WORDS.items() if key in settings]
    what.append(f"arithmetic {_precision(settings['precision'])}")
    return Callout(f"{name(study)} at profile '{profile}' ({scale}): " + "; ".join(what) + ".")


def _value(key: str, value, name) -> str:
    """A setting as the banner writes it: datasets by name, ``None`` subsets as "all", runs of seeds as ranges (other
    lists, such as evaluations by resolution, value by value)."""
    if key.endswith("subset"):
        return "all" if value is None else f"{value:,}"
    if key.endswith("dataset"):
        return name(value)
    if isinstance(value, (list, tuple)):
        whole = all(isinstance(v, int) for v in value)
        if "seed" in key and whole and len(value) > 2 and list(value) == list(range(value[0], value[0] + len(value))):
            return f"{value[0]} to {value[-1]}"
        return ", ".join(map(str, value))
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _precision(setting: str) -> str:
    """The precision setting: ``auto`` with what it resolves to on this machine (trials read back from a store
    trained in what they noted, which the book's reproducibility table shows)."""
    if setting != "auto":
        return setting
    from ..dl.precision import resolve_precision
    from ..dl.training import resolve_device

    return f"auto ({resolve_precision('auto', resolve_device()).name} on this machine)"
