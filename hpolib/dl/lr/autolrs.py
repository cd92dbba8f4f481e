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
2. train ``tau'`` steps at ``eta_i``, recording the loss series: the training
   loss of every step (``loss="train"``, free) or the validation loss at
   ``val_points`` evenly spaced steps (``loss="validation"``);
3. forecast the loss after ``tau`` steps with the exponential model
   ``y(t) = a exp(-b t) + c`` fitted to that series (:func:`forecast_loss`);
4. add ``(x_i, forecast)`` to the GP's data and restore the checkpoint.

Then the stage trains ``tau`` steps at the explored learning rate with the
lowest forecast loss. ``tau`` starts at ``tau`` and is multiplied by ``growth``
after each stage up to ``tau_max`` (the paper doubles it); ``tau'`` is
``explore_fraction * tau``. Stages repeat until ``total_steps`` training steps
are done; the exploration steps come on top and are recorded, so a
comparison with fixed schedules can count them.

The defaults are the paper's and its authors' released code's: ``tau = 1000``
doubling to ``8000``, ``k = 10``, ``tau' = tau / 10``, learning rates in
``[1e-3, 1e-1]``, the training-loss series, and ``kappa = 1e6`` in the lower
confidence bound, which makes each pick the rate the GP knows least about:
the ``k`` explorations spread over the interval.
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from scipy.optimize import least_squares

from ..._checks import check_positive, check_whole
from ...optimizers.gp import fit_gp
from ..precision import resolve_precision
from ..training import Diverged, evaluate, lr_factor, resolve_device

__all__ = ["AutoLRS", "LRRun", "Trainer", "forecast_loss", "run_schedule"]


