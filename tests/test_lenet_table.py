"""The LeNet-5 tabular benchmark: built resumably, compiled to one table, queried as an objective."""

import pytest
import torch

from hpolib.dl.data import Dataset, Split
from hpolib.problems import LenetTable, lenet_table
from hpolib.studies import lenet_table as table_study
from hpolib.studies.lenet import Run


def _tiny(n=64):
    g = torch.Generator().manual_seed(1)
    split = lambda k: Split(torch.randn(k, 3, 32, 32, generator=g), torch.arange(k) % 10)  # noqa: E731
    return Dataset("tiny", split(n), split(n // 2), split(n // 4), list(range(10)))


def test_the_grid_spans_the_reports_ranges():
    grid = table_study.configurations()
    assert len(grid) == 720 and len({tuple(c.values()) for c in grid}) == 720
    assert min(c["c1"] for c in grid) == 1 and max(c["c3"] for c in grid) == 32
    assert {min(c["c5"] for c in grid), max(c["c5"] for c in grid)} == {40, 130}
    runs = table_study._runs("hpolib")
    assert len(runs) == 720 + 2 * table_study.NOISE_CONFIGS and runs[0].seed == 0 and runs[-1].seed == 2


def test_a_built_table_resumes_and_answers_with_its_stored_curves(tmp_path, monkeypatch):
    monkeypatch.setattr(table_study, "EPOCHS", 2)
    runs = [Run(f"table {w}", "hpolib", "hpolib", s, w) for w in ((125, 1, 4, 40), (325, 32, 32, 130))
            for s in (0, 1)]
    assert table_study.build(tmp_path, "hpolib", _tiny(), {}, runs, progress=False) == 4
    monkeypatch.setattr(table_study, "retrain", lambda *a, **k: pytest.fail("a stored run was trained again"))
    assert table_study.build(tmp_path, "hpolib", _tiny(), {}, runs, progress=False) == 4
    frame = table_study.compile_table(tmp_path, tmp_path / "table.csv.gz")
    assert list(frame.columns) == table_study.COLUMNS and len(frame) == 4 * 2
    problem = lenet_table(path=tmp_path / "table.csv.gz")
    assert problem.max_budget == 2 and problem.optimum == min(problem(c) for c in (
        {"c1": 1, "c3": 4, "c5": 40, "f6": 125}, {"c1": 32, "c3": 32, "c5": 130, "f6": 325}))
    stored = frame[(frame.seed == 0) & (frame.c1 == 32)].sort_values("epoch")
    seen = []
    value = problem({"c1": 30, "c3": 20, "c5": 120, "f6": 300}, 2, report=lambda e, v: seen.append((e, v)))
    assert seen == [(e, pytest.approx(1 - a)) for e, a in zip(stored.epoch, stored.val_accuracy)]
    assert value == seen[-1][1]
    assert problem.nearest({"c1": 3, "c3": 2, "c5": 80, "f6": 200}) == {"c1": 1, "c3": 4, "c5": 40, "f6": 125}
    seconds = problem.seconds({"c1": 32, "c3": 32, "c5": 130, "f6": 325}, 2)
    assert seconds == pytest.approx(stored.seconds.sum(), rel=1e-5)  # the table keeps 6 significant digits
    with pytest.raises(ValueError, match=r"budget must be in \[1, 2\] epochs, got 3"):
        problem({"c1": 1, "c3": 1, "c5": 40, "f6": 125}, 3)
    with pytest.raises(ValueError, match=r"seed must be one of the table's seeds \[0, 1\], got 5"):
        LenetTable(frame, seed=5)


def test_a_missing_table_says_how_to_build_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="build it with python -m hpolib.studies.lenet_table"):
        lenet_table(path=tmp_path / "none.csv.gz")
