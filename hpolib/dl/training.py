"""A fast, seeded training loop over in-memory tensors, with checkpoints.

Batches are sliced from the dataset's tensors (one seeded permutation per
epoch, no per-sample ``DataLoader`` work), evaluation runs under
``torch.inference_mode``, and the device is chosen automatically (cuda,
mps, cpu). On the CPU the same seed gives the same numbers, and training
resumed from a checkpoint is bit-identical to training straight through:
the data order of epoch ``e`` depends only on ``(seed, e)`` and the
checkpoint carries the random state.

A loss that becomes NaN or infinite raises :class:`Diverged`; a study
records that trial as failed with the message.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_in, check_positive, check_whole
from .data import Dataset, Split
from .precision import Precision, resolve_precision

__all__ = ["train", "evaluate", "TrainResult", "Diverged", "resolve_device", "lr_factor", "StepDecay", "MultiStep",
           "SCHEDULES", "AUGMENTATIONS", "crop_flip"]

SCHEDULES = ("constant", "step", "cosine", "onecycle")
AUGMENTATIONS = ("none", "crop-flip")


class Diverged(RuntimeError):
    """The training loss became NaN or infinite."""


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"``: cuda if available, else mps, else cpu."""
    if device != "auto":
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def lr_factor(schedule: str | Callable[[float], float], progress: float) -> float:
    """Multiplier of the base learning rate at ``progress`` in [0, 1] of the whole run.

    ``step``: x0.1 at 50 % and again at 75 %; ``cosine``: half a cosine to 0
    (Loshchilov and Hutter 2017); ``onecycle``: linear warm-up over 30 % then
    a cosine down (Smith 2018); a callable gets ``progress`` and returns the factor.
    """
    if callable(schedule):
        return float(schedule(progress))
    if schedule == "constant":
        return 1.0
    if schedule == "step":
        return 0.1 ** ((progress >= 0.5) + (progress >= 0.75))
    if schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * progress))
    if schedule == "onecycle":
        if progress < 0.3:
            return 0.04 + 0.96 * progress / 0.3
        return 0.5 * (1 + math.cos(math.pi * (progress - 0.3) / 0.7))
    raise ValueError(f"lr_schedule must be one of {SCHEDULES} or a callable, got {schedule!r}")


class MultiStep:
    """Learning-rate factor ``gamma ** k`` after the ``k``-th milestone, milestones given as shares of the run.

    PyTorch's ``MultiStepLR`` on the progress of a run, so that a schedule
    scales with the run's length: the VGG-16 baseline of the AutoLRS paper,
    x0.1 after 150 and again after 250 of 350 epochs, is
    ``MultiStep((150 / 350, 250 / 350))``.

    >>> schedule = MultiStep((0.5, 0.75))
    >>> [schedule(p) for p in (0.0, 0.5, 0.8)]
    [1.0, 0.1, 0.010000000000000002]
    """

    def __init__(self, milestones, gamma: float = 0.1):
        self.milestones = tuple(float(m) for m in milestones)
        if not self.milestones or any(not 0 < m < 1 for m in self.milestones) or \
                list(self.milestones) != sorted(self.milestones):
            raise ValueError(f"milestones must be increasing shares of the run in (0, 1), got {milestones!r}")
        self.gamma = check_positive("gamma", gamma)

    def __repr__(self):
        return f"MultiStep({list(self.milestones)}, gamma={self.gamma:g})"

    def __call__(self, progress: float) -> float:
        return self.gamma ** sum(progress >= m for m in self.milestones)


