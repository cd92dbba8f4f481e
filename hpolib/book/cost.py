"""What a chapter's profile costs in training images, and in GPU-hours at a measured throughput.

A profile's settings say how many runs train how many epochs (or steps) on how
many images; ``benchmarks/training_throughput.py`` measured how many images a
second each network trains at on a GPU. Their quotient is an estimate: it
counts training images only (evaluation is a forward pass on the validation
split, a tenth to two-fifths of the pool, and data loading overlaps), on one
GPU a trial. A chapter that trains several networks, or one network at
several resolutions, has its images counted by network.

>>> settings = {"methods": ["random", "tpe"], "seeds": [0], "headline_seeds": [0, 1], "budget": 10,
...             "final_epochs": 2, "retrain_recipes": ["hpolib"], "retrain_seeds": [0], "subset": None}
>>> lenet_images(settings)  # 3 runs x 10 epochs x 45,000, 3 confirmations and 3 retrainings x 2 x 50,000
1950000
"""

from __future__ import annotations

import json
from pathlib import Path

from ..studies.lenet import HEADLINE
from .claims import TRAINING_POOL
from .profiles import resolve

__all__ = ["lenet_images", "autolrs_images", "lcm_pbt_networks", "lcm_pbt_images", "iis_network", "iis_network_name",
           "iis_images", "gpu_hours_table"]

CIFAR10_TRAIN = TRAINING_POOL["cifar10"]  # the chapters hold a tenth out for validation when they search
POOL = {**TRAINING_POOL, "stl10": 5_000}  # STL-10's labelled training images (the IIS chapter's `paper` data)


def lenet_images(settings: dict) -> int:
    """Training images of the LeNet chapter: each search run's budget in epochs on the training split, its best
    configuration confirmed on all training images, and the report's three configurations retrained per recipe
    and seed."""
    pool = settings["subset"] or CIFAR10_TRAIN
    runs = sum(len(settings["headline_seeds"] if m in HEADLINE else settings["seeds"]) for m in settings["methods"])
    search = runs * settings["budget"] * round(0.9 * pool)
    confirm = runs * settings["final_epochs"] * CIFAR10_TRAIN
    retrain = 3 * len(settings["retrain_recipes"]) * len(settings["retrain_seeds"]) * settings["final_epochs"]
    return search + confirm + retrain * CIFAR10_TRAIN


def autolrs_images(settings: dict) -> int:
    """Training images of the AutoLRS chapter: the constant grid on the first two seeds, then on every seed the
    tuned constant (past those two), the fixed schedules and AutoLRS with its exploration, each ``steps`` batches;
    each ablation variant once."""
    from ..studies.autolrs import TUNING_SEEDS, baselines, constants

    seeds = settings["seeds"]
    tuning = seeds[:TUNING_SEEDS]
    runs = len(tuning) * len(constants(settings)) + (len(seeds) - len(tuning)) + len(seeds) * len(
        baselines(settings))
    autolrs = (len(seeds) + len(settings["ablations"])) * (1 + settings["explore_fraction"])
    return round((runs + autolrs) * settings["steps"] * settings["batch_size"])


def _training_images(dataset: str, subset: int | None, val_fraction: float) -> int:
    """The training split :func:`hpolib.dl.data.load` makes: the pool (``subset``, else all of ``dataset``'s training
    images) less the share held out for validation."""
    pool = subset or POOL[dataset]
    return pool - max(1, round(val_fraction * pool))


def lcm_pbt_networks(settings: dict) -> tuple[str, str, str]:
    """The LCM and PBT chapter's networks as ``benchmarks/training_throughput.py`` names them: LCM's MLP (one hidden
    layer of ``width``), PBT's (two sigmoid layers of ``width``), both on MNIST's 784 pixels, and the four-conv
    network of ``cnn_width``.

    >>> lcm_pbt_networks({"width": 128, "cnn_width": 16})
    ('MLP 784-128-10', 'MLP 784-128-128-10 sigmoid', 'four-conv 16/16/32/32')
    """
    w, c = settings["width"], settings["cnn_width"]
    return f"MLP 784-{w}-10", f"MLP 784-{w}-{w}-10 sigmoid", f"four-conv {c}/{c}/{2 * c}/{2 * c}"


