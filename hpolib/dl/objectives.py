"""Ready-made objectives for every optimiser and scheduler: ``objective(config, budget, report)``.

:func:`image_classifier` trains one of :mod:`hpolib.dl.models` on one of
:mod:`hpolib.dl.data`'s datasets. A configuration's keys are split between the
model builder (by its signature: ``c1``, ``width``, ``filters``...) and
:func:`hpolib.dl.training.train` (``lr``, ``momentum``, ``batch_size``...);
anything else is an error naming the key. The budget is in epochs; a budget
below one epoch trains one pass over that share of the training set.
``lr_decay`` and ``lr_decay_every`` in a configuration decay the learning
rate by that ratio every so many epochs (:class:`hpolib.dl.training.StepDecay`).

Given a checkpoint folder (``report.checkpoint_dir``), an objective saves its
model, optimiser and random state there at the end; given its parent's
(``report.restore_dir``), it continues from that state with the new
configuration's training settings, so promoted trials (successive halving,
Hyperband, ASHA) and PBT members train on instead of starting again.
"""

from __future__ import annotations

import inspect
import math
import pickle
from pathlib import Path

import torch

from . import data as datasets
from .._checks import check_whole
from .models import MODELS
from .precision import check_precision, default_dtype
from ..space import Int, Space
from .training import StepDecay, evaluate, train

__all__ = ["image_classifier", "ImageClassifier", "cnn_layers_space"]

CHECKPOINT = "checkpoint.pt"  # file name inside a trial's checkpoint folder
_TRAIN_KEYS = {"optimizer", "lr", "momentum", "weight_decay", "l1", "l2", "batch_size", "lr_schedule", "patience",
               "augment"}
_DECAY_KEYS = {"lr_decay", "lr_decay_every"}  # a StepDecay schedule (PBT's decay ratio and pace)