class StepDecay:
    """Learning-rate factor ``ratio ** floor(epoch / every)``: decay by ``ratio`` every ``every`` epochs.

    The PBT study's schedule (decay ratio and pace). As an ``lr_schedule`` of
    an ``epochs``-long run it counts absolute epochs, so a run resumed from a
    checkpoint decays on the same epochs.
    """

    def __init__(self, ratio: float, every: float, epochs: int):
        check_in("lr_decay", ratio, "(0, 1]")
        if not every > 0:
            raise ValueError(f"lr_decay_every must be > 0 epochs, got {every!r}")
        self.ratio, self.every, self.epochs = float(ratio), float(every), int(epochs)

    def __call__(self, progress: float) -> float:
        return self.ratio ** math.floor(progress * self.epochs / self.every + 1e-9)

    def __repr__(self):
        return f"StepDecay(ratio={self.ratio:g}, every={self.every:g})"


@torch.inference_mode()
def evaluate(model: nn.Module, split: Split, batch_size: int = 1024, device: str | torch.device = "auto",
             precision: str | Precision | None = None) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``model`` on ``split``.

    ``device``: ``"auto"`` evaluates where the model's weights are; another
    device moves the model there. ``precision`` as in :func:`train`; ``None``
    evaluates in the dtype of the model's weights.
    """
    weight = next(model.parameters(), None)
    device = weight.device if device == "auto" and weight is not None else resolve_device(device)
    model.to(device)
    precision = Precision.of(model, device) if precision is None else resolve_precision(precision, device)
    was_training = model.training
    model.eval()
    loss, correct = 0.0, 0
    for start in range(0, len(split), batch_size):
        x = precision.inputs(split.x[start:start + batch_size])
        y = split.y[start:start + batch_size].to(device, non_blocking=True)
        with precision.context():
            out = model(x)
            loss += F.cross_entropy(out, y, reduction="sum").item()
        correct += (out.argmax(1) == y).sum().item()
    model.train(was_training)
    return loss / len(split), correct / len(split)


@dataclass
class TrainResult:
    """What :func:`train` returns: the per-epoch history and a checkpoint to continue from."""

    history: list = field(default_factory=list)
    checkpoint: dict = field(default_factory=dict)

    @property
    def final(self) -> dict:
        return self.history[-1] if self.history else {}


def crop_flip(x: torch.Tensor, generator: torch.Generator, padding: int = 4) -> torch.Tensor:
    """A batch of random crops of the zero-padded images, each flipped left to right with probability 1/2.

    The standard CIFAR augmentation (He, Zhang, Ren and Sun, CVPR 2016, sec. 4.2: 4-px padding, random
    32 x 32 crops, horizontal flips), drawn from ``generator`` on the CPU so a seed gives the same crops on
    every device.
    """
    n, _, h, w = x.shape
    shifts = torch.randint(0, 2 * padding + 1, (2, n), generator=generator).to(x.device)
    flips = (torch.rand(n, generator=generator) < 0.5).to(x.device)
    padded = F.pad(x, (padding,) * 4)
    rows = (shifts[0, :, None] + torch.arange(h, device=x.device))[:, None, :, None]
    cols = (shifts[1, :, None] + torch.arange(w, device=x.device))[:, None, None, :]
    cols = torch.where(flips[:, None, None, None], cols.flip(-1), cols)
    images = torch.arange(n, device=x.device)[:, None, None, None]
    channels = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
    return padded[images, channels, rows, cols]


def _checked_until(epochs, batch_size, until, data_fraction, patience, lr_schedule, rates: dict) -> int:
    """The last epoch to train (``until``, by default ``epochs``), once every setting of :func:`train` is checked."""
    for label, count in (("epochs", epochs), ("batch_size", batch_size)):
        check_whole(label, count, 1)
    for label, value in rates.items():
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise ValueError(f"{label} must be a finite number >= 0, got {value!r}")
    until = epochs if until is None else until
    if isinstance(until, bool) or not isinstance(until, int) or not 1 <= until <= epochs:
        raise ValueError(f"until must be a whole number in [1, epochs={epochs}], got {until!r}")
    check_in("data_fraction", data_fraction, "(0, 1]")
    if patience is not None:
        check_whole("patience", patience, 1)
    lr_factor(lr_schedule, 0.0)  # validates the schedule
    return until


def _restore(model: nn.Module, opt: torch.optim.Optimizer, checkpoint: dict, settings: dict) -> int:
    """Load a :class:`TrainResult` checkpoint into ``model`` and ``opt``, with the optimiser ``settings`` given now
    in place of the stored ones (PBT's exploit step changes them); return the epoch it reached."""
    model.load_state_dict(checkpoint["model"])
    opt.load_state_dict(checkpoint["optimizer"])
    torch.set_rng_state(checkpoint["rng"])
    if "cuda_rng" in checkpoint:  # dropout on a GPU draws from the GPU's generator
        torch.cuda.set_rng_state(checkpoint["cuda_rng"], next(model.parameters()).device)
    for group in opt.param_groups:
        group.update(**settings)
    return checkpoint["epoch"]


def _optimizer(name: str, params, lr: float, momentum: float, weight_decay: float) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'sgd' or 'adam', got {name!r}")


def _regularised(loss: torch.Tensor, weights: Sequence[torch.Tensor], l1: float, l2: float) -> torch.Tensor:
    """``loss + l1 * sum|w| + l2 * sum w^2`` over ``weights`` (a penalty of 0 is not added)."""
    if l1:
        loss = loss + l1 * sum(w.abs().sum() for w in weights)
    if l2:
        loss = loss + l2 * sum(w.pow(2).sum() for w in weights)
    return loss


def train(model: nn.Module, data: Dataset, epochs: int, *, optimizer: str = "sgd", lr: float = 0.01,
          momentum: float = 0.9, weight_decay: float = 0.0, l1: float = 0.0, l2: float = 0.0, batch_size: int = 64,
          lr_schedule: str | Callable[[float], float] = "constant", seed: int = 0, device: str | torch.device = "auto",
          data_fraction: float = 1.0, checkpoint: dict | None = None, until: int | None = None,
          patience: int | None = None, report: Callable[[int, dict], None] | None = None,
          eval_batch_size: int = 1024, precision: str | Precision = "float32", augment: str = "none") -> TrainResult:
    """Train ``model`` on ``data.train`` for ``epochs`` epochs, evaluating on ``data.val`` after each.

    Parameters
    ----------
    model : nn.Module
        Built (and so initialised) by the caller: seed its construction too.
    data : Dataset
        From :func:`hpolib.dl.data.load`.
    epochs : int
        Total epochs; with ``checkpoint``, training continues from its epoch to this one.
    optimizer : {"sgd", "adam"}
    lr, momentum, weight_decay : float
        Optimiser settings (``momentum`` is ignored by Adam).
    l1, l2 : float
        Penalties ``l1 * sum|w| + l2 * sum w^2`` added to the loss (the IIS study's regularisation).
    batch_size : int
    lr_schedule : str or callable
        See :func:`lr_factor`; applied per step.
    seed : int
        Seeds the data order and the random state of dropout.
    device : str
    data_fraction : float
        Train each epoch on this leading share of the shuffled training set (a cheap budget).
    checkpoint : dict or None
        From an earlier ``TrainResult.checkpoint``: model, optimiser and random state and the epoch reached.
        Hyperparameters given here (``lr``...) replace the stored ones, as PBT's exploit step needs.
    until : int or None
        Stop after this epoch (default ``epochs``), keeping the schedule of an
        ``epochs``-long run: training to ``until`` and then resuming from the
        checkpoint to ``epochs`` gives the same model as one run.
    patience : int or None
        Early stopping: stop once the validation loss has not improved for
        this many epochs in a row (counted from this call's first epoch); the
        checkpoint then holds the epoch reached.
    report : callable or None
        ``report(epoch, metrics)`` after every epoch with train_loss, val_loss, val_accuracy, lr, seconds.
    eval_batch_size : int
    precision : {"float32", "float64", "bfloat16", "auto"}
        The arithmetic (see :mod:`hpolib.dl.precision`); the model's weights are
        converted to its dtype. ``float32`` is unchanged PyTorch.
    augment : {"none", "crop-flip"}
        ``"crop-flip"`` trains on :func:`crop_flip` of each batch, drawn from a
        generator seeded by ``(seed, epoch)`` as the data order is.

    Raises
    ------
    Diverged
        When the training loss becomes NaN or infinite.
    """
    until = _checked_until(epochs, batch_size, until, data_fraction, patience, lr_schedule,
                           dict(lr=lr, momentum=momentum, weight_decay=weight_decay, l1=l1, l2=l2))
    if augment not in AUGMENTATIONS:
        raise ValueError(f"augment must be one of {', '.join(AUGMENTATIONS)}, got {augment!r}")
    device = resolve_device(device)
    precision = resolve_precision(precision, device)
    precision.model(model)
    opt = _optimizer(optimizer, model.parameters(), lr, momentum, weight_decay)
    start_epoch = 0
    if checkpoint:
        start_epoch = _restore(model, opt, checkpoint, dict(lr=lr, weight_decay=weight_decay,
                                                             **({"momentum": momentum} if optimizer == "sgd" else {})))
    else:
        torch.manual_seed(seed)
    x_all, y_all = precision.inputs(data.train.x), data.train.y.to(device)
    n = max(1, int(len(y_all) * data_fraction))
    steps_per_epoch = math.ceil(n / batch_size)
    total_steps = epochs * steps_per_epoch
    weights = [p for name, p in model.named_parameters() if p.ndim > 1]
    result = TrainResult()
    best_loss, since_best = math.inf, 0
    model.train()
    for epoch in range(start_epoch, until):
        started = time.perf_counter()
        order = torch.randperm(len(y_all), generator=torch.Generator().manual_seed(seed * 100_003 + epoch))[:n]
        order = order.to(device)
        crops = torch.Generator().manual_seed(seed * 100_003 + epoch + 1_000_000_007)
        running, seen = 0.0, 0
        for step, begin in enumerate(range(0, n, batch_size)):
            factor = lr_factor(lr_schedule, (epoch * steps_per_epoch + step) / total_steps)
            for group in opt.param_groups:
                group["lr"] = lr * factor
            index = order[begin:begin + batch_size]
            x = x_all[index] if augment == "none" else crop_flip(x_all[index], crops)
            with precision.context():
                loss = F.cross_entropy(model(x), y_all[index])
            if not torch.isfinite(loss):
                raise Diverged(f"training loss became {loss.item()} at epoch {epoch + 1}, step {step + 1} "
                               f"(lr={lr * factor:.4g})")
            opt.zero_grad(set_to_none=True)
            _regularised(loss, weights, l1, l2).backward()
            opt.step()
            running += loss.item() * len(index)
            seen += len(index)
        val_loss, val_accuracy = evaluate(model, data.val, eval_batch_size, device, precision)
        metrics = {"epoch": epoch + 1, "train_loss": running / seen, "val_loss": val_loss,
                   "val_accuracy": val_accuracy, "lr": lr * factor, "seconds": time.perf_counter() - started}
        result.history.append(metrics)
        if report is not None:
            report(epoch + 1, metrics)
        best_loss, since_best = (val_loss, 0) if val_loss < best_loss else (best_loss, since_best + 1)
        if patience is not None and since_best >= patience:
            break
    result.checkpoint = {"model": {k: v.detach().clone() for k, v in model.state_dict().items()},
                         "optimizer": copy.deepcopy(opt.state_dict()),
                         "epoch": result.history[-1]["epoch"] if result.history else until,
                         "rng": torch.get_rng_state(),
                         **({"cuda_rng": torch.cuda.get_rng_state(device)} if device.type == "cuda" else {})}
    return result
