"""The LeNet chapter's retraining of the report's configurations: runs validated, stored, resumed, read back."""

import pandas as pd
import pytest
import torch

from hpolib.dl.data import Dataset, Split
from hpolib.studies import lenet


def _tiny_cifar(n=96):
    g = torch.Generator().manual_seed(0)
    split = lambda k: Split(torch.randn(k, 3, 32, 32, generator=g), torch.arange(k) % 10)  # noqa: E731
    return Dataset("tiny", split(n), split(n // 2), split(n // 4), list(range(10)))


def test_a_run_names_a_known_configuration_recipe_protocol_and_seed():
    with pytest.raises(ValueError, match="recipe must be one of hpolib, pytorch-tutorial"):
        lenet.Run("random", "sgd", "report", 0)
    with pytest.raises(ValueError, match="protocol must be one of report, hpolib, got 'test'"):
        lenet.Run("random", "hpolib", "test", 0)
    with pytest.raises(ValueError, match="seed must be a whole number >= 0, got -1"):
        lenet.Run("pso", "hpolib", "report", -1)
    with pytest.raises(ValueError, match="config must be one of random, pso, bohb, or come with its widths"):
        lenet.Run("grid seed 0", "hpolib", "hpolib", 0)
    with pytest.raises(ValueError, match=r"widths must be four whole numbers >= 1 \(F6, C1, C3, C5\), got \(1, 2\)"):
        lenet.Run("grid seed 0", "hpolib", "hpolib", 0, widths=(1, 2))
    assert lenet.Run("grid seed 0", "hpolib", "hpolib", 0, (325, 32, 32, 130)).layers == {
        "f6": 325, "c1": 32, "c3": 32, "c5": 130}


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
    first = lenet.retrain_all(tmp_path, runs, data, epochs=1, progress=False)
    assert len(first) == 2 and set(first.seed) == {0, 1} and set(first.widths) == {"324-26-19-40"}
    monkeypatch.setattr(lenet, "retrain", lambda *a, **k: pytest.fail("a stored run was trained again"))
    again = lenet.retrain_all(tmp_path, runs, data, epochs=1, progress=False)
    assert again.equals(first)
    assert len(lenet.runs_of(tmp_path, [*runs, lenet.Run("pso", "hpolib", "report", 0)], data, epochs=1)) == 2
    assert lenet.runs_of(tmp_path, runs, "cifar10", epochs=1).empty  # another data set's runs are not these


def test_the_summary_reads_the_test_set_under_the_report_protocol_and_validation_under_ours():
    import pandas as pd

    curve = ((1, 0.5), (2, 0.6), (3, 0.55))
    epochs = [(p, s, e, acc) for p in ("report", "hpolib") for s in (0, 1) for e, acc in curve]
    frame = pd.DataFrame([{"protocol": p, "recipe": "hpolib", "config": "pso", "widths": "324-26-19-40", "seed": s,
                           "epoch": e, "cpu": "x", "test_accuracy": acc if p == "report" else 0.1,
                           "val_accuracy": None if p == "report" else acc + 0.01 * s} for p, s, e, acc in epochs])
    table = lenet.summary(frame).set_index("protocol")
    assert table.loc["report", "last_mean"] == pytest.approx(55)
    assert table.loc["report", "best_mean"] == pytest.approx(60)
    assert table.loc["hpolib", "best_mean"] == pytest.approx(60.5) and table.loc["hpolib", "best_epoch"] == 2
    assert table.loc["report", "seeds"] == 2


def test_the_wider_space_is_paired_with_the_reports_by_method_and_seed_and_says_what_lies_outside():
    narrow = pd.DataFrame({"method": ["random", "random", "tpe"], "seed": [0, 1, 0], "C1": [32, 30, 31],
                           "C3": [32, 29, 20], "C5": [130, 100, 90], "F6": [325, 300, 200],
                           "val_accuracy": [0.60, 0.61, 0.62]})
    wide = pd.DataFrame({"method": ["random", "random", "tpe", "tpe"], "seed": [0, 1, 0, 1], "C1": [60, 20, 31, 5],
                         "C3": [40, 10, 20, 5], "C5": [200, 100, 90, 50], "F6": [500, 300, 200, 150],
                         "val_accuracy": [0.65, 0.60, 0.625, 0.5]})
    ranges = {"c1": (1, 32), "c3": (1, 32), "c5": (40, 130), "f6": (125, 325)}
    table = lenet.wider_space(narrow, wide, ranges)
    assert len(table) == 3  # tpe seed 1 searched only the wider space: no pair
    first = table.iloc[0]
    assert first["wider − report's (pp)"] == pytest.approx(5.0)
    assert first["wider space: C1-C3-C5-F6"] == "60-40-200-500"
    outside = table["outside the report's ranges"].tolist()
    assert outside == ["C1, C3, C5, F6", "none", "none"]
    sentence = lenet.space_was_the_limit(table)
    assert sentence.startswith("The wider space's best came out ahead on 2 of 3 method-seed pairs")
    assert sentence.endswith("too few pairs to tell.")  # 3 pairs cannot reach p < 0.05
    assert lenet.space_was_the_limit(table.iloc[:0]) == "No method ran in both spaces on a common seed."
    one = lenet.space_was_the_limit(table.iloc[:1])
    assert one.endswith("+5.00 points on average: too few pairs to tell.") and "nan" not in one


def test_results_read_back_equal_and_a_results_file_of_another_form_is_refused(tmp_path):
    results = lenet.Results("full", {"seeds": [0]}, 81, 0.2, summary=[{"method": "random", "seed": 0}])
    results.write(tmp_path / "lenet_hpo_results.json")
    assert lenet.Results.read(tmp_path / "lenet_hpo_results.json") == results
    assert lenet.Results.read({"profile": "full", "settings": {}, "grid_size": 81, "full_data_share": 0.2}).tests == []
    with pytest.raises(ValueError, match="not fields of hpolib.studies.lenet.Results: best"):
        lenet.Results.read({"profile": "full", "settings": {}, "grid_size": 81, "full_data_share": 0.2, "best": 0.6})
