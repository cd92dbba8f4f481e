"""AutoLRS: the learning rate chosen by Bayesian optimisation while training (Jin et al., ICLR 2021, Algorithm 1).

Training runs in stages of ``tau`` steps. At the start of a stage the model
and optimiser state are checkpointed; then, ``k`` times:

1. pick ``eta_i = argmin mu(x) - kappa * sigma(x)`` over ``x = log10(eta)`` in
   ``[log10(lr_min), log10(lr_max)]``, with ``mu`` and ``sigma`` the posterior
   of a Gaussian process fitted to this stage's observations (zero prior mean,
   Matérn 5/2 kernel with fitted amplitude, length scale and noise), on the
   log of the forecast losses so that a learning rate that blows the loss up
   by orders of magnitude does not swamp the scale; the first pick of a stage
   is a seeded random draw;
2. train ``tau'`` steps at ``eta_i``, recording the validation loss of every step;
3. forecast the validation loss after ``tau`` steps with the exponential model
   ``y(t) = a exp(-b t) + c`` (``b > 0``) fitted to that series (see
   :func:`forecast_loss` for the fallback when the fit is not usable);
4. add ``(x_i, forecast)`` to the GP's data and restore the checkpoint.

Then the stage trains ``tau`` steps at the explored learning rate with the
lowest forecast loss. ``tau`` starts at ``tau`` and is multiplied by ``growth``
after each stage up to ``tau_max`` (the paper doubles it); ``tau'`` is
``explore_fraction * tau``. Stages repeat until ``total_steps`` training steps
are done; the exploration steps come on top and are recorded, so a
comparison with fixed schedules can count them.

The defaults follow the paper's structure at a scale a CPU can run (the paper
used ``tau = 1000`` doubling to ``8000``, ``k = 10``, ``tau' = tau / 10`` on
VGG-16); ``kappa``, the learning-rate interval and the scale are parameters.
"""

from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import OptimizeWarning, curve_fit

from .._checks import check_positive, check_whole
from ..optimizers.gp import fit_gp
from ..precision import resolve_precision
from ..training import Diverged, evaluate, lr_factor, resolve_device

__all__ = ["AutoLRS", "LRRun", "Trainer", "forecast_loss", "run_schedule"]


