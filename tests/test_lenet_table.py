"""The LeNet-5 tabular benchmark: built resumably, compiled to one table, queried as an objective."""

import itertools

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


def _synthetic_table(path, epochs=12):
    """A table in the built one's schema over a small grid, with smooth curves, cheap to query."""
    import numpy as np
    import pandas as pd

    rng, rows = np.random.default_rng(0), []
    for f6, c1, c3, c5 in itertools.product((125, 325), (1, 4, 16, 32), (1, 8, 32), (40, 130)):
        ceiling = 0.3 + 0.1 * np.log2(c1) / 5 + 0.15 * np.log2(c3) / 5 + 0.02 * (c5 > 40) + 0.01 * (f6 > 125)
        for epoch in range(1, epochs + 1):
            accuracy = ceiling * (1 - np.exp(-epoch / 3)) + rng.normal(0, 0.002)
            rows.append({"f6": f6, "c1": c1, "c3": c3, "c5": c5, "seed": 0, "epoch": epoch, "train_loss": 1.0,
                         "val_accuracy": accuracy, "val_loss": 1.0, "test_accuracy": accuracy - 0.01,
                         "test_loss": 1.0, "seconds": 1.0 + c1 * c3 / 100, "cpu": "synthetic"})
    pd.DataFrame(rows, columns=table_study.COLUMNS).to_csv(path, index=False)
    return path


def test_a_promoted_trial_continues_from_its_parents_epoch_as_training_would(tmp_path):
    from hpolib import Hyperband, RandomSearch, Study

    problem = lenet_table(path=_synthetic_table(tmp_path / "table.csv"))
    study = Study(problem.space, RandomSearch(problem.space, seed=0), storage=None, scheduler=Hyperband(3, 12, eta=3))
    study.optimize(problem, total_budget=200, progress=False)
    promoted = [t for t in study.trials if t.parent is not None]
    assert promoted, "Hyperband promoted no trial"
    for trial in promoted:
        parent = study.trials[trial.parent]
        assert trial.start_step == parent.budget_used and trial.steps[0][0] == parent.budget_used + 1
        assert trial.cost == trial.budget_used - parent.budget_used
        assert trial.value == problem(trial.config, trial.budget)  # the stored curve, not a retraining


def test_the_table_benchmark_measures_every_method_against_the_tables_optimum(tmp_path):
    import json

    from test_benchmarks import _script

    bench = _script("lenet_table")
    path = str(_synthetic_table(tmp_path / "table.csv"))
    run = bench.run("bohb", 0, 10, path)
    epochs, seconds, regret = zip(*run["trace"])
    assert 10 * 12 <= epochs[-1] < 11 * 12 and all(b > a for a, b in zip(epochs, epochs[1:]))  # the last may pass
    assert all(b > a for a, b in zip(seconds, seconds[1:])) and regret[-1] >= 0
    assert regret[-1] == pytest.approx(bench._table(path)(run["final"]) - bench._table(path).optimum)
    bench.main(["--table", path, "--seeds", "3", "--methods", "random", "pso", "bohb", "dehb", "optuna-tpe",
                "--budgets", "chapter", "--out", str(tmp_path / "out")])
    record = json.loads((tmp_path / "out" / "lenet_table.json").read_text())
    assert {r["method"] for r in record["summary"]} == {"random", "pso", "bohb", "dehb", "optuna-tpe"}
    assert all(r["seeds"] == 3 and r["median regret (pp)"] >= 0 for r in record["summary"])
    assert {(t["method"], t["against"]) for t in record["tests"]} >= {("pso", "bohb"), ("bohb", "pso")}
    weights = {r["factor"]: r["fraction"] for r in record["importance"]}
    assert max(weights, key=weights.get) == "c3" and sum(weights.values()) == pytest.approx(1.0, abs=0.05)
    assert record["grid_cost"]["configurations"] == 48 and record["grid_cost"]["epochs"] == 48 * 12
    import hashlib

    digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
    assert record["table_sha256"] == digest  # the answers name the table they read

    from hpolib.book.benchmark_tables import lenet_table_tables

    page = lenet_table_tables(tmp_path / "out")  # the book's section, read from the same record
    import pandas as pd

    finals = pd.read_csv(tmp_path / "out" / "lenet_table_runs.csv").query("budget == 'chapter'")
    wide = finals.pivot(index="seed", columns="method", values="regret")
    share = ((wide.pso < wide.bohb) + 0.5 * (wide.pso == wide.bohb)).mean()  # PSO ending below BOHB, ties half
    assert record["beats"]["chapter"]["bohb"]["pso"] == pytest.approx(share)
    assert f"- chapter budget: PSO ends below BOHB on {share:.0%} of the seeds" in page
    assert "| Optuna TPE |" in page and "| C3 |" in page and "```{figure} lenet_table_anytime.png" in page
    assert "| DEHB |" in page and "dehb package" not in page  # hpolib's DEHB, not the benchmarks' peer package
    assert f"{740e6 / (48 * 12):,.0f} times this table" in page and f"sha256 begins `{digest[:16]}`" in page
    from hpolib.book import build
    from hpolib.book.claims import CLAIMS

    (tmp_path / "page.md").write_text(page)
    assert {c.section for c in CLAIMS if c.chapter == "lenet_table"} <= build._sections(tmp_path / "page.md")
    assert lenet_table_tables(tmp_path).startswith("Not measured yet")


def test_the_data_card_gives_the_checksum_and_the_noise_of_the_configurations_trained_on_several_seeds(tmp_path):
    import hashlib

    import pandas as pd

    path = _synthetic_table(tmp_path / "table.csv", epochs=2)
    table = pd.read_csv(path)
    assert table_study.noise(table) == {}  # one seed: nothing to measure it with
    again = table[(table.c1 == 1) | (table.c1 == 32)].assign(seed=1)
    again["val_accuracy"] += (again.c3 == 1) * 0.02  # seed 1 reads these 0.02 higher: sd 0.02 / sqrt 2
    table = pd.concat([table, again], ignore_index=True)
    measured = table_study.noise(table)
    assert measured["configurations"] == 24 and measured["seeds"] == 2
    assert measured["val_sd_max"] == pytest.approx(0.02 / 2 ** 0.5) and measured["test_sd_median"] == 0
    table.to_csv(path, index=False)
    text = table_study.card(table, path, "hpolib")
    assert hashlib.sha256(path.read_bytes()).hexdigest() in text
    assert "48 of the 720 configurations on seed 0; 24 of them, drawn at random, on 2 seeds." in text
    assert f"at most {100 * 0.02 / 2 ** 0.5:.2f} pp" in text