def lcm_pbt_images(settings: dict) -> dict[str, int]:
    """Training images of the LCM and PBT chapter, by network (:func:`lcm_pbt_networks`).

    Each LCM experiment (the MLP on ``dataset``; the four-conv network on ``cnn_dataset``, its ``cnn_`` settings):
    per seed, random search's ``n_trials`` trials to the last epoch, and LCM's on the same configurations also
    counted to the last epoch, an upper bound (LCM stops trials early; how many is known once it ran: at least its
    first ``ceil(n_trials * split_rate)`` trials run to the end, the others to the first checkpoint), plus the one
    untimed warm-up epoch before the experiment (a serial run's). PBT: the three populations of every seed of
    ``pbt_seeds`` (PBT, without perturbation, without exploitation), ``population_size`` members of ``pbt_epochs``
    each, on the MLP's data: exact without exploitation, an upper bound with it (a member that copies one ahead of
    it skips the epochs between).

    >>> settings = {"width": 8, "cnn_width": 2, "dataset": "mnist", "subset": 1000, "val_fraction": 0.1,
    ...             "seeds": [0], "n_trials": 3, "epochs": 2, "pbt_seeds": [0], "population_size": 2,
    ...             "pbt_epochs": 4, "cnn_dataset": "cifar10", "cnn_subset": None, "cnn_val_fraction": 0.1,
    ...             "cnn_seeds": [0, 1], "cnn_trials": 2, "cnn_epochs": 3}
    >>> lcm_pbt_images(settings)  # (2 x 3 x 2 + 1) x 900; 3 x 2 x 4 x 900; (2 x 2 x 2 x 3 + 1) x 45,000
    {'MLP 784-8-10': 11700, 'MLP 784-8-8-10 sigmoid': 21600, 'four-conv 2/2/4/4': 1125000}
    """
    from ..studies.lcm_pbt import ARMS

    s = settings
    mlp, pbt, cnn = lcm_pbt_networks(s)
    images = _training_images(s["dataset"], s["subset"], s["val_fraction"])
    cnn_images = _training_images(s["cnn_dataset"], s["cnn_subset"], s["cnn_val_fraction"])
    return {mlp: (2 * len(s["seeds"]) * s["n_trials"] * s["epochs"] + 1) * images,
            pbt: len(ARMS) * len(s["pbt_seeds"]) * s["population_size"] * s["pbt_epochs"] * images,
            cnn: (2 * len(s["cnn_seeds"]) * s["cnn_trials"] * s["cnn_epochs"] + 1) * cnn_images}


def iis_network(settings: dict) -> dict:
    """The IIS chapter's network measured for its cost: the middle of its search space (each parameter at the
    middle of its range, on its scale: the number of conv layers, their filters and kernels, the dense layers and
    units, and the batch size), whose throughput stands for all the sizes it searches."""
    from ..studies.iis_fanova import search_space

    space = search_space(settings)
    return space.from_unit([0.5] * len(space))


def iis_network_name(settings: dict, px: int) -> str:
    """``IIS CNN 15/15/63 k4 32 px``: :func:`iis_network`'s filters per conv layer and dense units, its kernel
    size, at ``px`` pixels a side, as ``benchmarks/training_throughput.py`` names it."""
    net = iis_network(settings)
    layers = [str(net[f"filters_{i}"]) for i in range(1, net["conv_layers"] + 1)]
    dense = [str(net["dense_units"])] * net["dense_layers"]
    return f"IIS CNN {'/'.join(layers + dense)} k{net['kernel_1']} {px} px"


