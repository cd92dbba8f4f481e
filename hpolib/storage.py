"""Durable record of studies and trials.

The study's driver process is the only writer: workers send their reports
and results back to it, and it writes each event (trial start, every report,
trial end) as it happens. :class:`SQLiteStorage` commits every event on its
own, so a driver killed at any moment loses no finished trial.

Use ``open_storage(None)`` for memory, ``open_storage("runs/x.db")`` for a
SQLite file (the default for :class:`hpolib.Study` is ``runs/hpolib.db``).
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import time
from pathlib import Path

from .trial import Trial, TrialState

__all__ = ["Storage", "InMemoryStorage", "SQLiteStorage", "open_storage", "DEFAULT_STORAGE"]

DEFAULT_STORAGE = os.path.join("runs", "hpolib.db")


class Storage:
    """Where a study keeps its trials; subclasses implement the methods below."""

    def open_study(self, name: str, direction: str, metric: str, space: str) -> None:
        """Create study ``name``, or check that the stored one has the same direction, metric and space."""
        raise NotImplementedError

    def study_names(self) -> list[str]:
        raise NotImplementedError

    def trials(self, study: str) -> list[Trial]:
        """Every trial of ``study``, by number, with its reports."""
        raise NotImplementedError

    def create_trial(self, study: str, config: dict, budget: float | None, source: str,
                     parent: int | None = None, info: dict | None = None) -> Trial:
        """Record a new running trial and return it with its number."""
        raise NotImplementedError

    def restart_trial(self, study: str, number: int) -> Trial:
        """Run trial ``number`` again from scratch: drop its reports, set it running, started now."""
        raise NotImplementedError

    def add_report(self, study: str, number: int, step: float, value: float) -> None:
        raise NotImplementedError

    def finish_trial(self, study: str, trial: Trial) -> None:
        """Record the end of ``trial`` (state, value, metrics, budget used, start step, info, end time,
        worker, error)."""
        raise NotImplementedError

    @staticmethod
    def _check_study(name: str, stored: tuple, given: tuple) -> None:
        for what, old, new in zip(("direction", "metric", "search space"), stored, given):
            if old != new:
                raise ValueError(
                    f"study {name!r} already exists with {what} {old}, not {new}: "
                    "use another study name or the same settings"
                )


class InMemoryStorage(Storage):
    """Trials kept in this process only: fast, gone when it ends."""

    def __init__(self):
        self._studies: dict[str, tuple] = {}
        self._trials: dict[str, list[Trial]] = {}

    def open_study(self, name, direction, metric, space):
        if name in self._studies:
            self._check_study(name, self._studies[name], (direction, metric, space))
        else:
            self._studies[name] = (direction, metric, space)
            self._trials[name] = []

    def study_names(self):
        return list(self._studies)

    def trials(self, study):
        return [_copy(t) for t in self._trials[study]]

    def create_trial(self, study, config, budget, source, parent=None, info=None):
        trials = self._trials[study]
        trial = Trial(len(trials), dict(config), budget=budget, started=time.time(), source=source, parent=parent,
                      info=dict(info or {}))
        trials.append(_copy(trial))
        return trial

    def restart_trial(self, study, number):
        old = self._trials[study][number]
        trial = Trial(number, dict(old.config), budget=old.budget, started=time.time(), source=old.source,
                      parent=old.parent, info=dict(old.info))
        self._trials[study][number] = _copy(trial)
        return trial

    def add_report(self, study, number, step, value):
        self._trials[study][number].steps.append((step, value))

    def finish_trial(self, study, trial):
        steps = self._trials[study][trial.number].steps
        self._trials[study][trial.number] = _copy(trial)
        self._trials[study][trial.number].steps = steps


def _copy(trial: Trial) -> Trial:
    return Trial(**{**trial.__dict__, "config": dict(trial.config), "metrics": dict(trial.metrics),
                    "steps": list(trial.steps), "info": dict(trial.info)})


_SCHEMA = """
CREATE TABLE IF NOT EXISTS studies (
    name TEXT PRIMARY KEY, direction TEXT NOT NULL, metric TEXT NOT NULL,
    space TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
    study TEXT NOT NULL REFERENCES studies(name), number INTEGER NOT NULL,
    config TEXT NOT NULL, state TEXT NOT NULL, budget REAL, value REAL,
    metrics TEXT NOT NULL DEFAULT '{}', budget_used REAL NOT NULL DEFAULT 0,
    started REAL, finished REAL, worker TEXT, error TEXT, source TEXT NOT NULL,
    parent INTEGER, start_step REAL NOT NULL DEFAULT 0, info TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (study, number));
CREATE TABLE IF NOT EXISTS reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT, study TEXT NOT NULL, number INTEGER NOT NULL,
    step REAL NOT NULL, value REAL);
