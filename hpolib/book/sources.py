"""The study's five sources and the numbers they state, written once: chapters and the claims ledger read them here.

Each number is as its source states it (percent where the source writes percent); what a number means and
where it comes from in the source is said beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Source", "SOURCES", "LENET_REPORT", "LENET_GRID_EPOCHS", "AUTOLRS", "LCM", "LCM_FIXED_TIME", "PBT",
           "IIS_TIME_REDUCTION"]


@dataclass(frozen=True)
class Source:
    """One source: who wrote it, what it is, and its bibliography keys (``book/references.bib``)."""

    key: str
    authors: str
    what: str
    cite: str


SOURCES = {s.key: s for s in (
    Source("000", "Goulas and Hocquette", "LeNet-5 HPO comparison on CIFAR-10 (project report)", "goulas"),
    Source("001", "Sharma", "AutoLRS reproduction (course report)", "sharma"),
    Source("002", "Ouyang and McBride", "learning-curve matching and PBT (MagmaDNN slides)", "ouyang"),
    Source("003", "IDRIS", "HPO on the Jean Zay supercomputer (slides)", "idris"),
    Source("004", "Hinz et al.", "increasing image sizes and fANOVA (notes on Hinz et al. 2018)", "hinz2018"),
    Source("jin2021", "Jin et al.", "AutoLRS (ICLR 2021), the paper source 001 reproduces", "jin2021"),
)}

LENET_REPORT = {  # the report's table: each method's best widths and the validation accuracy it reached, in %
    "random": {"f6": 224, "c1": 27, "c3": 30, "c5": 40, "accuracy": 67.83},
    "pso": {"f6": 324, "c1": 26, "c3": 19, "c5": 40, "accuracy": 66.8},
    "bohb": {"f6": 318, "c1": 30, "c3": 15, "c5": 44, "accuracy": 66.5},
}
LENET_GRID_EPOCHS = 740e6  # the report's estimate of a full grid over its ranges at 40 epochs a point

AUTOLRS = {"cifar10": {"paper": 94.13, "reproduction": 93.79},  # VGG-16 test accuracy, %
           "cifar100": {"reproduction": 74.04}}

LCM = {  # the slides' tables: seconds of compute and best accuracy (%) of LCM and random search
    "mnist": {"lcm_seconds": 778.5, "random_seconds": 3657.75, "lcm": 97.10, "random": 97.41, "repeats": 9,
              "same_optimum": 5},
    "cifar10": {"lcm_seconds": 8069, "random_seconds": 26498, "lcm": 67.05, "random": 67.26, "repeats": 12,
                "same_optimum": 7},
}
LCM_FIXED_TIME = {  # the slides' fixed-computing-time table, 5 repeats: budgets in seconds, best accuracy (%) in each
    "mnist": {"seconds": (100, 200, 400, 800, 1600), "lcm": (96.274, 96.996, 97.01, 97.082, 97.22),
              "random": (95.562, 96.24, 96.346, 96.294, 95.44), "repeats": 5},
    "cifar10": {"seconds": (1000, 2000, 4000, 8000), "lcm": (59.23, 65.06, 65.07, 67.74),
                "random": (57.96, 61.86, 62.72, 66.88), "repeats": 5},
}
PBT = {"perturbed": {"best": 0.9574, "mean": 0.934}, "unperturbed": {"best": 0.957, "mean": 0.923}}  # MNIST

IIS_TIME_REDUCTION = (0.09, 0.42)  # "Between 9% to 42% time reduction"
