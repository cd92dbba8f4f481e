"""AutoLRS: the forecaster, the choice of learning rate on a problem with a known best, exact restores."""

import math

import numpy as np
import pytest
import torch

from hpolib.data import load
from hpolib.lr import AutoLRS, Trainer, forecast_loss, run_schedule
from hpolib.models import mlp
from hpolib.training import Diverged


def test_the_forecaster_recovers_a_synthetic_exponential_curve():
    t = np.arange(1, 61)
    curve = 2.0 * np.exp(-0.05 * t) + 0.5
    assert forecast_loss(curve, 60) == (pytest.approx(curve[-1], rel=1e-6), "exponential")
    assert forecast_loss(curve, 300)[0] == pytest.approx(0.5 + 2.0 * math.exp(-15), abs=1e-4)
    noisy = curve + np.random.default_rng(0).normal(0, 0.01, len(t))
    assert forecast_loss(noisy, 300)[0] == pytest.approx(0.5, abs=0.03)


def test_the_forecaster_falls_back_when_the_fit_is_not_usable():
    assert forecast_loss([1.0, 0.9, 0.8], 100) == (pytest.approx(0.8), "fallback")  # too few points
    rising = np.linspace(1.0, 2.0, 20)
    assert forecast_loss(rising, 100) == (pytest.approx(np.mean(rising[-5:])), "fallback")
    with pytest.raises(ValueError, match="finite"):
        forecast_loss([1.0, float("nan"), 0.5, 0.4], 10)
    # a rate that blows the loss up from 0.3 and brings part of it back is judged by where it ended
    blown = 1000.0 * np.exp(-0.1 * np.arange(1, 33)) + 50.0
    assert forecast_loss(blown, 160)[1] == "exponential"  # on its own the recovery looks like progress
    assert forecast_loss(blown, 160, start=0.3) == (pytest.approx(np.mean(blown[-8:])), "fallback")


def test_a_forecast_never_goes_below_zero():
    steep = np.linspace(1.0, 0.2, 30)  # a straight fall would cross zero long before step 500
    value, how = forecast_loss(steep, 500, start=1.05)
    assert how == "exponential" and 0.0 <= value < 0.2


class Quadratic:
    """Gradient descent on 0.5 * h * |w|^2: the loss after n steps is (1 - lr h)^(2n) times the start;
    lr = 1/h is best and lr > 2/h diverges."""

    def __init__(self, h=10.0):
        self.h, self.w, self.step = h, np.array([1.0, -2.0]), 0

    def state(self):
        return {"w": self.w.copy(), "step": self.step}

    def load(self, state):
        self.w, self.step = state["w"].copy(), state["step"]

    def val_loss(self):
        return 0.5 * self.h * float(self.w @ self.w) + 0.01

    def train(self, steps, lr):
        out = []
        for _ in range(steps):
            self.w = self.w - lr * self.h * self.w
            self.step += 1
            loss = self.val_loss()
            if not math.isfinite(loss) or loss > 1e12:
                raise Diverged(f"loss {loss} at lr {lr}")
            out.append((loss, loss))
        return out


def test_autolrs_finds_the_good_region_of_a_quadratic_and_stays_in_its_interval():
    trainer = Quadratic(h=10.0)
    result = AutoLRS(lr_min=1e-3, lr_max=1.0, tau=20, tau_max=40, k=8, explore_fraction=0.25, seed=0).run(trainer, 60)
    assert len(result.lrs) == 60 and result.explore_steps > 0
    assert all(1e-3 <= e["lr"] <= 1.0 for e in result.explored)
    blown_up = [e for e in result.explored if e["lr"] > 0.2 and e["stage"] == 0]  # above 2/h: growing loss
    assert blown_up and all(e["forecast"] > 20 for e in blown_up)
    first = result.stages[0]["lr"]
    assert 0.02 < first < 0.2  # 1/h = 0.1 is best; from about 0.02 up, 20 steps reach the floor
    assert result.val_loss[-1] < 0.011  # converged to the floor


def test_training_after_a_restore_is_bit_identical():
    data = load("digits", seed=0)

    def trainer():
        torch.manual_seed(0)
        return Trainer(mlp(in_features=64, num_classes=10, width=32, dropout=0.2), data, batch_size=32,
                       val_size=100, seed=3)

    straight = trainer()
    a = straight.train(7, 0.05) + straight.train(6, 0.02)
    resumed = trainer()
    first = resumed.train(7, 0.05)
    checkpoint = resumed.state()
    resumed.train(4, 0.5)  # an exploration, then thrown away
    resumed.load(checkpoint)
    b = first + resumed.train(6, 0.02)
    assert a == b
    for p, q in zip(straight.model.parameters(), resumed.model.parameters()):
        assert torch.equal(p, q)


def test_autolrs_on_a_real_network_records_its_schedule():
    data = load("digits", seed=0)
    torch.manual_seed(0)
    trainer = Trainer(mlp(in_features=64, num_classes=10, width=32), data, batch_size=32, val_size=200, seed=0)
    result = AutoLRS(lr_min=1e-3, lr_max=0.5, tau=40, tau_max=80, k=5, explore_fraction=0.25, seed=1).run(trainer,
                                                                                                        200)
    assert len(result.lrs) == len(result.val_loss) == 200 and len(result.stages) == 3  # 40 + 80 + 80
    assert [s["tau"] for s in result.stages] == [40, 80, 80]
    assert result.lrs[0] == result.stages[0]["lr"] and result.lrs[-1] == result.stages[-1]["lr"]
    assert len(result.explored) == 15 and result.explore_steps == 5 * (10 + 20 + 20)
    assert result.val_loss[-1] < 0.5 * result.val_loss[0]
    assert trainer.accuracy(data.val)[1] > 0.85  # a constant 0.1 reaches 0.92 in 100 steps
    assert [a["step"] for a in result.accuracy] == [40, 120, 200]
    assert result.accuracy[-1]["val_accuracy"] == trainer.val_accuracy()


def test_a_fixed_schedule_is_recorded_step_by_step():
    data = load("digits", seed=0)
    torch.manual_seed(0)
    trainer = Trainer(mlp(in_features=64, num_classes=10, width=32), data, batch_size=32, val_size=100, seed=0)
    run = run_schedule(trainer, 0.1, "step", 120, eval_every=50)
    assert run.lrs[:60] == [0.1] * 60 and run.lrs[60:90] == [pytest.approx(0.01)] * 30
    assert run.lrs[90:] == [pytest.approx(0.001)] * 30 and len(run.val_loss) == len(run.train_loss) == 120
    assert [a["step"] for a in run.accuracy] == [50, 100, 120] and run.accuracy[-1]["val_accuracy"] > 0.85
    assert trainer.step == 120 and not run.explored
    with pytest.raises(ValueError, match="lr must be"):
        run_schedule(trainer, -0.1)


def test_autolrs_arguments_are_checked():
    with pytest.raises(ValueError, match="lr_max must be > lr_min"):
        AutoLRS(lr_min=0.1, lr_max=0.01)
    with pytest.raises(ValueError, match="tau_max must be >= tau"):
        AutoLRS(tau=100, tau_max=10)
    with pytest.raises(ValueError, match=r"explore_fraction must be in \(0, 1\]"):
        AutoLRS(explore_fraction=0)