class ImageClassifier:
    """Objective that trains ``model`` on ``dataset`` for ``budget`` epochs; see :func:`image_classifier`."""

    def __init__(self, model, dataset, fixed=None, metric="val_accuracy", max_epochs=10, seed=0, device="auto",
                 test=False, data_options=None, precision="float32"):
        self.build = MODELS[model] if isinstance(model, str) else model
        if not callable(self.build):
            raise ValueError(f"model must be one of {sorted(MODELS)} or a builder function, got {model!r}")
        if isinstance(dataset, str) and dataset not in datasets.DATASETS:
            raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(datasets.DATASETS)}")
        if metric not in ("val_accuracy", "val_loss", "train_loss"):
            raise ValueError(f"metric must be val_accuracy, val_loss or train_loss, got {metric!r}")
        check_whole("max_epochs", max_epochs, 1)
        check_precision(precision)
        self.dataset, self.fixed, self.metric, self.precision = dataset, dict(fixed or {}), metric, precision
        self.max_epochs, self.seed, self.device, self.test = max_epochs, seed, device, test
        self.data_options = dict(data_options or {})
        self._data = dataset if isinstance(dataset, datasets.Dataset) else None
        parameters = inspect.signature(self.build).parameters.values()
        self._builder_keys = {p.name for p in parameters if p.kind is not p.VAR_KEYWORD}
        self._builder_takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters)  # e.g. cnn_from_layers

    def __getstate__(self):  # workers load the data themselves (from the cache) rather than receive it
        state = dict(self.__dict__)
        if not isinstance(self.dataset, datasets.Dataset):
            state["_data"] = None
        return state

    @property
    def data(self) -> datasets.Dataset:
        if self._data is None:
            self._data = datasets.load(self.dataset, **self.data_options)
        return self._data

    def model_for(self, config: dict) -> torch.nn.Module:
        """The network of ``config``, initialised from the objective's seed."""
        data = self.data
        channels, size, _ = data.shape
        implied = {"in_channels": channels, "num_classes": data.num_classes, "input_size": size,
                   "in_features": channels * size * size}
        kwargs = {k: v for k, v in implied.items() if k in self._builder_keys}
        kwargs.update({k: v for k, v in config.items() if k in self._builder_keys
                       or (self._builder_takes_any and k not in _TRAIN_KEYS | _DECAY_KEYS)})
        torch.manual_seed(self.seed)
        with default_dtype(self.precision):
            return self.build(**kwargs)

    def __call__(self, config: dict, budget=None, report=None) -> dict:
        config = {**self.fixed, **config}
        unknown = sorted(set(config) - self._builder_keys - _TRAIN_KEYS - _DECAY_KEYS)
        if unknown and not self._builder_takes_any:
            raise ValueError(f"configuration keys {unknown} are neither arguments of the model builder "
                             f"({sorted(self._builder_keys)}) nor of training ({sorted(_TRAIN_KEYS)})")
        budget = self.max_epochs if budget is None else budget
        if not 0 < budget <= self.max_epochs:
            raise ValueError(f"budget must be in (0, {self.max_epochs}] epochs, got {budget!r}")
        epochs, fraction = (1, float(budget)) if budget < 1 else (int(math.ceil(budget)), 1.0)
        model = self.model_for(config)
        _note_machine(report, self.precision, self.device)
        on_epoch = None if report is None else (lambda epoch, m: report(epoch if fraction == 1 else fraction,
                                                                        m[self.metric]))
        restore_dir, save_dir = getattr(report, "restore_dir", None), getattr(report, "checkpoint_dir", None)
        checkpoint = None
        if restore_dir is not None and (restore_dir / CHECKPOINT).exists() and fraction == 1:
            checkpoint = _read_checkpoint(restore_dir / CHECKPOINT)
            if checkpoint["epoch"] >= epochs:  # nothing left to train: start again rather than report nothing
                checkpoint = None
        result = train(model, self.data, epochs, seed=self.seed, device=self.device, data_fraction=fraction,
                       report=on_epoch, checkpoint=checkpoint, precision=self.precision,
                       **self._training_settings(config, epochs))
        if save_dir is not None and fraction == 1:
            torch.save(result.checkpoint, save_dir / CHECKPOINT)
        metrics = {k: v for k, v in result.final.items() if k in ("train_loss", "val_loss", "val_accuracy")}
        metrics["epochs"] = result.history[-1]["epoch"] if result.history else epochs  # fewer if stopped early
        if self.test:
            metrics["test_loss"], metrics["test_accuracy"] = evaluate(model, self.data.test, device=self.device,
                                                                      precision=self.precision)
        return metrics


    @staticmethod
    def _training_settings(config: dict, epochs: int) -> dict:
        settings = {k: v for k, v in config.items() if k in _TRAIN_KEYS}
        if "lr_decay" in config:
            settings["lr_schedule"] = StepDecay(config["lr_decay"], config.get("lr_decay_every", 1), epochs)
        return settings


def _note_machine(report, precision: str, device) -> None:
    """Note in the trial's ``user_attrs`` the arithmetic it trains in and the CPU it runs on, which change a short
    training run's accuracy in the last bits: a study resumed on another machine says which trials ran where."""
    attrs = getattr(report, "user_attrs", None)
    if attrs is None:  # called by hand, or with a plain callable as report
        return
    from ..book.provenance import cpu_name
    from .precision import resolve_precision
    from .training import resolve_device

    attrs.update(precision=resolve_precision(precision, resolve_device(device)).name, cpu=cpu_name(),
                 capability=torch.backends.cpu.get_cpu_capability())


