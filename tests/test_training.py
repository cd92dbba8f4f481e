import math

import pytest
import torch

from hpolib import Float, Int, Reporter, Study, TrialState
from hpolib.dl import data
from hpolib.dl.models import lenet5, mlp
from hpolib.dl.objectives import image_classifier
from hpolib.dl.population import train_population
from hpolib.dl.training import Diverged, crop_flip, evaluate, lr_factor, train
from hpolib.executors import Job


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def digits_mlp(seed=0, **kwargs):
    torch.manual_seed(seed)
    return mlp(in_features=64, num_classes=10, **{"width": 64, **kwargs})


def test_mlp_learns_digits_deterministically(digits):
    runs = [train(digits_mlp(), digits, 5, lr=0.1, batch_size=32, seed=3) for _ in range(2)]
    assert runs[0].final["val_accuracy"] > 0.9
    assert runs[0].history == [{**h, "seconds": runs[0].history[i]["seconds"]} for i, h in enumerate(runs[1].history)]
    assert torch.equal(runs[0].checkpoint["model"]["1.weight"], runs[1].checkpoint["model"]["1.weight"])
    assert [h["epoch"] for h in runs[0].history] == [1, 2, 3, 4, 5]


def test_resuming_from_a_checkpoint_is_bit_identical(digits):
    kwargs = dict(lr=0.05, batch_size=32, seed=1, lr_schedule="cosine")
    straight = train(digits_mlp(dropout=0.2), digits, 4, **kwargs)
    half = train(digits_mlp(dropout=0.2), digits, 4, until=2, **kwargs)
    resumed = train(digits_mlp(seed=99, dropout=0.2), digits, 4, checkpoint=half.checkpoint, **kwargs)
    for name, tensor in straight.checkpoint["model"].items():
        assert torch.equal(tensor, resumed.checkpoint["model"][name]), name
    assert resumed.history[-1]["val_loss"] == straight.history[-1]["val_loss"]


def test_a_diverging_run_raises_and_fails_its_trial(digits):
    with pytest.raises(Diverged, match="training loss became (nan|inf) at epoch"):
        train(digits_mlp(), digits, 3, lr=1e6, momentum=0.99, batch_size=16)
    objective = image_classifier("mlp", digits, max_epochs=2)
    study = Study(__import__("hpolib").Space({"lr": Float(1e5, 1e7, log=True)}), seed=0,
                  direction="maximize", metric="val_accuracy")
    study.optimize(objective, n_trials=1, progress=False)
    assert study.trials[0].state is TrialState.FAILED and "Diverged: training loss became" in study.trials[0].error


def test_schedules_and_validation(digits):
    assert lr_factor("step", 0.6) == pytest.approx(0.1) and lr_factor("step", 0.8) == pytest.approx(0.01)
    assert lr_factor("cosine", 0.5) == pytest.approx(0.5) and lr_factor("onecycle", 0.3) == pytest.approx(1.0)
    result = train(digits_mlp(), digits, 2, lr=0.1, lr_schedule="step", batch_size=64)
    assert result.history[-1]["lr"] == pytest.approx(0.001)
    with pytest.raises(ValueError, match="lr_schedule"):
        train(digits_mlp(), digits, 1, lr_schedule="linear")
    with pytest.raises(ValueError, match="lr must be a finite number >= 0"):
        train(digits_mlp(), digits, 1, lr=-1.0)
    with pytest.raises(ValueError, match="optimizer"):
        train(digits_mlp(), digits, 1, optimizer="lbfgs")


def test_adam_l1_l2_and_data_fraction(digits):
    result = train(digits_mlp(), digits, 3, optimizer="adam", lr=1e-2, l1=1e-5, l2=1e-4, data_fraction=0.5)
    assert result.final["val_accuracy"] > 0.85
    loss, accuracy = evaluate(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 10)), digits.val)
    assert math.isfinite(loss) and 0 <= accuracy <= 1


