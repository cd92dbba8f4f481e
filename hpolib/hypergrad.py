"""Gradient-based HPO by implicit differentiation (Lorraine, Vicol and Duvenaud, AISTATS 2020).

For continuous hyperparameters ``lam`` of a training loss ``L_T(w, lam)`` whose
minimiser is ``w*(lam)``, the implicit function theorem gives the gradient of
the validation loss ``L_V(w*(lam), lam)``:

    dL_V/dlam = dL_V/dlam (direct) - (dL_V/dw) H^-1 d2L_T/(dw dlam),   H = d2L_T/dw2,

at the weights reached by training. ``H^-1 v`` is approximated by the Neumann
series ``alpha * sum_{j=0}^{i} (I - alpha H)^j v`` (the paper's Algorithm 3),
which needs only Hessian-vector products, so the cost of a hypergradient is a
few gradient evaluations whatever the number of hyperparameters: one weight
decay per weight of a network is as cheap as a single one. The series
converges when ``alpha`` is below ``2 / (largest eigenvalue of H)``.

:func:`hypergradient` computes it with PyTorch autograd;
:func:`train_with_hypergradients` alternates ``inner_steps`` optimiser steps on
the training loss with one step of the hyperparameters along the hypergradient
(the paper's Algorithm 1). It is not an ask/tell optimiser: the
hyperparameters change during one training run.

>>> import torch
>>> lam = torch.tensor([0.0], requires_grad=True)   # L_T = (w - 1)^2 / 2 + exp(lam) w^2 / 2: w* = 1 / (1 + e^lam)
>>> w = torch.tensor([0.5], requires_grad=True)     # w* at lam = 0
>>> train = lambda: (w - 1).pow(2).sum() / 2 + lam.exp().mul(w.pow(2)).sum() / 2
>>> val = lambda: w.pow(2).sum() / 2                 # dL_V/dlam = w* dw*/dlam = 1/2 * (-1/4)
>>> round(hypergradient(train, val, [w], [lam], neumann_steps=60, neumann_lr=0.4)[0].item(), 4)
-0.125
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from ._checks import check_in, check_positive, check_whole

__all__ = ["neumann_inverse_hvp", "hypergradient", "WeightDecay", "train_with_hypergradients"]

Tensors = Sequence[torch.Tensor]


def _grads(output: torch.Tensor | Tensors, inputs: Tensors, grad_outputs: Tensors | None = None,
           create_graph: bool = False, retain_graph: bool | None = None) -> list[torch.Tensor]:
    """``torch.autograd.grad`` with zeros for inputs the output does not depend on."""
    grads = torch.autograd.grad(output, list(inputs), grad_outputs=grad_outputs, create_graph=create_graph,
                                retain_graph=retain_graph, allow_unused=True)
    return [torch.zeros_like(x) if g is None else g for g, x in zip(grads, inputs)]


def neumann_inverse_hvp(train_grads: Tensors, params: Tensors, vector: Tensors, steps: int,
                        lr: float) -> list[torch.Tensor]:
    """``H^-1 v`` approximated by ``lr * sum_{j=0}^{steps} (I - lr H)^j v``, with ``H`` the Jacobian of
    ``train_grads`` (built with ``create_graph=True``) with respect to ``params``."""
    v = [x.detach().clone() for x in vector]
    total = [x.clone() for x in v]
    for _ in range(steps):
        hv = _grads(train_grads, params, grad_outputs=v, retain_graph=True)
        v = [a - lr * h.detach() for a, h in zip(v, hv)]
        total = [t + a for t, a in zip(total, v)]
    return [lr * t for t in total]


def hypergradient(train_loss: Callable[[], torch.Tensor], val_loss: Callable[[], torch.Tensor], params: Tensors,
                  hyper: Tensors, *, neumann_steps: int = 20, neumann_lr: float = 0.01) -> list[torch.Tensor]:
    """The gradient of ``val_loss()`` with respect to ``hyper`` through the best-response weights ``params``.

    Parameters
    ----------
    train_loss, val_loss : callable
        Each computes its scalar loss from the current ``params`` and ``hyper`` (tensors that require grad).
    params : sequence of tensors
        The weights, assumed near a minimum of the training loss.
    hyper : sequence of tensors
        The continuous hyperparameters.
    neumann_steps : int
        Terms of the Neumann series after the first (0: ``H^-1`` taken as ``neumann_lr * I``).
    neumann_lr : float
        ``alpha`` of the series, below ``2 / (largest eigenvalue of H)``.
    """
    check_whole("neumann_steps", neumann_steps, 0)
    check_positive("neumann_lr", neumann_lr)
    val = val_loss()
    direct = _grads(val, hyper, retain_graph=True)
    v1 = [g.detach() for g in _grads(val, params)]
    train_grads = _grads(train_loss(), params, create_graph=True)
    v2 = neumann_inverse_hvp(train_grads, params, v1, neumann_steps, neumann_lr)
    mixed = _grads(train_grads, hyper, grad_outputs=v2)
    return [(d - m).detach() for d, m in zip(direct, mixed)]


class WeightDecay:
    """One log weight decay per weight (``per="weight"``) or per parameter tensor (``per="layer"``) of ``params``:
    the penalty ``sum exp(log_decay) * w^2 / 2``.

    Parameters
    ----------
    params : sequence of tensors
        The weights it regularises (a network's ``parameters()``).
    init : float
        The starting decay of every weight, > 0.
    per : {"weight", "layer"}
    """

    def __init__(self, params: Tensors, init: float = 1e-4, per: str = "weight"):
        check_positive("init", init)
        if per not in ("weight", "layer"):
            raise ValueError(f"per must be 'weight' or 'layer', got {per!r}")
        start = float(torch.log(torch.tensor(init)))
        self.per = per
        self.log_decay = [torch.full(p.shape if per == "weight" else (), start, dtype=p.dtype, requires_grad=True)
                          for p in params]

    def __len__(self) -> int:
        """How many hyperparameters."""
        return sum(x.numel() for x in self.log_decay)

    def penalty(self, params: Tensors) -> torch.Tensor:
        return torch.stack([(d.exp() * p.pow(2)).sum() for d, p in zip(self.log_decay, params)]).sum() / 2

    def decays(self) -> torch.Tensor:
        """Every weight's decay, flattened (one value per parameter tensor for ``per="layer"``)."""
        return torch.cat([d.detach().exp().reshape(-1) for d in self.log_decay])


def train_with_hypergradients(params: Tensors, decay: WeightDecay, train_batch: Callable[[int], torch.Tensor],
                              hyper_train_loss: Callable[[], torch.Tensor], val_loss: Callable[[], torch.Tensor],
                              *, steps: int, inner_steps: int = 10, lr: float = 0.05, momentum: float = 0.9,
                              hyper_lr: float = 0.05, neumann_steps: int = 20, neumann_lr: float = 0.01,
                              warmup: int = 0) -> list[dict]:
    """Alternate ``inner_steps`` SGD steps on ``train_batch(step) + penalty`` with one Adam step of the log
    decays along the hypergradient of ``val_loss`` (the training loss of the IFT is ``hyper_train_loss() +
    penalty``); the first ``warmup`` steps train only. Returns one row per hyper-step: the step, the
    validation loss and the norm of the hypergradient."""
    check_whole("steps", steps, 1)
    check_whole("inner_steps", inner_steps, 1)
    check_whole("warmup", warmup, 0)
    for name, value in (("lr", lr), ("hyper_lr", hyper_lr)):
        check_positive(name, value)
    check_in("momentum", momentum, "[0, 1)")
    opt = torch.optim.SGD(params, lr=lr, momentum=momentum)
    hyper_opt = torch.optim.Adam(decay.log_decay, lr=hyper_lr)
    history = []
    for step in range(1, steps + 1):
        opt.zero_grad()
        (train_batch(step) + decay.penalty(params)).backward()
        opt.step()
        if step > warmup and step % inner_steps == 0:
            grads = hypergradient(lambda: hyper_train_loss() + decay.penalty(params), val_loss, params,
                                  decay.log_decay, neumann_steps=neumann_steps, neumann_lr=neumann_lr)
            hyper_opt.zero_grad()
            for x, g in zip(decay.log_decay, grads):
                x.grad = g
            hyper_opt.step()
            norm = float(torch.cat([g.reshape(-1) for g in grads]).norm())
            history.append({"step": step, "val_loss": float(val_loss().detach()), "hypergradient_norm": norm})
    return history