CREATE INDEX IF NOT EXISTS reports_by_trial ON reports (study, number);
"""

_ADDED_COLUMNS = {"parent": "INTEGER", "start_step": "REAL NOT NULL DEFAULT 0", "info": "TEXT NOT NULL DEFAULT '{}'"}


class SQLiteStorage(Storage):
    """Trials in a SQLite file, one committed transaction per event.

    The file uses write-ahead logging with ``synchronous=NORMAL``: a commit
    survives the process being killed at any point (it is in the log before
    the call returns); only a power cut can lose the last few commits.

    Parameters
    ----------
    path : str or Path
        The database file; its folder is created when missing.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(trials)")}
        for column, kind in _ADDED_COLUMNS.items():  # files written before these columns existed
            if column not in columns:
                self._db.execute(f"ALTER TABLE trials ADD COLUMN {column} {kind}")

    def __repr__(self):
        return f"SQLiteStorage({str(self.path)!r})"

    def close(self) -> None:
        self._db.close()

    def open_study(self, name, direction, metric, space):
        row = self._db.execute("SELECT direction, metric, space FROM studies WHERE name = ?", (name,)).fetchone()
        if row is not None:
            self._check_study(name, row, (direction, metric, space))
            return
        self._db.execute(
            "INSERT INTO studies VALUES (?, ?, ?, ?, ?)", (name, direction, metric, space, time.time())
        )

    def study_names(self):
        return [r[0] for r in self._db.execute("SELECT name FROM studies ORDER BY created")]

    def trials(self, study):
        steps: dict[int, list] = {}
        for number, step, value in self._db.execute(
            "SELECT number, step, value FROM reports WHERE study = ? ORDER BY id", (study,)
        ):
            steps.setdefault(number, []).append((step, math.nan if value is None else value))
        rows = self._db.execute(
            "SELECT number, config, state, budget, value, metrics, budget_used, started, finished,"
            " worker, error, source, parent, start_step, info FROM trials WHERE study = ? ORDER BY number",
            (study,),
        )
        return [
            Trial(
                number=r[0], config=json.loads(r[1]), state=TrialState(r[2]), budget=r[3], value=r[4],
                metrics=json.loads(r[5]), steps=steps.get(r[0], []), budget_used=r[6], started=r[7],
                finished=r[8], worker=r[9], error=r[10], source=r[11], parent=r[12], start_step=r[13],
                info=json.loads(r[14]),
            )
            for r in rows
        ]

    def create_trial(self, study, config, budget, source, parent=None, info=None):
        started = time.time()
        with self._db:  # one transaction: read the next number and claim it
            self._db.execute("BEGIN IMMEDIATE")
            (number,) = self._db.execute(
                "SELECT COALESCE(MAX(number) + 1, 0) FROM trials WHERE study = ?", (study,)
            ).fetchone()
            self._db.execute(
                "INSERT INTO trials (study, number, config, state, budget, started, source, parent, info)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (study, number, json.dumps(config), TrialState.RUNNING.value, budget, started, source, parent,
                 json.dumps(info or {})),
            )
        return Trial(number, dict(config), budget=budget, started=started, source=source, parent=parent,
                     info=dict(info or {}))

    def restart_trial(self, study, number):
        started = time.time()
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM reports WHERE study = ? AND number = ?", (study, number))
            self._db.execute(
                "UPDATE trials SET state = ?, value = NULL, metrics = '{}', budget_used = 0, start_step = 0,"
                " started = ?,"
                " finished = NULL, worker = NULL, error = NULL WHERE study = ? AND number = ?",
                (TrialState.RUNNING.value, started, study, number),
            )
        (trial,) = [t for t in self.trials(study) if t.number == number]
        return trial

    def add_report(self, study, number, step, value):
        self._db.execute(
            "INSERT INTO reports (study, number, step, value) VALUES (?, ?, ?, ?)", (study, number, step, value)
        )

    def finish_trial(self, study, trial):
        self._db.execute(
            "UPDATE trials SET state = ?, value = ?, metrics = ?, budget_used = ?, start_step = ?, info = ?,"
            " finished = ?, worker = ?, error = ? WHERE study = ? AND number = ?",
            (
                trial.state.value, trial.value, json.dumps(trial.metrics), trial.budget_used, trial.start_step,
                json.dumps(trial.info), trial.finished, trial.worker, trial.error, study, trial.number,
            ),
        )


def open_storage(storage: Storage | str | os.PathLike | None) -> Storage:
    """``None`` or ``":memory:"`` -> in memory; a path -> SQLite file; a Storage -> itself."""
    if isinstance(storage, Storage):
        return storage
    if storage is None or storage == ":memory:":
        return InMemoryStorage()
    if isinstance(storage, (str, os.PathLike)):
        return SQLiteStorage(storage)
    raise ValueError(f"storage must be None, ':memory:', a file path or a Storage, got {storage!r}")
