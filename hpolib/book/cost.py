"""What a chapter's profile costs in training images, and in GPU-hours at a measured throughput.

A profile's settings say how many runs train how many epochs (or steps) on how
many images; ``benchmarks/training_throughput.py`` measured how many images a
second each network trains at on a GPU. Their quotient is an estimate: it
counts training images only (evaluation is a forward pass on a tenth of the
data or less, and data loading overlaps), on one GPU a trial.

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

__all__ = ["lenet_images", "autolrs_images", "gpu_hours_table"]

CIFAR10_TRAIN = TRAINING_POOL["cifar10"]  # the chapters hold a tenth out for validation when they search


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


def gpu_hours_table(results: Path, profile: str = "paper") -> str:
    """A Markdown table of each chapter's training images at ``profile`` and its GPU-hours at the throughput
    measured on a GPU (``training_throughput_cuda.json``), for the chapters whose networks were measured."""
    path = results / "training_throughput_cuda.json"
    if not path.exists():
        return "No GPU throughput measured yet: run `python benchmarks/training_throughput.py` on a GPU.\n"
    measured = json.loads(path.read_text())
    rate = {r["network"]: r["images_per_s"] for r in measured["precision"] if r["variant"] == "float32"}
    lenet, autolrs = resolve("lenet_hpo", profile, {}), resolve("autolrs", profile, {})
    network = "VGG-16" if autolrs["width_multiplier"] == 1 else f"VGG-16 x{autolrs['width_multiplier']:g}"
    rows = [("LeNet-5 widths", lenet_images(lenet), "LeNet-5 26/19/40/324"),
            ("AutoLRS", autolrs_images(autolrs), network)]
    lines = [f"| chapter at `{profile}` | training images | network measured | images/s | GPU-hours |",
             "|---|--:|---|--:|--:|"]
    for chapter, images, net in rows:
        if net in rate:
            lines.append(f"| {chapter} | {_count(images)} | {net} | {rate[net]:,.0f} "
                         f"| {images / rate[net] / 3600:,.1f} |")
        else:
            lines.append(f"| {chapter} | {_count(images)} | {net}: not measured | | |")
    lines.append("| LCM and PBT, IIS | | their networks: not measured | | |")
    return "\n".join(lines) + (f"\n\nThroughput in float32 on one {measured['gpu']} (PyTorch {measured['torch']}), "
                               "training images only.\n")


def _count(images: float) -> str:
    """``5.5 billion``, ``112 million``."""
    return f"{images / 1e9:.2g} billion" if images >= 1e9 else f"{images / 1e6:.3g} million"