def test_image_classifier_objective_reports_every_epoch(digits):
    objective = image_classifier("lenet5", "mnist5k", fixed={"activation": "relu", "batch_size": 32}, max_epochs=2,
                                 data_options={"subset": 2000}, test=True)
    seen = []
    metrics = objective({"c1": 4, "c3": 8, "c5": 32, "f6": 32, "lr": 0.05}, 2, lambda s, v: seen.append((s, v)))
    assert [s for s, _ in seen] == [1, 2] and seen[-1][1] == metrics["val_accuracy"]
    assert metrics["val_accuracy"] > 0.5 and 0 < metrics["test_accuracy"] <= 1 and metrics["epochs"] == 2
    half = objective({"c1": 4, "c3": 8, "c5": 32, "f6": 32, "lr": 0.05}, 0.5)
    assert half["epochs"] == 1
    with pytest.raises(ValueError, match=r"configuration keys \['dropout'\]"):
        objective({"dropout": 0.1})


def test_a_checkpoint_holding_other_objects_is_refused_and_its_code_never_runs(digits, tmp_path, plant):
    objective = image_classifier("mlp", digits, fixed={"batch_size": 32, "width": 16, "lr": 0.1}, max_epochs=2)
    parent, child = tmp_path / "0", tmp_path / "1"
    parent.mkdir(), child.mkdir()
    objective({}, 1, Reporter(lambda step, value: True, Job(0, {}, 1, str(parent))))
    steps = []
    objective({}, 2, Reporter(lambda step, value: steps.append(step) or True, Job(1, {}, 2, str(child), str(parent))))
    assert steps == [2]  # continued from the checkpoint that the first call saved
    ran = plant(parent / "checkpoint.pt")
    with pytest.raises(ValueError, match=r"refused to load .*0/checkpoint.pt: it holds objects other than tensors"):
        objective({}, 2, Reporter(lambda step, value: True, Job(1, {}, 2, str(child), str(parent))))
    assert not ran.exists()


def test_image_classifier_in_a_study(digits):
    space = __import__("hpolib").Space({"lr": Float(1e-2, 0.5, log=True), "width": Int(16, 64)})
    objective = image_classifier("mlp", digits, fixed={"batch_size": 32}, max_epochs=3)
    study = Study(space, direction="maximize", metric="val_accuracy", seed=0)
    study.optimize(objective, n_trials=3, trial_budget=3, progress=False)
    assert study.best.value > 0.85 and len(study.best.steps) == 3
    from hpolib.book.provenance import cpu_name

    machine = {"precision": "float32", "cpu": cpu_name(), "capability": torch.backends.cpu.get_cpu_capability()}
    assert all(t.user_attrs == machine for t in study.trials)  # which trials ran where, if the study moves


def test_population_matches_members_trained_one_by_one(digits):
    settings = [{"lr": 0.05, "momentum": 0.9}, {"lr": 0.2, "momentum": 0.5, "weight_decay": 1e-3},
                {"lr": 0.01, "momentum": 0.0}]
    members = [digits_mlp(seed=k, hidden_layers=2, activation="sigmoid") for k in range(3)]
    trained, history = train_population(members, digits, 3, settings, batch_size=32, seed=4)
    for k, (member, hp) in enumerate(zip(members, settings)):
        alone = train(member, digits, 3, batch_size=32, seed=4, **hp)
        for name, tensor in alone.checkpoint["model"].items():
            assert torch.allclose(trained[k].state_dict()[name], tensor, atol=1e-4), (k, name)
        assert history[-1][k]["val_accuracy"] == pytest.approx(alone.final["val_accuracy"], abs=2 / len(digits.val))
        assert history[-1][k]["train_loss"] == pytest.approx(alone.final["train_loss"], rel=1e-3)


def test_population_refuses_what_it_cannot_batch(digits):
    with pytest.raises(ValueError, match="Dropout"):
        train_population([digits_mlp(dropout=0.1)], digits, 1, [{"lr": 0.1}])
    with pytest.raises(ValueError, match="one hyperparameter dict per model"):
        train_population([digits_mlp()], digits, 1, [])
    with pytest.raises(ValueError, match="lr"):
        train_population([digits_mlp()], digits, 1, [{"momentum": 0.9}])


