"""Train a population of same-architecture networks with different hyperparameters in one batched pass.

The members' parameters are stacked (``torch.func.stack_module_state``) and
one ``vmap``-ed forward pass runs every member on the same minibatch. The
members share no weights, so one ordinary backward pass of their summed
losses gives each member its own gradient; SGD with momentum and weight
decay then updates all members at once, in place, each with its own
learning rate, momentum and weight decay. One large batched matrix product
per layer replaces K small ones, which is what makes it faster than training
the members one after the other, for PBT and LCM populations and synchronous
brackets alike.

It follows ``torch.optim.SGD`` exactly (``d = g + wd * w``; ``b = mu * b + d``,
with ``b = d`` on the first step; ``w = w - lr * b``) and the data order of
:func:`hpolib.dl.training.train`, so member ``k`` ends where training it alone
with the same initial weights would, up to float rounding (the tests hold
it to 1e-4 after three epochs). Networks with batch norm or dropout are not
supported: their per-member running state and randomness would need more
than a batched forward pass.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from .._checks import check_whole
from .data import Dataset
from .precision import Precision, resolve_precision
from .training import resolve_device

__all__ = ["train_population"]


def train_population(models: Sequence[nn.Module], data: Dataset, epochs: int, hyperparameters: Sequence[dict], *,
                     batch_size: int = 64, seed: int = 0, device: str | torch.device = "auto",
                     report: Callable[[int, list[dict]], None] | None = None,
                     precision: str | Precision = "float32") -> tuple[list[nn.Module], list]:
    """Train ``models`` (same architecture, already initialised) together, member ``k`` with ``hyperparameters[k]``.

    Parameters
    ----------
    models : sequence of nn.Module
        The members; their weights are the starting points.
    data : Dataset
    epochs, batch_size, seed : int
        As in :func:`hpolib.dl.training.train` (the same data order for every member).
    hyperparameters : sequence of dict
        Per member: ``lr`` (required), ``momentum`` (default 0.9), ``weight_decay`` (default 0).
    report : callable or None
        ``report(epoch, metrics)`` with one dict per member (val_loss, val_accuracy, train_loss, seconds).
    precision : {"float32", "float64", "bfloat16", "auto"}
        As in :func:`hpolib.dl.training.train`.

    Returns
    -------
    (models, history)
        The trained members (new modules) and, per epoch, the list of member metrics.
    """
    if len(models) != len(hyperparameters) or not models:
        raise ValueError(f"need one hyperparameter dict per model, got {len(models)} models and "
                         f"{len(hyperparameters)} dicts")
    for module in models[0].modules():
        if isinstance(module, (nn.modules.batchnorm._BatchNorm, nn.Dropout)):
            raise ValueError(f"population training does not support {type(module).__name__} layers")
    for label, value in (("epochs", epochs), ("batch_size", batch_size)):
        check_whole(label, value, 1)
    device = resolve_device(device)
    precision = resolve_precision(precision, device)
    k = len(models)
    per_member = lambda key, default: torch.tensor(  # noqa: E731
        [float(cast(float, h.get(key, default))) for h in hyperparameters], device=device, dtype=precision.dtype)
    if any("lr" not in h for h in hyperparameters):
        raise ValueError("every member needs an 'lr'")
    lr, momentum, decays = per_member("lr", None), per_member("momentum", 0.9), per_member("weight_decay", 0.0)

    models = [precision.model(copy.deepcopy(m)) for m in models]
    params, buffers = stack_module_state(models)
    params = {name: p.detach().requires_grad_() for name, p in params.items()}
    skeleton = copy.deepcopy(models[0]).to("meta")
    forward = vmap(lambda p, b, x: functional_call(skeleton, (p, b), (x,)), in_dims=(0, 0, None))

    def per_parameter(values):  # a (k, 1, ..., 1) view for each parameter, broadcast over its members
        return {name: values.view((k,) + (1,) * (p.ndim - 1)) for name, p in params.items()}

    lr, momentum, decay = per_parameter(lr), per_parameter(momentum), per_parameter(decays) if decays.any() else None
    momenta: dict[str, torch.Tensor] = {}
    x_all, y_all = precision.inputs(data.train.x), data.train.y.to(device)
    history = []
    for epoch in range(epochs):
        started = time.perf_counter()
        order = torch.randperm(len(y_all), generator=torch.Generator().manual_seed(seed * 100_003 + epoch)).to(device)
        running = torch.zeros(k, device=device, dtype=precision.dtype)
        for begin in range(0, len(order), batch_size):
            index = order[begin:begin + batch_size]
            with precision.context():
                out = forward(params, buffers, x_all[index])  # (members, batch, classes)
                losses = F.cross_entropy(out.transpose(1, 2), y_all[index].expand(k, -1), reduction="none").mean(1)
            # Members share no weights, so the gradient of the summed losses is each member's own gradient.
            grads = torch.autograd.grad(losses.sum(), list(params.values()))
            running += losses.detach() * len(index)
            with torch.no_grad():
                for (name, p), g in zip(params.items(), grads):  # in place: the step allocates nothing
                    d = g if decay is None else g.addcmul_(decay[name], p)
                    if name in momenta:
                        d = momenta[name].mul_(momentum[name]).add_(d)
                    momenta[name] = d
                    p.addcmul_(lr[name], d, value=-1.0)
        metrics = _evaluate(forward, params, buffers, precision.inputs(data.val.x), data.val.y.to(device), precision)
        for m, train_loss in zip(metrics, (running / len(order)).tolist()):
            m.update(train_loss=train_loss, seconds=(time.perf_counter() - started) / k)
        history.append(metrics)
        if report is not None:
            report(epoch + 1, metrics)
    for i, model in enumerate(models):
        state = {n: p[i].detach() for n, p in params.items()}
        model.load_state_dict({**state, **{n: b[i] for n, b in buffers.items()}})
    return models, history


@torch.no_grad()
def _evaluate(forward, params, buffers, x, y, precision: Precision, batch_size=2048) -> list[dict]:
    """Validation loss and accuracy of every member."""
    loss: torch.Tensor | int = 0  # tensors (one entry per member) after the first batch
    correct: torch.Tensor | int = 0
    for begin in range(0, len(y), batch_size):
        with precision.context():
            out = forward(params, buffers, x[begin:begin + batch_size])  # (members, n, classes)
            target = y[begin:begin + batch_size].expand(out.shape[0], -1)
            loss = loss + F.cross_entropy(out.transpose(1, 2), target, reduction="none").sum(1)
        correct = correct + (out.argmax(2) == target).sum(1)
    mean_loss, accuracy = cast(torch.Tensor, loss / len(y)), cast(torch.Tensor, correct / len(y))  # y is not empty
    return [{"val_loss": v, "val_accuracy": a} for v, a in zip(mean_loss.tolist(), accuracy.tolist())]