def _read_checkpoint(path: Path) -> dict:
    """A checkpoint saved by :class:`ImageClassifier`, read as tensors and plain values only (``weights_only``):
    a file holding other objects, which unpickling could make run code, is refused."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise ValueError(f"refused to load {path}: it holds objects other than tensors and plain values, which could "
                         "run code when loaded, so hpolib did not write it; delete it to train from scratch") from None


def image_classifier(model="lenet5", dataset="digits", *, fixed: dict | None = None, metric: str = "val_accuracy",
                     max_epochs: int = 10, seed: int = 0, device: str = "auto", test: bool = False,
                     data_options: dict | None = None, precision: str = "float32") -> ImageClassifier:
    """An objective that trains ``model`` on ``dataset`` and returns its metrics.

    Parameters
    ----------
    model : str or callable
        ``"lenet5"``, ``"vgg"``, ``"mlp"``, ``"cnn"`` or any builder returning an ``nn.Module``.
    dataset : str or Dataset
        A name for :func:`hpolib.dl.data.load`, or a loaded dataset.
    fixed : dict or None
        Settings held fixed for every trial (merged under the configuration).
    metric : str
        What ``report`` receives each epoch (use the same as the study's ``metric``).
    max_epochs : int
        The full budget.
    seed : int
        Seeds the model's initialisation, the data order and dropout.
    test : bool
        Also evaluate on the test split (for final reporting only).
    data_options : dict or None
        Passed to :func:`hpolib.dl.data.load` (``subset``, ``size``, ``grayscale``...).
    precision : {"float32", "float64", "bfloat16", "auto"}
        The arithmetic of training (see :mod:`hpolib.dl.precision`); ``"auto"``
        is resolved in the process that trains.

    Examples
    --------
    >>> from hpolib import Study, Space, Float, Int
    >>> from hpolib.dl.objectives import image_classifier
    >>> objective = image_classifier("mlp", "digits", fixed={"batch_size": 32}, max_epochs=3)
    >>> space = Space({"lr": Float(1e-3, 1.0, log=True), "width": Int(16, 128)})
    >>> study = Study(space, direction="maximize", metric="val_accuracy", seed=0)
    >>> study.optimize(objective, n_trials=2, progress=False).best.value > 0.5
    True
    """
    return ImageClassifier(model, dataset, fixed, metric, max_epochs, seed, device, test, data_options, precision)


def cnn_layers_space(*, conv_layers: tuple[int, int] = (1, 3), filters: tuple[int, int] = (4, 64),
                     kernels: tuple[int, int] = (2, 5), dense_layers: tuple[int, int] = (0, 2),
                     dense_units: tuple[int, int] = (16, 256), training: dict | None = None) -> Space:
    """The conditional search space of :func:`hpolib.dl.models.cnn_from_layers` (the IIS study's networks).

    ``training`` parameters (a mapping of name to parameter, e.g. ``lr``,
    ``batch_size``) come first, then ``conv_layers`` and each conv layer's
    ``filters_i`` (log scale) and ``kernel_i``, active when ``conv_layers >=
    i``; then ``dense_layers`` and ``dense_units`` (log scale), active with at
    least one dense layer. The ranges are ``(low, high)`` pairs.

    >>> space = cnn_layers_space(conv_layers=(1, 2), dense_layers=(0, 1))
    >>> list(space)
    ['conv_layers', 'filters_1', 'kernel_1', 'filters_2', 'kernel_2', 'dense_layers', 'dense_units']
    >>> space.conditions["filters_2"], space.conditions["dense_units"]
    (('conv_layers', (2,)), ('dense_layers', (1,)))
    """
    params = dict(training or {})
    params["conv_layers"] = Int(*conv_layers)
    conditions = {}
    for i in range(1, conv_layers[1] + 1):
        params[f"filters_{i}"], params[f"kernel_{i}"] = Int(*filters, log=True), Int(*kernels)
        if i > conv_layers[0]:
            deep_enough = list(range(i, conv_layers[1] + 1))
            conditions[f"filters_{i}"] = conditions[f"kernel_{i}"] = ("conv_layers", deep_enough)
    params["dense_layers"], params["dense_units"] = Int(*dense_layers), Int(*dense_units, log=True)
    if dense_layers[0] == 0:
        conditions["dense_units"] = ("dense_layers", list(range(1, dense_layers[1] + 1)))
    return Space(params, conditions=conditions)
