"""One set of display names: what the book's tables, figures, ledger and prose call a method, a problem, a
parameter or a column, so a reader never meets a library id.

>>> name("hpolib-gp"), name("svm_digits"), name("filters_2"), name("c5")
('GP', 'SVM on digits', 'filters, conv layer 2', 'C5 width')
>>> name("something_new")  # an id without a name is shown as words, never dropped
'something new'
"""

from __future__ import annotations

import re

__all__ = ["METHODS", "PROBLEMS", "PARAMETERS", "DATASETS", "CHAPTERS", "name", "benchmark_name"]

METHODS = {
    # optimisers of hpolib, and their peers on the benchmarks
    "grid": "grid search", "random": "random search", "tpe": "TPE", "gp": "GP-BO", "pso": "PSO", "ga": "GA",
    "cmaes": "CMA-ES", "hpolib-tpe": "TPE", "hpolib-gp": "GP", "hpolib-pso": "PSO", "hpolib-ga": "GA",
    "hpolib-random": "random", "hpolib-cmaes": "CMA-ES", "hpolib-gp-plain": "GP, standardised",
    "optuna-tpe": "Optuna TPE", "optuna-gp": "Optuna GP", "optuna-random": "Optuna random",
    "optuna-cmaes": "Optuna CMA-ES", "skopt-gp": "skopt GP", "pyswarms-pso": "pyswarms",
    # schedulers and the methods built on them
    "sha": "successive halving", "asha": "ASHA", "hyperband": "Hyperband", "bohb": "BOHB", "dehb": "DEHB",
    "lcm": "LCM", "pbt": "PBT", "pbt_no_perturbation": "PBT without perturbation", "median": "median stopping",
    "hpolib-hyperband": "Hyperband", "hpolib-bohb": "BOHB", "hpolib-asha": "ASHA", "hpolib-lcm": "LCM",
    "hpolib-dehb": "DEHB", "hpbandster-bohb": "HpBandSter BOHB", "autolrs": "AutoLRS", "iis": "IIS",
}

CHAPTERS = {"lenet_hpo": "LeNet-5 widths", "autolrs": "AutoLRS", "lcm_pbt": "LCM and PBT",
            "iis_fanova": "Increasing image sizes and fANOVA"}

PROBLEMS = {
    "branin": "Branin", "hartmann3": "Hartmann-3", "hartmann6": "Hartmann-6", "rosenbrock4": "Rosenbrock-4D",
    "bowl4": "off-centre bowl 4-D", "integers6": "integer bowl 6-D", "levy4": "Levy-4D", "levy10": "Levy-10D",
    "mixed": "mixed space", "svm_digits": "SVM on digits", "boosting": "gradient boosting (CV)",
    "mlp_digits": "MLP on digits", "lenet_widths": "LeNet-5 widths",
    # the integer family: bowls over integers, alone or beside floats and a categorical
    "int2_wide": "2 wide integers", "int8_narrow": "8 narrow integers", "int3_floats": "3 integers and 2 floats",
    "int5_categorical": "5 integers and a categorical", "int6_coupled": "6 coupled integers",
    "float6_coupled": "6 coupled floats",
    # families the landscape benchmark runs at several dimensions
    "rosenbrock": "Rosenbrock", "bowl": "off-centre bowl", "levy": "Levy", "ackley": "Ackley",
}

DATASETS = {
    "cifar10": "CIFAR-10", "mnist": "MNIST", "fashion_mnist": "Fashion-MNIST", "digits": "scikit-learn's 8x8 digits",
    "mnist5k": "a 5,000-image MNIST sample", "stl10": "STL-10", "flowers102": "Oxford Flowers-102",
    "cifar100": "CIFAR-100",
}

PARAMETERS = {
    "c1": "C1 width", "c3": "C3 width", "c5": "C5 width", "f6": "F6 width", "lr": "learning rate",
    "learning_rate": "learning rate", "learning_rate_init": "learning rate", "momentum": "momentum",
    "weight_decay": "weight decay", "batch_size": "batch size", "l1": "L1 penalty", "l2": "L2 penalty",
    "lr_decay": "learning-rate decay", "lr_decay_every": "decay every (epochs)", "conv_layers": "conv layers",
    "dense_layers": "dense layers", "dense_units": "dense units", "hidden": "hidden units", "alpha": "L2 penalty",
    "activation": "activation", "C": "C", "gamma": "gamma", "kernel": "kernel", "degree": "degree",
    "coef0": "coef0", "max_iter": "boosting rounds", "max_leaf_nodes": "leaves per tree",
    "min_samples_leaf": "samples per leaf", "l2_regularization": "L2 penalty",
}

_NUMBERED = ((r"filters_(\d+)", "filters, conv layer {}"), (r"kernel_(\d+)", "kernel size, conv layer {}"),
             (r"width_(\d+)", "width, layer {}"))


def name(key: str) -> str:
    """What the book calls ``key`` (a method, problem or parameter id); an unknown id as words."""
    for table in (METHODS, PROBLEMS, PARAMETERS, DATASETS, CHAPTERS):
        if key in table:
            return table[key]
    for pattern, text in _NUMBERED:
        found = re.fullmatch(pattern, key)
        if found:
            return text.format(found.group(1))
    return key.replace("_", " ")


_BENCHMARK_PEERS = {"dehb": "dehb package"}  # on the benchmarks, "dehb" is the package beside hpolib's DEHB


def benchmark_name(key: str) -> str:
    """What the benchmark tables and figures call ``key``: as :func:`name`, a peer package by its own name."""
    return _BENCHMARK_PEERS.get(key) or name(key)
