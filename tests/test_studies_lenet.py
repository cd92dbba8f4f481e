"""The LeNet chapter's retraining of the report's configurations: runs validated, stored, resumed, read back."""

import pytest
import torch

from hpolib.dl.data import Dataset, Split
from hpolib.studies import lenet


def _tiny_cifar(n=96):
    g = torch.Generator().manual_seed(0)
    split = lambda k: Split(torch.randn(k, 3, 32, 32, generator=g), torch.arange(k) % 10)  # noqa: E731
    return Dataset("cifar10", split(n), split(n // 2), split(n // 4), list(range(10)))


def test_a_run_names_a_known_configuration_recipe_protocol_and_seed():
    with pytest.raises(ValueError, match="recipe must be one of hpolib, pytorch-tutorial"):
        lenet.Run("random", "sgd", "report", 0)
    with pytest.raises(ValueError, match="protocol must be one of report, hpolib, got 'test'"):
        lenet.Run("random", "hpolib", "test", 0)
    with pytest.raises(ValueError, match="seed must be a whole number >= 0, got -1"):
        lenet.Run("pso", "hpolib", "report", -1)


def test_the_report_protocol_trains_on_train_and_validation_and_reads_the_test_set():
    data = _tiny_cifar()
    record = lenet.retrain(lenet.Run("bohb", "relu-crop-flip", "report", 0), data, epochs=2)
    assert record["train_images"] == 96 + 48 and record["read_images"] == 24
    assert [e["epoch"] for e in record["epochs"]] == [1, 2]
    assert all(e["val_accuracy"] is None and 0 <= e["test_accuracy"] <= 1 for e in record["epochs"])
    held_out = lenet.retrain(lenet.Run("bohb", "hpolib", "hpolib", 0), data, epochs=1)
    assert held_out["train_images"] == 96 and held_out["epochs"][0]["val_accuracy"] is not None
    assert record["cpu"] and record["failure"] is None


def test_stored_runs_are_read_back_not_retrained(tmp_path, monkeypatch):
    data, runs = _tiny_cifar(), [lenet.Run("pso", "pytorch-tutorial", "report", s) for s in (0, 1)]
    first = lenet.retrain_all(tmp_path, runs, epochs=1, progress=False, data=data)
    assert len(first) == 2 and set(first.seed) == {0, 1}
    monkeypatch.setattr(lenet, "retrain", lambda *a, **k: pytest.fail("a stored run was trained again"))
    again = lenet.retrain_all(tmp_path, runs, epochs=1, progress=False, data=data)
    assert again.equals(first)
    assert len(lenet.runs_of(tmp_path, [*runs, lenet.Run("pso", "hpolib", "report", 0)], epochs=1)) == 2
