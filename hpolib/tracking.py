"""Export studies to MLflow: a parent run per study, a nested run per trial.

MLflow is an optional extra (``pip install 'hpolib[tracking]'``); it is
imported by :func:`to_mlflow` only. Each trial's run holds its configuration
as params; every ``report(step, value)`` as the metric ``value`` at that step
(a whole-numbered step: epochs), and as metrics ``final_value`` (the trial's
value: the optimised metric, whose name the study's run has as its tag
``metric``), ``budget``, ``budget_used``, ``cost``, ``duration``,
``cpu_seconds`` (where recorded) and ``metric_<name>`` for every metric of a
dict-returning objective; its state, number, source and parent as tags; its
start and end are the trial's, its status ``FINISHED``, ``FAILED``,
``KILLED`` (stopped) or ``RUNNING``.
The study's run is tagged with the study's name, direction and metric and,
for a :class:`~hpolib.Study`, its optimiser, seed and scheduler, plus the git
commit of the working directory and whatever ``tags`` adds (``chapter``...).
Browse them with ``mlflow ui`` (full ``mlflow``) in the folder holding ``mlruns/``.
"""

from __future__ import annotations

import math
import os
import subprocess
from contextlib import contextmanager
from pathlib import Path

from .storage import Storage, open_storage
from .study import Study
from .trial import Trial, TrialState

__all__ = ["to_mlflow"]

STATUS = {TrialState.COMPLETE: "FINISHED", TrialState.FAILED: "FAILED", TrialState.STOPPED: "KILLED",
          TrialState.RUNNING: "RUNNING"}


def to_mlflow(study_or_storage: Study | Storage | str | os.PathLike, name: str = "hpolib",
              tracking_uri: str | None = None, tags: dict | None = None) -> dict[str, str]:
    """Log a study, or every study of a storage (a :class:`~hpolib.storage.Storage` or a SQLite file), to MLflow.

    Parameters
    ----------
    study_or_storage : Study, Storage, str or path
    name : str
        The MLflow experiment the runs go to (made if missing).
    tracking_uri : str or None
        Where MLflow keeps them, e.g. ``"sqlite:///mlflow.db"`` (default: ``$MLFLOW_TRACKING_URI`` if set,
        else a file store ``mlruns/`` in the working directory, which MLflow 3 keeps in maintenance mode and
        opens only with ``MLFLOW_ALLOW_FILE_STORE=true``: set for this export).
    tags : dict or None
        More tags of each study's run, e.g. ``{"chapter": "lenet_hpo"}``.

    Returns
    -------
    dict
        The MLflow run id of each study's run, by study name.
    """
    from mlflow.tracking import MlflowClient

    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    if tags is not None and not isinstance(tags, dict):
        raise ValueError(f"tags must be a dict or None, got {tags!r}")
    if isinstance(study_or_storage, Study):
        studies = [(study_or_storage.name, study_or_storage.trials, _study_tags(study_or_storage))]
    elif isinstance(study_or_storage, (Storage, str, os.PathLike)):
        storage = open_storage(study_or_storage)
        studies = [(study, storage.trials(study), {}) for study in storage.study_names()]
        if storage is not study_or_storage:
            storage.close()
    else:
        raise ValueError(f"study_or_storage must be a Study, a Storage or a SQLite path, got {study_or_storage!r}")
    if tracking_uri is None and not os.environ.get("MLFLOW_TRACKING_URI"):
        with _file_store_allowed():
            return _export(MlflowClient(Path("mlruns").resolve().as_uri()), name, studies, tags)
    return _export(MlflowClient(tracking_uri), name, studies, tags)


def _export(client, name: str, studies: list[tuple[str, list[Trial], dict]], tags: dict | None) -> dict[str, str]:
    from mlflow.entities import Metric, Param, RunTag

    experiment = client.get_experiment_by_name(name)
    experiment_id = experiment.experiment_id if experiment is not None else client.create_experiment(name)
    common = {"commit": _commit(), **{str(k): str(v) for k, v in (tags or {}).items()}}
    runs = {}
    for study, trials, study_tags in studies:
        times = [t for trial in trials for t in (trial.started, trial.finished) if t is not None]
        parent = client.create_run(experiment_id, start_time=_ms(min(times, default=None)), run_name=study,
                                   tags={"hpolib.study": study, **study_tags,
                                         **{k: v for k, v in common.items() if v}})
        for trial in trials:
            run = client.create_run(experiment_id, start_time=_ms(trial.started), run_name=f"trial {trial.number}",
                                    tags={"mlflow.parentRunId": parent.info.run_id, "hpolib.study": study})
            stamp = _ms(trial.finished or trial.started) or 0
            metrics = [Metric("value", float(value), stamp, int(step)) for step, value in trial.steps
                       if math.isfinite(value) and float(step) == int(step)]
            finals = {"final_value": trial.value, "budget": trial.budget, "budget_used": trial.budget_used,
                      "cost": trial.cost, "duration": trial.duration, "cpu_seconds": trial.cpu_seconds,
                      **{f"metric_{k}": v for k, v in trial.metrics.items()}}
            metrics += [Metric(key, float(value), stamp, 0) for key, value in finals.items()
                        if isinstance(value, (int, float)) and math.isfinite(value)]
            client.log_batch(run.info.run_id, metrics=metrics,
                             params=[Param(key, str(value)) for key, value in trial.config.items()],
                             tags=[RunTag(key, str(value)) for key, value in _trial_tags(trial).items()])
            client.set_terminated(run.info.run_id, STATUS[trial.state], end_time=_ms(trial.finished))
        client.set_terminated(parent.info.run_id, end_time=_ms(max(times, default=None)))
        runs[study] = parent.info.run_id
    return runs


@contextmanager
def _file_store_allowed():
    """MLflow 3 refuses a file store unless ``MLFLOW_ALLOW_FILE_STORE`` says otherwise: allow it for the export."""
    before = os.environ.get("MLFLOW_ALLOW_FILE_STORE")
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    try:
        yield
    finally:
        if before is None:
            del os.environ["MLFLOW_ALLOW_FILE_STORE"]
        else:
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = before


def _study_tags(study: Study) -> dict[str, str]:
    return {"direction": study.direction.value, "metric": study.metric,
            "optimizer": type(study.optimizer).__name__, "optimizer_settings": repr(study.optimizer),
            "seed": str(study.optimizer.seed),
            "scheduler": "none" if study.scheduler is None else repr(study.scheduler)}


def _trial_tags(trial: Trial) -> dict[str, str]:
    tags = {"number": str(trial.number), "state": trial.state.value, "source": trial.source}
    if trial.parent is not None:
        tags["parent"] = str(trial.parent)
    if trial.error:
        tags["error"] = trial.error[:5000]
    tags.update({f"info.{k}": str(v) for k, v in trial.info.items()})
    return tags


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1000)


def _commit() -> str:
    """The git commit of the working directory ('' outside a checkout)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""
