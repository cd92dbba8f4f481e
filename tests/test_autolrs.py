"""AutoLRS: the forecaster, the choice of learning rate on a problem with a known best, exact restores."""

import math

import numpy as np
import pytest
import torch

from hpolib.dl.data import load
from hpolib.dl.lr import AutoLRS, LRRun, ScheduleRuns, Trainer, forecast_loss, run_schedule
from hpolib.dl.models import mlp
from hpolib.dl.training import Diverged


def test_the_forecaster_recovers_a_synthetic_exponential_curve():
    t = np.arange(1, 61)
    curve = 2.0 * np.exp(-0.05 * t) + 0.5
    assert forecast_loss(curve, 60) == (pytest.approx(curve[-1], rel=1e-6), "exponential")
    assert forecast_loss(curve, 300)[0] == pytest.approx(0.5 + 2.0 * math.exp(-15), abs=1e-4)
    noisy = curve + np.random.default_rng(0).normal(0, 0.01, len(t))
    assert forecast_loss(noisy, 300)[0] == pytest.approx(0.5, abs=0.03)


def test_the_forecaster_falls_back_when_the_fit_is_not_usable():
    assert forecast_loss([1.0, 0.9, 0.8], 100) == (pytest.approx(0.8), "fallback")  # too few points
    with pytest.raises(ValueError, match="finite"):
        forecast_loss([1.0, float("nan"), 0.5, 0.4], 10)
    with pytest.raises(ValueError, match="one entry per loss"):
        forecast_loss([1.0, 0.9, 0.8, 0.7], 10, steps=[1, 2, 3])


def test_a_rising_loss_is_forecast_no_lower_than_it_ended():
    rising = 2.0 - np.exp(-0.05 * np.arange(1, 41))  # blown up, levelling off near 2
    value, how = forecast_loss(rising, 400)
    assert how == "exponential" and value == pytest.approx(2.0, abs=0.01)
    straight = np.linspace(1.0, 2.0, 20)
    assert forecast_loss(straight, 100)[0] >= np.mean(straight[-5:]) - 1e-9  # no extrapolated fall


def test_a_forecast_never_goes_below_zero():
    steep = np.linspace(1.0, 0.2, 30)  # a straight fall would cross zero long before step 500
    value, how = forecast_loss(steep, 500)
    assert how == "exponential" and 0.0 <= value < 0.2


def test_on_noisy_minibatch_losses_the_forecasts_rank_the_rates_as_their_losses_at_the_horizon():
    """Three rates: the large one falls fast to a high floor, the small one slowly to a low floor; which is best
    depends on the horizon. Noise of 0.05 and a few large outliers, as minibatch losses have."""
    rng = np.random.default_rng(0)
    t = np.arange(1, 101)
    curves = {"large": (1.5, 0.08, 1.0), "middle": (1.8, 0.03, 0.7), "small": (2.0, 0.004, 0.3)}
    for horizon in (150, 1000):
        truth = {name: a * math.exp(-b * horizon) + c for name, (a, b, c) in curves.items()}
        forecasts = {}
        for name, (a, b, c) in curves.items():
            series = a * np.exp(-b * t) + c + rng.normal(0, 0.05, len(t))
            series[rng.choice(len(t), 3, replace=False)] += 1.5  # a few bad batches
            forecasts[name], how = forecast_loss(series, horizon)
            assert how == "exponential"
        assert min(forecasts, key=forecasts.get) == min(truth, key=truth.get)
        assert sorted(forecasts, key=forecasts.get) == sorted(truth, key=truth.get)


def test_the_validation_series_is_measured_at_evenly_spaced_steps():
    trainer = Quadratic(h=10.0)
    series, steps = AutoLRS(loss="validation", val_points=4)._explore(trainer, 10, 0.01)
    assert steps == [2, 5, 8, 10] and trainer.step == 10 and len(series) == 4 and series[-1] < series[0]


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
            out.append(loss)
        return out


def test_autolrs_finds_the_good_region_of_a_quadratic_and_stays_in_its_interval():
    trainer = Quadratic(h=10.0)
    result = AutoLRS(lr_min=1e-3, lr_max=1.0, tau=20, tau_max=40, k=8, explore_fraction=0.25, kappa=1.0,
                     seed=0).run(trainer, 60)
    assert len(result.lrs) == 60 and result.explore_steps > 0
    assert all(1e-3 <= e["lr"] <= 1.0 for e in result.explored)
    blown_up = [e for e in result.explored if e["lr"] > 0.2 and e["stage"] == 0]  # above 2/h: growing loss
    assert blown_up and all(e["forecast"] > 20 for e in blown_up)
    first = result.stages[0]["lr"]
    assert 0.02 < first < 0.2  # 1/h = 0.1 is best; from about 0.02 up, 20 steps reach the floor
    assert result.train_loss[-1] < 0.011  # converged to the floor


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