def test_lenet_on_grey_and_colour_inputs_trains(digits):
    small = data.load("digits", size=32)
    torch.manual_seed(0)
    result = train(lenet5(in_channels=1, activation="relu"), small, 2, lr=0.05, batch_size=32)
    assert result.final["val_accuracy"] > 0.5


def test_step_decay_counts_absolute_epochs():
    from hpolib.dl.training import StepDecay

    decay = StepDecay(0.5, 2, epochs=6)  # progress 0..1 spans 6 epochs
    assert [decay(e / 6) for e in range(6)] == [1, 1, 0.5, 0.5, 0.25, 0.25]
    with pytest.raises(ValueError, match=r"lr_decay must be a number in \(0, 1\]"):
        StepDecay(1.5, 2, 6)


def test_early_stopping_after_patience_epochs_without_a_better_validation_loss(digits):
    full = train(digits_mlp(), digits, 12, lr=0.5, momentum=0.9, batch_size=16, seed=0)
    losses = [h["val_loss"] for h in full.history]
    expected, since = 12, 0  # the first epoch that ends a run of 2 epochs without a new lowest loss
    for epoch in range(1, 12):
        since = 0 if losses[epoch] < min(losses[:epoch]) else since + 1
        if since == 2:
            expected = epoch + 1
            break
    stopped = train(digits_mlp(), digits, 12, lr=0.5, momentum=0.9, batch_size=16, seed=0, patience=2)
    assert len(stopped.history) == expected < 12 and stopped.checkpoint["epoch"] == expected
    assert stopped.history == [{**h, "seconds": stopped.history[i]["seconds"]}
                               for i, h in enumerate(full.history[:expected])]
    fixed = {"width": 64, "lr": 0.5, "momentum": 0.9, "batch_size": 16, "patience": 2}
    objective = image_classifier("mlp", digits, fixed=fixed, max_epochs=12)  # the training above, as an objective
    assert objective({}, 12)["epochs"] == expected
    with pytest.raises(ValueError, match="patience must be a whole number >= 1"):
        train(digits_mlp(), digits, 2, patience=0)


def test_crop_flip_moves_each_image_within_its_padding_and_flips_about_half():
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).reshape(2, 3, 8, 8).repeat(200, 1, 1, 1)
    out = crop_flip(x, torch.Generator().manual_seed(0), padding=2)
    assert out.shape == x.shape
    again = crop_flip(x, torch.Generator().manual_seed(0), padding=2)
    assert torch.equal(out, again)  # the generator alone decides the crops
    padded = torch.nn.functional.pad(x, (2,) * 4)
    flipped = 0
    for image, source in zip(out[:40], padded[:40]):  # every output is some crop of its padded image, or its mirror
        crops = [source[:, r:r + 8, c:c + 8] for r in range(5) for c in range(5)]
        plain, mirror = (any(torch.equal(image, crop) for crop in crops),
                         any(torch.equal(image, crop.flip(-1)) for crop in crops))
        assert plain or mirror
        flipped += mirror and not plain
    assert 8 <= flipped <= 32


def test_augmented_training_is_seeded_and_validated(digits):
    grey = data.Dataset("digits", *(data.Split(s.x.repeat(1, 1, 4, 4), s.y) for s in (digits.train, digits.val,
                                                                                       digits.test)), digits.classes)

    def small():
        torch.manual_seed(0)
        return lenet5(c1=4, c3=4, c5=8, f6=16, input_size=32)

    runs = [train(small(), grey, 1, seed=2, augment="crop-flip") for _ in range(2)]
    assert runs[0].final["val_loss"] == runs[1].final["val_loss"]
    plain = train(small(), grey, 1, seed=2)
    assert plain.final["train_loss"] != runs[0].final["train_loss"]
    with pytest.raises(ValueError, match="augment must be one of none, crop-flip, got 'mixup'"):
        train(lenet5(), grey, 1, augment="mixup")