def forecast_loss(losses, horizon: float, steps=None) -> tuple[float, str]:
    """Forecast of the loss at step ``horizon`` from the series ``losses`` measured at ``steps`` (default 1, 2, ...).

    Fits ``y(t) = a exp(-b t) + c`` (``b > 0``, ``c >= 0``; ``a`` of either
    sign, so that a loss that rises and levels off is forecast at its level)
    by robust least squares (``scipy.optimize.least_squares`` with the
    ``soft_l1`` loss, its scale the series' step-to-step noise), and
    evaluates it at ``horizon``. A minibatch loss is noisy and has outliers;
    the robust fit gives them a bounded weight, as the authors' code does by
    removing the points farthest from a smoothing spline before its fit.

    The fallback, used with fewer than four points, a failed fit or a
    non-finite forecast, is the mean of the series' last quarter: the loss is
    taken to stay where it is.

    Returns
    -------
    (forecast, how) : float, str
        ``how`` is ``"exponential"`` or ``"fallback"``.

    >>> t = np.arange(1, 101)
    >>> value, how = forecast_loss(2.0 * np.exp(-0.03 * t) + 0.5, 1000)
    >>> how, round(value, 3)
    ('exponential', 0.5)
    """
    y = np.asarray(losses, dtype=float)
    t = np.arange(1, len(y) + 1, dtype=float) if steps is None else np.asarray(steps, dtype=float)
    if not np.all(np.isfinite(y)):
        raise ValueError("losses must be finite")
    if t.shape != y.shape:
        raise ValueError(f"steps must have one entry per loss, got {len(t)} for {len(y)}")
    tail = float(np.mean(y[-max(1, len(y) // 4):]))
    if len(y) < 4:
        return tail, "fallback"
    scale = float(t[-1])  # fit in t / scale so that b is of order one

    def residual(p):
        a, b, c = p
        return a * np.exp(-b * t / scale) + c - y

    step_noise = np.diff(y)
    noise = 1.4826 * float(np.median(np.abs(step_noise - np.median(step_noise)))) / math.sqrt(2)
    spread = float(y.max() - y.min())
    try:
        fit = least_squares(residual, x0=(max(y[0] - y[-1], 1e-6), 1.0, max(float(y.min()), 0.0)),
                            bounds=([-np.inf, 1e-6, 0.0], [np.inf, 100.0, np.inf]), loss="soft_l1",
                            f_scale=max(noise, 1e-3 * spread, 1e-12))
    except (ValueError, np.linalg.LinAlgError):
        return tail, "fallback"
    a, b, c = fit.x
    value = float(a * math.exp(-b * horizon / scale) + c)
    if not fit.success or not math.isfinite(value):
        return tail, "fallback"
    return max(value, 0.0), "exponential"


class Trainer:
    """Minibatch SGD on a dataset held as tensors, step by step, with checkpoints.

    The data order of step ``s`` depends only on ``(seed, s)`` and the
    checkpoint holds the model, the optimiser and the step, so training after
    ``load(state())`` is bit-identical to training on without it.

    Parameters
    ----------
    model : nn.Module
    data : hpolib.dl.data.Dataset
    batch_size : int
    momentum, weight_decay : float
        SGD settings (the paper's VGG runs: momentum 0.9, weight decay 5e-4).
    val_size : int
        Validation images of :meth:`val_loss`, the quick loss AutoLRS can
        forecast (a fixed leading slice of the validation split).
    seed : int
    device : str
    precision : {"float32", "float64", "bfloat16", "auto"}
        As in :func:`hpolib.dl.training.train`.
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
        """Restore ``state``; it stays as it was, so that it can be restored again (the optimiser would otherwise
        share its momentum buffers and move them in place)."""
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(copy.deepcopy(state["optimizer"]))
        self.step = state["step"]

    def _batch(self, step: int) -> torch.Tensor:
        epoch, index = divmod(step, self.steps_per_epoch)
        if self._order[0] != epoch:  # one permutation per epoch, drawn from (seed, epoch) alone
            generator = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            self._order = (epoch, torch.randperm(len(self.y), generator=generator).to(self.device))
        return self._order[1][index * self.batch_size:(index + 1) * self.batch_size]

    @torch.no_grad()
    def val_loss(self) -> float:
        """Loss on the ``val_size`` leading validation images."""
        was = self.model.training
        self.model.eval()
        with self.precision.context():
            loss = F.cross_entropy(self.model(self.val_x), self.val_y).item()
        self.model.train(was)
        return loss

    def train(self, steps: int, lr: float) -> list[float]:
        """Train ``steps`` steps at ``lr``; the training loss of each. Raises Diverged."""
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
            out.append(loss.item())
        return out

    def accuracy(self, split) -> tuple[float, float]:
        """``(loss, accuracy)`` on a whole split, e.g. ``trainer.data.test``."""
        return evaluate(self.model, split, device=self.device, precision=self.precision)

    def validate(self) -> dict:
        """Loss and accuracy on the whole validation split."""
        loss, accuracy = self.accuracy(self.data.val)
        return {"val_loss": loss, "val_accuracy": accuracy}


@dataclass
class LRRun:
    """A training run's record: the learning rate and training loss of every step, and the validation loss and
    accuracy along the way (``validation``: step, total_steps with exploration, val_loss, val_accuracy); for
    AutoLRS also every explored point and every stage."""

    lrs: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    validation: list[dict] = field(default_factory=list)
    explored: list[dict] = field(default_factory=list)  # stage, lr, forecast, how, realised (loss after tau')
    stages: list[dict] = field(default_factory=list)  # stage, start, tau, lr
    explore_steps: int = 0

    def to_dict(self, digits: int | None = None) -> dict:
        """The record as a dict; with ``digits``, the per-step learning rates and losses to that many significant
        digits (a compact file)."""
        record = asdict(self)
        if digits is not None:
            for name in ("lrs", "train_loss"):
                record[name] = [float(f"{v:.{digits}g}") for v in record[name]]
        return record

    @classmethod
    def from_dict(cls, record: dict) -> LRRun:
        return cls(**record)


def run_schedule(trainer: Trainer, lr: float, schedule="constant", total_steps: int = 1000,
                 eval_every: int | None = None, progress: bool = False) -> LRRun:
    """Train ``total_steps`` steps at ``lr`` times :func:`hpolib.dl.training.lr_factor` of ``schedule``.

    The fixed schedules AutoLRS is compared with (constant, step, cosine,
    one-cycle, or any callable of the progress in [0, 1]), recorded the same
    way; the validation loss and accuracy are measured every ``eval_every``
    steps (default: once per epoch) and at the end. Raises Diverged.
    """
    from tqdm.auto import tqdm

    check_positive("lr", lr)
    check_whole("total_steps", total_steps, 1)
    every = check_whole("eval_every", eval_every or trainer.steps_per_epoch, 1)
    run = LRRun()
    for step in tqdm(range(total_steps), disable=not progress, desc=f"{schedule}", unit="step"):
        rate = lr * lr_factor(schedule, step / total_steps)
        run.train_loss += trainer.train(1, rate)
        run.lrs.append(rate)
        if (step + 1) % every == 0 or step + 1 == total_steps:
            run.validation.append({"step": step + 1, "total_steps": step + 1, **trainer.validate()})
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
    loss : {"train", "validation"}
        The loss series an exploration is judged by: the training loss of
        every step, or the trainer's ``val_loss()`` at ``val_points`` evenly
        spaced steps.
    val_points : int
        Validation losses per exploration with ``loss="validation"`` (the
        authors' code measures 16).
    eval_every : int or None
        Steps between validation records while a stage trains (default: only
        at the end of each stage), for the accuracy-against-steps curve.
    seed : int
        Seed of the first draw of each stage and of the GP fits.
    """

    def __init__(self, lr_min: float = 1e-3, lr_max: float = 0.1, tau: int = 1000, tau_max: int = 8000,
                 growth: float = 2.0, k: int = 10, explore_fraction: float = 0.1, kappa: float = 1e6,
                 loss: str = "train", val_points: int = 16, eval_every: int | None = None, seed: int = 0):
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
        if loss not in ("train", "validation"):
            raise ValueError(f"loss must be 'train' or 'validation', got {loss!r}")
        self.kappa, self.loss, self.val_points = float(kappa), loss, check_whole("val_points", val_points, 4)
        self.eval_every = None if eval_every is None else check_whole("eval_every", eval_every, 1)
        self.seed = check_whole("seed", seed, 0)
        self._grid = np.linspace(math.log10(self.lr_min), math.log10(self.lr_max), 1001)

    def __repr__(self):
        return (f"AutoLRS(lr in [{self.lr_min:g}, {self.lr_max:g}], tau={self.tau}..{self.tau_max}, k={self.k}, "
                f"explore_fraction={self.explore_fraction:g}, kappa={self.kappa:g}, loss={self.loss!r})")

    def next_lr(self, xs: list[float], ys: list[float], rng: np.random.Generator) -> float:
        """``log10`` of the next learning rate to explore, from this stage's observations.

        The GP works on the interval scaled to [0, 1], with a log-normal prior
        on its length scale (median 0.5) so that a handful of points cannot
        make it arbitrarily short; ``sigma`` is the latent function's, without
        the fitted noise, so that a point already explored is not picked again.
        """
        if not xs:
            return float(rng.uniform(self._grid[0], self._grid[-1]))
        low, width = self._grid[0], self._grid[-1] - self._grid[0]
        unit = (self._grid[:, None] - low) / width
        model = fit_gp((np.array(xs)[:, None] - low) / width, np.log(np.array(ys)), seed=self.seed, n_restarts=1,
                       normalize=True, length_scale_prior=(0.5, 1.0))
        mu, sigma = model.predict(unit, return_std=True)
        noise = model.kernel_.k2.noise_level * model._y_train_std ** 2
        latent = np.sqrt(np.maximum(sigma**2 - noise, 0.0))
        return float(self._grid[int(np.argmin(mu - self.kappa * latent))])

    def _explore(self, trainer, steps: int, lr: float) -> tuple[list[float], list[int]]:
        """The loss series of ``steps`` steps at ``lr`` and the steps (from 1) it was measured at."""
        if self.loss == "train":
            return trainer.train(steps, lr), list(range(1, steps + 1))
        ends = sorted({max(1, round(steps * (i + 1) / self.val_points)) for i in range(self.val_points)})
        series, done = [], 0
        for end in ends:
            trainer.train(end - done, lr)
            series.append(trainer.val_loss())
            done = end
        return series, ends

    def _stage(self, trainer, result: LRRun, stage: int, tau: int) -> float:
        """Explore ``k`` learning rates from the checkpoint and return the one with the lowest forecast."""
        short = max(1, int(round(self.explore_fraction * tau)))
        checkpoint, rng = trainer.state(), np.random.default_rng([self.seed, stage])
        ceiling = 10 * trainer.val_loss()  # a diverged or runaway rate's forecast; it must not set the GP's scale
        xs, ys = [], []
        for _ in range(self.k):
            x = self.next_lr(xs, ys, rng)
            try:
                series, at = self._explore(trainer, short, 10 ** x)
                forecast, how = forecast_loss(series, tau, steps=at)
                realised = float(np.mean(series[-max(1, len(series) // 10):]))
            except Diverged:
                forecast, how, realised = ceiling, "diverged", math.nan
            result.explore_steps += trainer.step - checkpoint["step"]
            trainer.load(checkpoint)
            xs.append(x)
            ys.append(min(max(forecast, 1e-12), ceiling))
            result.explored.append({"stage": stage, "lr": 10 ** x, "forecast": ys[-1], "how": how,
                                    "realised": realised})
        return 10 ** xs[int(np.argmin(ys))]

    def run(self, trainer: Trainer, total_steps: int, progress: bool = False) -> LRRun:
        """Train with ``trainer`` for ``total_steps`` steps, choosing the learning rate stage by stage.

        ``trainer`` needs ``state()``, ``load(state)``, ``val_loss()`` and
        ``train(steps, lr)`` (as :class:`Trainer` has); with ``validate()``
        too, the validation loss and accuracy are recorded every
        ``eval_every`` steps and at the end of every stage.
        """
        from tqdm.auto import tqdm

        check_whole("total_steps", total_steps, 1)
        result, tau, stage = LRRun(), self.tau, 0
        bar = tqdm(total=total_steps, disable=not progress, desc="AutoLRS", unit="step")
        while len(result.lrs) < total_steps:
            tau_now = min(tau, total_steps - len(result.lrs))
            best = self._stage(trainer, result, stage, tau_now)
            result.stages.append({"stage": stage, "start": len(result.lrs), "tau": tau_now, "lr": best})
            end = len(result.lrs) + tau_now
            while len(result.lrs) < end:  # Diverged propagates: a study records the trial as failed
                left = end - len(result.lrs)  # with eval_every, a record at each multiple of it, whatever the stages
                chunk = min(self.eval_every - len(result.lrs) % self.eval_every, left) if self.eval_every else left
                result.train_loss += trainer.train(chunk, best)
                result.lrs += [best] * chunk
                if hasattr(trainer, "validate") and (self.eval_every or len(result.lrs) == end):
                    result.validation.append({"step": len(result.lrs),
                                              "total_steps": len(result.lrs) + result.explore_steps,
                                              **trainer.validate()})
                bar.update(chunk)
            tau, stage = min(int(round(tau * self.growth)), self.tau_max), stage + 1
        bar.close()
        return result