def test_a_checkpoint_restores_the_same_state_however_often_it_is_restored():
    """Explorations between restores (one of them diverging) must not reach the checkpoint's momentum."""
    data = load("digits", seed=0)
    torch.manual_seed(0)
    trainer = Trainer(mlp(in_features=64, num_classes=10, width=32), data, batch_size=32, val_size=100, seed=3)
    trainer.train(5, 0.05)  # momentum buffers exist from here on
    checkpoint = trainer.state()
    expected = trainer.train(4, 0.02)
    for lr in (0.3, 1e6, 0.01):
        trainer.load(checkpoint)
        try:
            trainer.train(6, lr)
        except Diverged:
            pass
    trainer.load(checkpoint)
    assert trainer.train(4, 0.02) == expected


def test_autolrs_on_a_real_network_records_its_schedule():
    data = load("digits", seed=0)
    torch.manual_seed(0)
    trainer = Trainer(mlp(in_features=64, num_classes=10, width=32), data, batch_size=32, val_size=200, seed=0)
    result = AutoLRS(lr_min=1e-3, lr_max=0.5, tau=40, tau_max=80, k=5, explore_fraction=0.25, eval_every=20,
                     seed=1).run(trainer, 200)
    assert len(result.lrs) == len(result.train_loss) == 200 and len(result.stages) == 3  # 40 + 80 + 80
    assert [s["tau"] for s in result.stages] == [40, 80, 80]
    assert result.lrs[0] == result.stages[0]["lr"] and result.lrs[-1] == result.stages[-1]["lr"]
    assert len(result.explored) == 15 and result.explore_steps == 5 * (10 + 20 + 20)
    assert np.mean(result.train_loss[-20:]) < 0.5 * np.mean(result.train_loss[:20])
    assert trainer.accuracy(data.val)[1] > 0.85  # a constant 0.1 reaches 0.92 in 100 steps
    assert [v["step"] for v in result.validation] == list(range(20, 201, 20))
    assert [v["total_steps"] - v["step"] for v in result.validation][:3] == [50, 50, 150]  # exploration so far
    assert result.validation[-1] == {"step": 200, "total_steps": 450, **trainer.validate()}
    assert LRRun.from_dict(result.to_dict()) == result


def test_a_fixed_schedule_is_recorded_step_by_step():
    data = load("digits", seed=0)
    torch.manual_seed(0)
    trainer = Trainer(mlp(in_features=64, num_classes=10, width=32), data, batch_size=32, val_size=100, seed=0)
    run = run_schedule(trainer, 0.1, "step", 120, eval_every=50)
    assert run.lrs[:60] == [0.1] * 60 and run.lrs[60:90] == [pytest.approx(0.01)] * 30
    assert run.lrs[90:] == [pytest.approx(0.001)] * 30 and len(run.train_loss) == 120
    assert [v["step"] for v in run.validation] == [50, 100, 120] and run.validation[-1]["val_accuracy"] > 0.85
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
    with pytest.raises(ValueError, match="loss must be 'train' or 'validation'"):
        AutoLRS(loss="test")


def test_schedule_runs_keep_every_record_and_remake_only_what_a_change_touches(tmp_path):
    data = load("digits", seed=0)
    made = []

    def trainer(seed):
        made.append(seed)
        torch.manual_seed(seed)
        return Trainer(mlp(in_features=64, num_classes=10, width=16), data, batch_size=32, val_size=100, seed=seed)

    def runs(**changes):
        settings = dict(lr_min=1e-3, lr_max=0.5, tau=20, tau_max=20, k=3, explore_fraction=0.25) | changes
        return ScheduleRuns(trainer, 40, tmp_path, {"data": "digits"}, autolrs={"AutoLRS": settings},
                            milestones=(0.5,), eval_every=20)

    step = runs().record("step 0.1", 0)
    assert step["steps"] == 40 and step["explore_steps"] == 0 and step["final_lr"] == pytest.approx(0.01)
    assert step["test_accuracy"] > 0.5 and LRRun.from_dict(step["run"]).lrs[:20] == [0.1] * 20
    auto = runs().record("AutoLRS", 0)
    assert auto["explore_steps"] == 2 * 3 * 5 and len(LRRun.from_dict(auto["run"]).stages) == 2
    assert made == [0, 0]
    assert runs().record("step 0.1", 0) == step and runs().record("AutoLRS", 0) == auto and made == [0, 0]
    runs(k=2).record("step 0.1", 0)  # an AutoLRS setting does not touch the fixed schedules' records
    assert made == [0, 0]
    assert runs(k=2).record("AutoLRS", 0)["explore_steps"] == 2 * 2 * 5 and made == [0, 0, 0]
    assert runs().record("cosine 0.1", 1)["seed"] == 1 and made == [0, 0, 0, 1]
    with pytest.raises(ValueError, match="label must be an AutoLRS variant"):
        runs().record("linear 0.1", 0)
    with pytest.raises(ValueError, match="k must be"):
        runs(k=0)  # a bad variant stops before any training