def forecast_loss(losses, horizon: float, start: float | None = None) -> tuple[float, str]:
    """Forecast of the loss after ``horizon`` steps from the series ``losses`` (one per step, step 1 first).

    Fits ``y(t) = a exp(-b t) + c`` by least squares (``scipy.optimize.curve_fit``,
    ``a >= 0``, ``b > 0``, ``c >= 0``: a decaying curve above zero, as a loss
    is) and evaluates it at ``horizon``. ``start``, the loss before the first
    step, joins the fit as ``t = 0`` when given.

    The fallback, used with fewer than four points, a failed fit, or a series
    that does not go down (its last quarter not below its first quarter, nor
    below ``start``), is the mean of the series' last quarter: the loss is
    taken to stay where it is. A learning rate that first blows the loss up
    and then brings part of it back is so judged by where it ended, not by an
    extrapolation of the recovery.

    Returns
    -------
    (forecast, how) : float, str
        ``how`` is ``"exponential"`` or ``"fallback"``.
    """
    y = np.asarray(losses, dtype=float)
    if not np.all(np.isfinite(y)) or (start is not None and not math.isfinite(start)):
        raise ValueError("losses and start must be finite")
    tail = float(np.mean(y[-max(1, len(y) // 4):]))
    if len(y) < 4 or tail >= float(np.mean(y[:max(1, len(y) // 4)])) or (start is not None and tail >= start):
        return tail, "fallback"
    t = np.arange(1, len(y) + 1, dtype=float)
    if start is not None:
        t, y = np.concatenate([[0.0], t]), np.concatenate([[start], y])
    scale = len(y)  # fit in t / n so b is of order one

    def model(t, a, b, c):
        return a * np.exp(-b * t / scale) + c

    spread = max(float(y.max() - y.min()), 1e-12)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            (a, b, c), _ = curve_fit(model, t, y, p0=(spread, 1.0, max(float(y.min()), 0.0)),
                                     bounds=([0.0, 1e-6, 0.0], [np.inf, 100.0, np.inf]), maxfev=5000)
    except (RuntimeError, ValueError):
        return tail, "fallback"
    value = float(model(horizon, a, b, c))
    if not math.isfinite(value):
        return tail, "fallback"
    return value, "exponential"


class Trainer:
    """Minibatch SGD on a dataset held as tensors, step by step, with checkpoints.

    The data order of step ``s`` depends only on ``(seed, s)`` and the
    checkpoint holds the model, the optimiser and the step, so training after
    ``load(state())`` is bit-identical to training on without it.

    Parameters
    ----------
    model : nn.Module
    data : hpolib.data.Dataset
    batch_size : int
    momentum, weight_decay : float
        SGD settings (the paper's VGG runs: momentum 0.9).
    val_size : int
        Validation images whose loss is measured after every step (a fixed
        leading slice of the validation split).
    seed : int
    device : str
    precision : {"float32", "float64", "bfloat16", "auto"}
        As in :func:`hpolib.training.train`.
    """

    def __init__(self, model, data, batch_size: int = 128, momentum: float = 0.9, weight_decay: float = 5e-4,
                 val_size: int = 512, seed: int = 0, device: str = "auto", precision: str = "float32"):
        self.device = resolve_device(device)
        self.precision = resolve_precision(precision, self.device)
        self.model, self.data = self.precision.model(model), data
        self.batch_size = check_whole("batch_size", batch_size, 1)
        self.seed, self.step = seed, 0
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1, momentum=momentum,
                                         weight_decay=weight_decay)
        self.x, self.y = self.precision.inputs(data.train.x), data.train.y.to(self.device)
        self.val_x = self.precision.inputs(data.val.x[:check_whole("val_size", val_size, 1)])
        self.val_y = data.val.y[:val_size].to(self.device)
        self.steps_per_epoch = math.ceil(len(self.y) / self.batch_size)
        self._order: tuple[int, torch.Tensor | None] = (-1, None)

    def state(self) -> dict:
        return {"model": copy.deepcopy(self.model.state_dict()),
                "optimizer": copy.deepcopy(self.optimizer.state_dict()), "step": self.step}

    def load(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step = state["step"]

    def _batch(self, step: int) -> torch.Tensor:
        epoch, index = divmod(step, self.steps_per_epoch)
        if self._order[0] != epoch:  # one permutation per epoch, drawn from (seed, epoch) alone
            generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            self._order = (epoch, torch.randperm(len(self.y), generator=generator).to(self.device))
        return self._order[1][index * self.batch_size:(index + 1) * self.batch_size]

    @torch.no_grad()
    def val_loss(self) -> float:
        was = self.model.training
        self.model.eval()
        with self.precision.context():
            loss = F.cross_entropy(self.model(self.val_x), self.val_y).item()
        self.model.train(was)
        return loss

    def train(self, steps: int, lr: float) -> list[tuple[float, float]]:
        """Train ``steps`` steps at ``lr``; ``(train loss, validation loss)`` after each. Raises Diverged."""
        self.model.train()
        out = []
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        for _ in range(steps):
            torch.manual_seed(self.seed * 1_000_003 + self.step)  # dropout of step s depends on (seed, s) only
            index = self._batch(self.step)
            with self.precision.context():
                loss = F.cross_entropy(self.model(self.x[index]), self.y[index])
            if not torch.isfinite(loss):
                raise Diverged(f"training loss became {loss.item()} at step {self.step + 1} (lr={lr:.4g})")
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.step += 1
            out.append((loss.item(), self.val_loss()))
        return out

    def accuracy(self, split) -> tuple[float, float]:
        """``(loss, accuracy)`` on a whole split, e.g. ``trainer.data.test``."""
        return evaluate(self.model, split, device=self.device, precision=self.precision)

    def val_accuracy(self) -> float:
        """Accuracy on the whole validation split."""
        return self.accuracy(self.data.val)[1]


@dataclass
class LRRun:
    """A training run's record: the learning rate and losses of every step, and the validation accuracy along
    the way (``accuracy``: step, val_accuracy); for AutoLRS also every explored point and every stage."""

    lrs: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    accuracy: list[dict] = field(default_factory=list)
    explored: list[dict] = field(default_factory=list)  # stage, lr, forecast, how, realised (loss after tau')
    stages: list[dict] = field(default_factory=list)  # stage, start, tau, lr
    explore_steps: int = 0


def run_schedule(trainer: Trainer, lr: float, schedule="constant", total_steps: int = 1000,
                 eval_every: int | None = None, progress: bool = False) -> LRRun:
    """Train ``total_steps`` steps at ``lr`` times :func:`hpolib.training.lr_factor` of ``schedule``.

    The fixed schedules AutoLRS is compared with (constant, step, cosine,
    one-cycle, or any callable of the progress in [0, 1]), recorded the same
    way; the validation accuracy is measured every ``eval_every`` steps
    (default: once per epoch) and at the end. Raises Diverged.
    """
    from tqdm.auto import tqdm

    check_positive("lr", lr)
    check_whole("total_steps", total_steps, 1)
    every = check_whole("eval_every", eval_every or trainer.steps_per_epoch, 1)
    run = LRRun()
    for step in tqdm(range(total_steps), disable=not progress, desc=f"{schedule}", unit="step"):
        rate = lr * lr_factor(schedule, step / total_steps)
        (train_loss, val_loss), = trainer.train(1, rate)
        run.lrs.append(rate)
        run.train_loss.append(train_loss)
        run.val_loss.append(val_loss)
        if (step + 1) % every == 0 or step + 1 == total_steps:
            run.accuracy.append({"step": step + 1, "val_accuracy": trainer.val_accuracy()})
    return run


class AutoLRS:
    """Bayesian optimisation of the learning rate on the fly (see the module's description).

    Parameters
    ----------
    lr_min, lr_max : float
        The learning-rate interval searched (on a log scale).
    tau : int
        Steps of the first stage.
    tau_max : int
        Largest stage.
    growth : float
        Factor ``tau`` grows by after each stage (>= 1).
    k : int
        Learning rates explored per stage.
    explore_fraction : float
        ``tau' / tau``, in (0, 1].
    kappa : float
        Exploration weight of the lower confidence bound ``mu - kappa sigma``.
    seed : int
        Seed of the first draw of each stage and of the GP fits.
    """

    def __init__(self, lr_min: float = 1e-3, lr_max: float = 1.0, tau: int = 100, tau_max: int = 800,
                 growth: float = 2.0, k: int = 10, explore_fraction: float = 0.1, kappa: float = 1.0, seed: int = 0):
        self.lr_min, self.lr_max = check_positive("lr_min", lr_min), check_positive("lr_max", lr_max)
        if not self.lr_min < self.lr_max:
            raise ValueError(f"lr_max must be > lr_min={lr_min!r}, got {lr_max!r}")
        self.tau, self.tau_max = check_whole("tau", tau, 1), check_whole("tau_max", tau_max, 1)
        if self.tau_max < self.tau:
            raise ValueError(f"tau_max must be >= tau={tau!r}, got {tau_max!r}")
        self.growth = check_positive("growth", growth)
        if self.growth < 1:
            raise ValueError(f"growth must be >= 1, got {growth!r}")
        self.k = check_whole("k", k, 1)
        if not 0 < explore_fraction <= 1:
            raise ValueError(f"explore_fraction must be in (0, 1], got {explore_fraction!r}")
        self.explore_fraction = float(explore_fraction)
        if not (isinstance(kappa, (int, float)) and math.isfinite(kappa) and kappa >= 0):
            raise ValueError(f"kappa must be a finite number >= 0, got {kappa!r}")
        self.kappa, self.seed = float(kappa), check_whole("seed", seed, 0)
        self._grid = np.linspace(math.log10(self.lr_min), math.log10(self.lr_max), 1001)

    def __repr__(self):
        return (f"AutoLRS(lr in [{self.lr_min:g}, {self.lr_max:g}], tau={self.tau}..{self.tau_max}, k={self.k}, "
                f"explore_fraction={self.explore_fraction:g}, kappa={self.kappa:g})")

    def next_lr(self, xs: list[float], ys: list[float], rng: np.random.Generator) -> float:
        """``log10`` of the next learning rate to explore, from this stage's observations."""
        if not xs:
            return float(rng.uniform(self._grid[0], self._grid[-1]))
        model = fit_gp(np.array(xs)[:, None], np.log(np.array(ys)), seed=self.seed, n_restarts=1,
                       normalize=False)
        mu, sigma = model.predict(self._grid[:, None], return_std=True)
        return float(self._grid[int(np.argmin(mu - self.kappa * sigma))])

    def run(self, trainer: Trainer, total_steps: int, progress: bool = False) -> LRRun:
        """Train with ``trainer`` for ``total_steps`` steps, choosing the learning rate stage by stage.

        ``trainer`` needs ``state()``, ``load(state)``, ``val_loss()`` and
        ``train(steps, lr)`` (as :class:`Trainer` has); with ``val_accuracy()``
        too, the accuracy at the end of every stage is recorded.
        """
        from tqdm.auto import tqdm

        check_whole("total_steps", total_steps, 1)
        result, tau, stage = LRRun(), self.tau, 0
        bar = tqdm(total=total_steps, disable=not progress, desc="AutoLRS", unit="step")
        start_loss = trainer.val_loss()
        while len(result.lrs) < total_steps:
            tau_now = min(tau, total_steps - len(result.lrs))
            short = max(1, int(round(self.explore_fraction * tau_now)))
            checkpoint, rng = trainer.state(), np.random.default_rng([self.seed, stage])
            xs, ys = [], []
            for _ in range(self.k):
                x = self.next_lr(xs, ys, rng)
                try:
                    series = [v for _, v in trainer.train(short, 10 ** x)]
                    forecast, how = forecast_loss(series, tau_now, start=start_loss)
                    realised = series[-1]
                except Diverged:
                    forecast, how, realised = 2 * start_loss, "diverged", math.nan
                result.explore_steps += trainer.step - checkpoint["step"]
                trainer.load(checkpoint)
                forecast = min(max(forecast, 1e-12), 10 * start_loss)  # a runaway forecast must not set the scale
                xs.append(x)
                ys.append(forecast)
                result.explored.append({"stage": stage, "lr": 10 ** x, "forecast": forecast, "how": how,
                                        "realised": realised})
            best = 10 ** xs[int(np.argmin(ys))]
            result.stages.append({"stage": stage, "start": len(result.lrs), "tau": tau_now, "lr": best})
            losses = trainer.train(tau_now, best)  # Diverged propagates: a study records the trial as failed
            result.lrs += [best] * tau_now
            result.train_loss += [t for t, _ in losses]
            result.val_loss += [v for _, v in losses]
            if hasattr(trainer, "val_accuracy"):  # a trainer that can measure it (the Trainer above) records it
                result.accuracy.append({"step": len(result.lrs), "val_accuracy": trainer.val_accuracy()})
            start_loss = result.val_loss[-1]
            bar.update(tau_now)
            tau, stage = min(int(round(tau * self.growth)), self.tau_max), stage + 1
        bar.close()
        return result