def iis_images(settings: dict) -> dict[str, int]:
    """Training images of the IIS and fANOVA chapter, by resolution (:func:`iis_network` at each of ``resolutions``:
    images of 8 px and of 32 px do not cost alike, so they are kept apart rather than summed into one count).

    At each resolution: every optimiser's direct search of ``evaluations`` trials, once per seed; and the stage at
    that resolution of every optimiser's IIS run in each of its two variants (warm start, narrowed), once per seed,
    of ``iis_evaluations`` trials (the carried configurations among them). Every trial is counted to ``epochs`` on
    the training split: an upper bound, as a trial stops after ``patience`` epochs without progress.

    >>> settings = {"optimizers": ["random", "tpe"], "seeds": [0], "resolutions": [8, 16], "evaluations": 4,
    ...             "iis_evaluations": [3, 1], "epochs": 2, "dataset": "cifar10", "subset": 1000,
    ...             "val_fraction": 0.1, "lr_range": (1e-4, 0.3), "filters": (4, 64), "kernels": (2, 5),
    ...             "dense_layers": (0, 2), "dense_units": (16, 256), "batch_size": (16, 256), "l1": (1e-7, 1e-3),
    ...             "l2": (1e-7, 1e-3), "conv_layers": (1, 3)}
    >>> iis_images(settings)  # 2 optimisers x (4 direct + 2 variants x 3 or 1) x 2 epochs x 900
    {'IIS CNN 15/15/63 k4 8 px': 36000, 'IIS CNN 15/15/63 k4 16 px': 21600}
    """
    from ..studies.iis_fanova import VARIANTS

    s = settings
    images = _training_images(s["dataset"], s["subset"], s["val_fraction"])
    runs = len(s["optimizers"]) * len(s["seeds"])
    return {iis_network_name(s, px): runs * (s["evaluations"] + len(VARIANTS) * n) * s["epochs"] * images
            for px, n in zip(s["resolutions"], s["iis_evaluations"])}


def gpu_hours_table(results: Path, profile: str = "paper") -> str:
    """A Markdown table of each chapter's training images at ``profile`` and its GPU-hours at the throughput
    measured on a GPU (``training_throughput_cuda.json``), where every network it trains was measured."""
    path = results / "training_throughput_cuda.json"
    if not path.exists():
        return "No GPU throughput measured yet: run `python benchmarks/training_throughput.py` on a GPU.\n"
    measured = json.loads(path.read_text())
    rate = {r["network"]: r["images_per_s"] for r in measured["precision"] if r["variant"] == "float32"}
    lines = [f"| chapter at `{profile}` | training images | network measured | images/s | GPU-hours |",
             "|---|--:|---|--:|--:|"]
    lines += [_row(chapter, images, rate) for chapter, images in _chapters(profile)]
    return "\n".join(lines) + (f"\n\nThroughput in float32 on one {measured['gpu']} (PyTorch {measured['torch']}), "
                               "training images only. LCM, PBT and IIS are upper bounds: every trial counted to its "
                               "last epoch; the IIS network is the middle of its search space.\n")


def _chapters(profile: str) -> list[tuple[str, dict[str, int]]]:
    """Each chapter's training images at ``profile``, by network."""
    lenet, autolrs = resolve("lenet_hpo", profile, {}), resolve("autolrs", profile, {})
    iis = resolve("iis_fanova", profile, {})
    network = "VGG-16" if autolrs["width_multiplier"] == 1 else f"VGG-16 x{autolrs['width_multiplier']:g}"
    return [("LeNet-5 widths", {"LeNet-5 26/19/40/324": lenet_images(lenet)}),
            ("AutoLRS", {network: autolrs_images(autolrs)}),
            ("LCM and PBT", lcm_pbt_images(resolve("lcm_pbt", profile, {}))),
            (f"IIS and fANOVA ({', '.join(map(str, iis['resolutions']))} px)", iis_images(iis))]


def _row(chapter: str, images: dict[str, int], rate: dict[str, float]) -> str:
    """A chapter's row: its images in all, its networks, and their rates and GPU-hours if every one was measured."""
    total = _count(sum(images.values()))
    if any(net not in rate for net in images):
        nets = ", ".join(net if net in rate else f"{net}: not measured" for net in images)
        return f"| {chapter} | {total} | {nets} | | |"
    hours = sum(n / rate[net] for net, n in images.items()) / 3600
    return (f"| {chapter} | {total} | {', '.join(images)} | {' / '.join(f'{rate[net]:,.0f}' for net in images)} "
            f"| {hours:,.1f} |")


def _count(images: float) -> str:
    """``5.5 billion``, ``112 million``."""
    return f"{images / 1e9:.2g} billion" if images >= 1e9 else f"{images / 1e6:.3g} million"
