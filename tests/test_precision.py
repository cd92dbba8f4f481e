"""The precision option: float64 portable across CPUs, bfloat16 only where native unless asked, float32 as before."""

import json
import os
import subprocess
import sys
import textwrap
import warnings

import pytest
import torch

from hpolib.dl import data, precision
from hpolib.dl.lr import Trainer, run_schedule
from hpolib.dl.models import lenet5, mlp
from hpolib.dl.objectives import image_classifier
from hpolib.dl.population import train_population
from hpolib.dl.precision import default_dtype, resolve_precision
from hpolib.dl.training import evaluate, train


@pytest.fixture(scope="module")
def digits():
    return data.load("digits")


def digits_mlp(seed=0, dtype="float32", **kwargs):
    torch.manual_seed(seed)
    with default_dtype(dtype):
        return mlp(in_features=64, num_classes=10, **{"width": 32, **kwargs})


PORTABLE_RUN = textwrap.dedent(
    """
    import json, torch
    from hpolib.dl import data
    from hpolib.dl.models import lenet5
    from hpolib.dl.precision import default_dtype
    from hpolib.dl.training import train

    digits = data.load("digits", size=28, subset=400, grayscale=True)  # resized: float64 preprocessing
    torch.manual_seed(0)
    with default_dtype("float64"):
        net = lenet5(6, 8, 40, 30, input_size=28)
    result = train(net, digits, 3, lr=0.1, batch_size=16, precision="float64")
    print(json.dumps([h["val_loss"] for h in result.history]))
    """
)


@pytest.mark.slow
def test_float64_training_gives_the_same_numbers_with_other_vector_units_and_threads():
    """What the nbval baselines rely on: last-bit differences between CPU kernels stay far below what is printed.

    (In float32 the same run's third validation loss differs in the first or second digit between these
    settings; in float64 a last-bit difference grows by a few orders of magnitude per epoch from 1e-16.)
    """
    runs = {}
    for capability, threads in (("", "2"), ("avx2", "1"), ("default", "2")):
        env = {**os.environ, "OMP_NUM_THREADS": threads}
        env.pop("ATEN_CPU_CAPABILITY", None)
        if capability:
            env["ATEN_CPU_CAPABILITY"] = capability
        out = subprocess.run([sys.executable, "-c", PORTABLE_RUN], env=env, capture_output=True, text=True,
                             check=True, timeout=120)
        runs[capability or "native"] = json.loads(out.stdout.strip().splitlines()[-1])
    native = runs.pop("native")
    for capability, losses in runs.items():
        assert losses == pytest.approx(native, rel=1e-7, abs=0), capability


def test_float64_trains_in_float64_and_float32_is_left_as_it_was(digits):
    result = train(digits_mlp(dtype="float64"), digits, 2, lr=0.1, batch_size=32, precision="float64")
    assert all(t.dtype == torch.float64 for t in result.checkpoint["model"].values() if t.is_floating_point())
    assert result.final["val_accuracy"] > 0.8
    plain, explicit = (train(digits_mlp(), digits, 2, lr=0.1, batch_size=32, **kw)
                       for kw in ({}, {"precision": "float32"}))
    assert plain.history[-1]["val_loss"] == explicit.history[-1]["val_loss"]
    assert all(t.dtype == torch.float32 for t in plain.checkpoint["model"].values() if t.is_floating_point())


def test_a_float32_network_trained_in_float64_is_converted(digits):
    model = digits_mlp()
    train(model, digits, 1, lr=0.1, precision="float64")
    assert next(model.parameters()).dtype == torch.float64
    assert evaluate(model, digits.val)[1] > 0.5  # evaluates in the weights' own dtype


def test_bfloat16_trains_with_float32_weights_and_reaches_float32_accuracy(digits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no native bfloat16 on this CPU: still works, with a warning
        result = train(digits_mlp(), digits, 5, lr=0.1, batch_size=32, precision="bfloat16")
    reference = train(digits_mlp(), digits, 5, lr=0.1, batch_size=32)
    assert all(t.dtype == torch.float32 for t in result.checkpoint["model"].values() if t.is_floating_point())
    assert result.final["val_accuracy"] > reference.final["val_accuracy"] - 0.05


def test_auto_picks_bfloat16_only_on_a_cpu_that_has_it(monkeypatch):
    monkeypatch.setattr(precision, "native_bfloat16", lambda device: True)
    assert resolve_precision("auto", "cpu").name == "bfloat16"
    assert resolve_precision("auto", "cuda").name == "float32"  # a GPU trains networks this small faster in float32
    monkeypatch.setattr(precision, "native_bfloat16", lambda device: False)
    assert resolve_precision("auto", "cpu").name == "float32"
    with pytest.warns(UserWarning, match="no native bfloat16"):
        chosen = resolve_precision("bfloat16", "cpu")
    assert chosen.autocast is torch.bfloat16 and chosen.dtype is torch.float32 and chosen.channels_last
    assert not resolve_precision("float32", "cpu").channels_last  # float32 is PyTorch's own, layout included


def test_a_conv_net_trains_in_bfloat16_channels_last():
    digits = data.load("digits", size=28, subset=300, grayscale=True)
    torch.manual_seed(0)
    net = lenet5(6, 8, 40, 30, input_size=28)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = train(net, digits, 3, lr=0.05, batch_size=16, precision="bfloat16")
    assert net.features[0].weight.is_contiguous(memory_format=torch.channels_last)
    assert result.final["val_accuracy"] > 0.5


def test_a_bad_precision_is_refused_before_any_work(digits):
    for call in (lambda: train(digits_mlp(), digits, 1, precision="half"),
                 lambda: image_classifier("mlp", "digits", precision="fp16"),
                 lambda: Trainer(digits_mlp(), digits, precision=32)):
        with pytest.raises(ValueError, match="precision must be one of float32, float64, bfloat16, auto"):
            call()


def test_default_dtype_is_restored_after_an_error():
    with pytest.raises(RuntimeError), default_dtype("float64"):
        raise RuntimeError
    assert torch.get_default_dtype() == torch.float32


def test_population_in_float64_matches_members_trained_alone_to_rounding(digits):
    settings = [{"lr": 0.05, "momentum": 0.9}, {"lr": 0.2, "momentum": 0.5, "weight_decay": 1e-3}]
    models = [digits_mlp(seed=k, dtype="float64") for k in range(2)]
    _, history = train_population(models, digits, 2, settings, batch_size=32, seed=4, precision="float64")
    for k, setting in enumerate(settings):
        alone = train(digits_mlp(seed=k, dtype="float64"), digits, 2, batch_size=32, seed=4, precision="float64",
                      **setting)
        assert history[-1][k]["val_loss"] == pytest.approx(alone.final["val_loss"], rel=1e-9)


def test_image_classifier_and_autolrs_trainer_take_the_precision(digits):
    objective = image_classifier("lenet5", "digits", max_epochs=1, data_options={"size": 28, "subset": 300},
                                 test=True, precision="float64")
    assert next(objective.model_for({}).parameters()).dtype == torch.float64
    assert objective({"lr": 0.05})["test_accuracy"] > 0.1
    trainer = Trainer(digits_mlp(dtype="float64"), digits, batch_size=32, val_size=64, precision="float64")
    run = run_schedule(trainer, 0.05, "constant", 10)
    assert trainer.x.dtype == torch.float64 and len(run.train_loss) == 10
