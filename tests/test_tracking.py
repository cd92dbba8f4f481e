"""Export to MLflow: a study's trials read back from MLflow as ``study.to_dataframe()`` has them."""

import math

import pytest

from hpolib import Categorical, Float, Hyperband, InMemoryStorage, Int, RandomSearch, Space, Study
from hpolib.tracking import to_mlflow

mlflow = pytest.importorskip("mlflow")

SPACE = Space({"x": Float(-2.0, 2.0), "k": Int(1, 4), "act": Categorical(["relu", "tanh"])})


def objective(config, budget, report):
    """A falling curve over ``budget`` epochs; fails on x < -1.5."""
    if config["x"] < -1.5:
        raise RuntimeError("diverged")
    value = math.nan
    for epoch in range(1, budget + 1):
        value = (config["x"] - 0.5) ** 2 + config["k"] / 4 + (config["act"] == "tanh") + 1.0 / epoch
        report(epoch, value)
    return value


def test_a_study_reads_back_from_mlflow_as_its_dataframe(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default store, mlruns/ in the working directory
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    study = Study(SPACE, RandomSearch(SPACE, seed=2), name="synthetic", scheduler=Hyperband(1, 9, eta=3))
    study.optimize(objective, n_trials=20, progress=False)
    frame = study.to_dataframe().set_index("number")
    assert {"complete", "failed"} <= set(frame.state)

    parent_id = to_mlflow(study, name="hpo", tags={"chapter": "demo"})["synthetic"]
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")  # to read the file store back
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    runs = mlflow.search_runs(experiment_names=["hpo"])
    parent = runs[runs.run_id == parent_id].iloc[0]
    assert parent["tags.chapter"] == "demo" and parent["tags.seed"] == "2"
    assert parent["tags.optimizer"] == "RandomSearch" and parent["tags.scheduler"].startswith("Hyperband")
    children = runs[runs["tags.mlflow.parentRunId"] == parent_id]
    children = children.assign(number=children["tags.number"].astype(int)).set_index("number").sort_index()
    assert list(children.index) == list(frame.index)
    assert list(children["tags.state"]) == list(frame.state)
    for name in SPACE:
        assert list(children[f"params.{name}"]) == [str(v) for v in frame[name]]
    finished = frame.value.notna()
    assert children["metrics.final_value"][finished].tolist() == pytest.approx(frame.value[finished].tolist())
    assert children["metrics.final_value"][~finished].isna().all()
    assert children["metrics.budget"].tolist() == frame.budget.tolist()
    assert children["metrics.duration"].tolist() == pytest.approx(frame.duration.tolist(), abs=2e-3)
    assert children["metrics.cpu_seconds"].tolist() == pytest.approx(frame.cpu_seconds.tolist())
    assert set(children.status) == {"FINISHED", "FAILED"} | ({"KILLED"} if "stopped" in set(frame.state) else set())

    client = mlflow.tracking.MlflowClient((tmp_path / "mlruns").as_uri())
    for trial in study.trials[:5]:
        history = client.get_metric_history(children.loc[trial.number, "run_id"], "value")
        assert [(m.step, m.value) for m in history] == [(int(s), pytest.approx(v)) for s, v in trial.steps]


def test_every_study_of_a_sqlite_file_is_exported(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    db = tmp_path / "chapter.db"
    for seed in (0, 1):
        with Study(SPACE, RandomSearch(SPACE, seed=seed), name=f"random-{seed}", storage=db) as study:
            study.optimize(lambda c, b, r: objective(c, 2, r), n_trials=4, progress=False)
    uri = (tmp_path / "store").as_uri()
    parents = to_mlflow(db, name="chapter", tracking_uri=uri)
    assert sorted(parents) == ["random-0", "random-1"]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    runs = mlflow.search_runs(experiment_names=["chapter"])
    assert len(runs) == 2 + 8
    assert sorted(runs[runs["tags.mlflow.parentRunId"].isna()].run_id) == sorted(parents.values())
    assert (runs["tags.hpolib.study"].value_counts() == 5).all()


def test_what_cannot_be_exported_is_named():
    with pytest.raises(ValueError, match="study_or_storage must be a Study, a Storage or a SQLite path, got 3"):
        to_mlflow(3)
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        to_mlflow(InMemoryStorage(), name="")


def test_hpolib_run_with_mlflow_exports_the_chapters_store(tmp_path, monkeypatch, capsys):
    """``python -m hpolib run CHAPTER --mlflow URI``: after the chapter runs, its ``<chapter>.db`` goes to MLflow."""
    from hpolib.__main__ import main

    def run(name, profile, parameters, output, **kwargs):  # the chapter's run: it leaves its store
        notebook = tmp_path / "out" / f"{name}.ipynb"
        notebook.parent.mkdir(exist_ok=True)
        with Study(SPACE, RandomSearch(SPACE, seed=0), name="random", storage=notebook.with_suffix(".db")) as study:
            study.optimize(lambda c, b, r: objective(c, 3, r), n_trials=3, progress=False)
        return notebook

    monkeypatch.setattr("hpolib.book.runner.run", run)
    monkeypatch.setattr("hpolib.book.runner.check_checkout", lambda: None)
    monkeypatch.setattr("hpolib.book.runner.check", lambda *args: None)
    uri = (tmp_path / "store").as_uri()
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    assert main(["run", "lenet_hpo", "--profile", "smoke", "--mlflow", uri]) == 0
    assert "lenet_hpo: 1 studies exported to MLflow (experiment hpo-study)" in capsys.readouterr().out
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    runs = mlflow.search_runs(experiment_names=["hpo-study"])
    assert len(runs) == 1 + 3
    assert set(runs["tags.chapter"].dropna()) == {"lenet_hpo"} and set(runs["tags.profile"].dropna()) == {"smoke"}
