"""Durable record of studies and trials.

The study's driver process is the only writer: workers send their reports
and results back to it, and it writes each event (trial start, every report,
trial end) as it happens. :class:`SQLiteStorage` commits every event on its
own, so a driver killed at any moment loses no finished trial.

Use ``open_storage(None)`` for memory (the default of :class:`hpolib.Study`),
``open_storage("runs/x.db")`` for a SQLite file.

One driver per study: :class:`SQLiteStorage` holds a lease on every study it
opens, and another process that opens the study gets :class:`StudyLocked`
(see :class:`SQLiteStorage` for when a lease is taken over). A file that
cannot be used raises :class:`StorageError`, which names it and says what to
do; a failed open changes nothing in the file.
"""

from __future__ import annotations

import abc
import ast
import functools
import hashlib
import inspect
import json
import math
import os
import random
import shutil
import socket
import sqlite3
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from .trial import Trial, TrialState

__all__ = ["stored", "code_version", "Storage", "InMemoryStorage", "SQLiteStorage", "StorageError", "StudyLocked",
           "open_storage", "SET_ASIDE", "studies_set_aside",
           "rerun_agreement", "rerun_in_words", "snapshot"]

SET_ASIDE = "paused-"
"""The prefix under which a study is kept, set aside, once it was run again from scratch under its own name
(:meth:`SQLiteStorage.set_aside`): e.g. a search a trial of which was timed across a pause of the whole run, so
that the seconds it recorded were not its training's. Its trials stay in the file, for anyone to compare."""


class StorageError(RuntimeError):
    """Storage that cannot be used: not a hpolib file, damaged, read-only...; the message names the file and
    says what to do."""


class StudyLocked(StorageError):
    """The study has another driver (one driver per study); the message says which, and how to take over."""


class Storage(abc.ABC):
    """Where a study keeps its trials; subclasses implement the abstract methods below."""

    @abc.abstractmethod
    def open_study(self, name: str, direction: str, metric: str, space: str) -> None:
        """Create study ``name``, or check that the stored one has the same direction, metric and space; and
        become its one driver (:class:`StudyLocked` while another process drives it)."""

    def release(self, study: str, force: bool = False) -> None:
        """Stop driving ``study``, so that another process may (``force``: whoever drives it)."""

    def close(self) -> None:
        """Release every study this storage drives, and its file."""

    @abc.abstractmethod
    def study_names(self) -> list[str]:
        """The names of the stored studies."""

    @abc.abstractmethod
    def trials(self, study: str) -> list[Trial]:
        """Every trial of ``study``, by number, with its reports."""

    @abc.abstractmethod
    def create_trial(self, study: str, config: dict, budget: float | None, source: str,
                     parent: int | None = None, info: dict | None = None) -> Trial:
        """Record a new running trial and return it with its number."""

    @abc.abstractmethod
    def restart_trial(self, study: str, number: int) -> Trial:
        """Run trial ``number`` again from scratch: drop its reports, set it running, started now."""

    @abc.abstractmethod
    def add_report(self, study: str, number: int, step: float, value: float) -> None:
        """Record one ``report(step, value)`` of trial ``number``."""

    @abc.abstractmethod
    def finish_trial(self, study: str, trial: Trial) -> None:
        """Record the end of ``trial`` (state, value, metrics, budget used, start step, info, user attributes,
        end time, worker, error)."""

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
        return [t.copy() for t in self._trials[study]]

    def create_trial(self, study, config, budget, source, parent=None, info=None):
        trials = self._trials[study]
        trial = Trial(len(trials), dict(config), budget=budget, started=time.time(), source=source, parent=parent,
                      info=dict(info or {}))
        trials.append(trial.copy())
        return trial

    def restart_trial(self, study, number):
        old = self._trials[study][number]
        trial = Trial(number, dict(old.config), budget=old.budget, started=time.time(), source=old.source,
                      parent=old.parent, info=dict(old.info))
        self._trials[study][number] = trial.copy()
        return trial

    def add_report(self, study, number, step, value):
        self._trials[study][number].steps.append((step, value))

    def finish_trial(self, study, trial):
        steps = self._trials[study][trial.number].steps
        self._trials[study][trial.number] = trial.copy()
        self._trials[study][trial.number].steps = steps


# The budget column has no type, so that SQLite gives a budget back as it was written: an int as an int (a REAL
# column would turn an int budget into a float, and a resumed trial's objective would get 3.0 epochs, not 3).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS studies (
    name TEXT PRIMARY KEY, direction TEXT NOT NULL, metric TEXT NOT NULL,
    space TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
    study TEXT NOT NULL REFERENCES studies(name), number INTEGER NOT NULL,
    config TEXT NOT NULL, state TEXT NOT NULL, budget, value REAL,
    metrics TEXT NOT NULL DEFAULT '{}', budget_used REAL NOT NULL DEFAULT 0,
    started REAL, finished REAL, worker TEXT, error TEXT, source TEXT NOT NULL,
    parent INTEGER, start_step REAL NOT NULL DEFAULT 0, info TEXT NOT NULL DEFAULT '{}',
    user_attrs TEXT NOT NULL DEFAULT '{}', cpu_seconds REAL, PRIMARY KEY (study, number));
CREATE TABLE IF NOT EXISTS reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT, study TEXT NOT NULL, number INTEGER NOT NULL,
    step REAL NOT NULL, value REAL);
CREATE INDEX IF NOT EXISTS reports_by_trial ON reports (study, number);
CREATE TABLE IF NOT EXISTS drivers (
    study TEXT PRIMARY KEY, owner TEXT NOT NULL, host TEXT NOT NULL, machine TEXT NOT NULL,
    pid INTEGER NOT NULL, process_start TEXT NOT NULL, since REAL NOT NULL, heartbeat REAL NOT NULL);
"""

_TABLES = {"studies", "trials", "reports", "drivers"}
_ADDED_COLUMNS = {"parent": "INTEGER", "start_step": "REAL NOT NULL DEFAULT 0", "info": "TEXT NOT NULL DEFAULT '{}'",
                  "user_attrs": "TEXT NOT NULL DEFAULT '{}'", "cpu_seconds": "REAL"}
_HOLDER = "SELECT owner, host, machine, pid, process_start, since, heartbeat FROM drivers WHERE study = ?"


def _named(method):
    """Raise the sqlite3 and file-system errors of a :class:`SQLiteStorage` method as :class:`StorageError`."""

    @functools.wraps(method)
    def named(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            raise _storage_error(self.path, exc) from exc

    return named


class SQLiteStorage(Storage):
    """Trials in a SQLite file, one committed transaction per event.

    The file uses write-ahead logging with ``synchronous=NORMAL``: a commit
    survives the process being killed at any point (it is in the log before
    the call returns); only a power cut can lose the last few commits. Any
    number of processes may open the file at once.

    One driver per study: ``open_study`` takes a lease on the study (a row of
    the file's ``drivers`` table: owner, host, pid, since when), and a thread
    renews its heartbeat every ``heartbeat`` seconds while the storage is
    open. Another process that opens the study gets :class:`StudyLocked`,
    which names the holder, and changes nothing in the file, unless the lease
    is stale:

    - its process has ended on this machine (a crash, ``kill -9``): taken
      over at once;
    - its heartbeat is older than ``stale_after`` seconds (a driver that died
      on another machine or container): taken over then;
    - another storage object of this process holds it (a study opened again
      to resume it, a notebook cell run again): the newer one takes over.

    A storage whose lease was taken over gets :class:`StudyLocked` at its next
    write instead of mixing its trials with the new driver's. ``close()``,
    garbage collection and the end of the process release the leases;
    ``release(study, force=True)`` breaks one at once, for a driver known to
    be gone. Reading (``trials``, ``study_names``) takes no lease.

    Parameters
    ----------
    path : str or Path
        The database file; its folder is created when missing.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> storage = SQLiteStorage(os.path.join(folder.name, "s.db"))
    >>> storage.open_study("demo", "minimize", "value", "{}")  # this storage drives study "demo" now
    >>> storage.create_trial("demo", {"x": 0.5}, None, "optimizer").number
    0
    >>> storage.close()  # another process may drive it now
    >>> folder.cleanup()
    """

    heartbeat = 10.0  # seconds between renewals of a held lease
    stale_after = 60.0  # seconds without a heartbeat after which anyone may take a lease over

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._leases: set[str]
        self._beater: threading.Thread | None
        self._owner, self._leases, self._stop, self._beater = uuid.uuid4().hex, set(), threading.Event(), None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = _connect(self.path)
        except (OSError, sqlite3.Error) as exc:
            raise _storage_error(self.path, exc) from exc
        self._closer = weakref.finalize(self, _close, self._db, self._owner, self._leases, self._stop, os.getpid())
        try:
            _patiently(self._setup)
        except BaseException:
            self.close()
            raise

    @_named
    def _setup(self) -> None:
        """Refuse a file that is not hpolib's, switch to write-ahead logging and create what is missing; a file
        that holds it all already is not written."""
        db = self._db
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                  if not name.startswith("sqlite_")}
        if tables and "studies" not in tables:
            raise StorageError(f"{self.path} holds other tables ({', '.join(sorted(tables))}): it is not hpolib "
                               "storage; give storage another path (nothing was changed in this file)")
        if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        columns = {row[1] for row in db.execute("PRAGMA table_info(trials)")}
        if tables >= _TABLES and columns >= set(_ADDED_COLUMNS):
            return
        with db:  # one transaction: a process opening the file at the same time sees every table or none
            db.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            columns = {row[1] for row in db.execute("PRAGMA table_info(trials)")}
            for column, kind in _ADDED_COLUMNS.items():  # files written before these columns existed
                if column not in columns:
                    db.execute(f"ALTER TABLE trials ADD COLUMN {column} {kind}")

    def __repr__(self):
        return f"SQLiteStorage({str(self.path)!r})"

    @_named
    def close(self):
        if self._closer.alive:
            for study in list(self._leases):
                self.release(study)
        self._closer()

    @contextmanager
    def _writing(self, study: str):
        """One write transaction; refused once another driver has taken over ``study``, if this storage drove it."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            if study in self._leases:
                holder = self._db.execute(_HOLDER, (study,)).fetchone()
                if holder is None or holder[0] != self._owner:
                    what = "lost its lease (released by force)" if holder is None else \
                        f"was taken over by process {holder[3]} on {holder[1]} at {_when(holder[5])}"
                    raise StudyLocked(f"study {study!r} in {self.path} {what}, so this driver stops here and "
                                      "writes nothing more (one driver per study). Open the study again to go on "
                                      "with it, once any other driver is done.")
            yield

    @_named
    def open_study(self, name, direction, metric, space):
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            holder = self._db.execute(_HOLDER, (name,)).fetchone()
            if holder is not None and holder[0] != self._owner and not self._stale(*holder):
                raise StudyLocked(self._held(name, *holder))
            row = self._db.execute("SELECT direction, metric, space FROM studies WHERE name = ?", (name,)).fetchone()
            if row is not None:
                self._check_study(name, row, (direction, metric, space))
            else:
                self._db.execute(
                    "INSERT INTO studies VALUES (?, ?, ?, ?, ?)", (name, direction, metric, space, time.time())
                )
            if holder is None or holder[0] != self._owner:
                now = time.time()
                self._db.execute("INSERT OR REPLACE INTO drivers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                 (name, self._owner, *_this_process(), now, now))
        self._leases.add(name)
        if self._beater is None:
            self._beater = threading.Thread(target=_beat, args=(self.path, self._owner, self._stop, self.heartbeat),
                                            name=f"hpolib heartbeat {self.path}", daemon=True)
            self._beater.start()

    def _stale(self, owner, host, machine, pid, process_start, since, heartbeat) -> bool:
        if time.time() - heartbeat > self.stale_after:
            return True
        _, here, me, _ = _this_process()
        return machine == here and (pid == me or not _running(pid, process_start))

    def _held(self, name, owner, host, machine, pid, process_start, since, heartbeat) -> str:
        return (f"study {name!r} in {self.path} is driven by process {pid} on {host} since {_when(since)} "
                f"(last heartbeat {max(time.time() - heartbeat, 0):.0f} s ago), and a study has one driver at a "
                "time. Wait for that driver to end, or stop it. A driver that died is taken over on its own: at "
                f"once on this machine, after {self.stale_after:g} s without a heartbeat from another one. To "
                "take over now, only if that driver is really gone: "
                f"hpolib.SQLiteStorage({str(self.path)!r}).release({name!r}, force=True)")

    @_named
    def release(self, study, force=False):
        """Stop driving ``study``, so that another process may; ``force=True`` removes the lease whoever holds it
        (a driver known to be gone), and that driver stops at its next write."""
        self._db.execute("DELETE FROM drivers WHERE study = ?" + ("" if force else " AND owner = ?"),
                         (study,) if force else (study, self._owner))
        self._leases.discard(study)

    @_named
    def study_names(self):
        return [r[0] for r in self._db.execute("SELECT name FROM studies ORDER BY created")]

    @_named
    def set_aside(self, study: str) -> str:
        """Keep ``study`` under the name :data:`SET_ASIDE` + ``study``, trials, reports and all, so that the next
        :meth:`open_study` of ``study`` starts it afresh; return the new name. Refused, changing nothing, for a
        study that is not in the file, one already set aside, or one another process drives."""
        aside = SET_ASIDE + study
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            names = {r[0] for r in self._db.execute("SELECT name FROM studies")}
            if study not in names:
                raise ValueError(f"study must be one of the studies in {self.path}, got {study!r}")
            if aside in names:
                raise ValueError(f"study {study!r} was set aside before: {aside!r} is in {self.path} already")
            holder = self._db.execute(_HOLDER, (study,)).fetchone()
            if holder is not None and holder[0] != self._owner and not self._stale(*holder):
                raise StudyLocked(self._held(study, *holder))
            for table, column in (("studies", "name"), ("trials", "study"), ("reports", "study")):
                self._db.execute(f"UPDATE {table} SET {column} = ? WHERE {column} = ?", (aside, study))
            self._db.execute("DELETE FROM drivers WHERE study = ?", (study,))
        self._leases.discard(study)
        return aside

    @_named
    def trials(self, study):
        steps: dict[int, list] = {}
        for number, step, value in self._db.execute(
            "SELECT number, step, value FROM reports WHERE study = ? ORDER BY id", (study,)
        ):
            steps.setdefault(number, []).append((step, math.nan if value is None else value))
        rows = self._db.execute(
            "SELECT number, config, state, budget, value, metrics, budget_used, started, finished,"
            " worker, error, source, parent, start_step, info, user_attrs, cpu_seconds FROM trials WHERE study = ?"
            " ORDER BY number",
            (study,),
        )
        return [
            Trial(
                number=r[0], config=json.loads(r[1]), state=TrialState(r[2]), budget=r[3], value=r[4],
                metrics=json.loads(r[5]), steps=steps.get(r[0], []), budget_used=r[6], started=r[7],
                finished=r[8], worker=r[9], error=r[10], source=r[11], parent=r[12], start_step=r[13],
                info=json.loads(r[14]), user_attrs=json.loads(r[15]), cpu_seconds=r[16],
            )
            for r in rows
        ]

    @_named
    def create_trial(self, study, config, budget, source, parent=None, info=None):
        started = time.time()
        with self._writing(study):  # one transaction: read the next number and claim it
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

    @_named
    def restart_trial(self, study, number):
        started = time.time()
        with self._writing(study):
            self._db.execute("DELETE FROM reports WHERE study = ? AND number = ?", (study, number))
            self._db.execute(
                "UPDATE trials SET state = ?, value = NULL, metrics = '{}', budget_used = 0, start_step = 0,"
                " user_attrs = '{}', started = ?,"
                " finished = NULL, worker = NULL, error = NULL, cpu_seconds = NULL WHERE study = ? AND number = ?",
                (TrialState.RUNNING.value, started, study, number),
            )
        (trial,) = [t for t in self.trials(study) if t.number == number]
        return trial

    @_named
    def add_report(self, study, number, step, value):
        with self._writing(study):
            self._db.execute(
                "INSERT INTO reports (study, number, step, value) VALUES (?, ?, ?, ?)", (study, number, step, value)
            )

    @_named
    def finish_trial(self, study, trial):
        with self._writing(study):
            self._db.execute(
                "UPDATE trials SET state = ?, value = ?, metrics = ?, budget_used = ?, start_step = ?, info = ?,"
                " user_attrs = ?, finished = ?, worker = ?, error = ?, cpu_seconds = ? WHERE study = ? AND number = ?",
                (
                    trial.state.value, trial.value, json.dumps(trial.metrics), trial.budget_used, trial.start_step,
                    json.dumps(trial.info), json.dumps(trial.user_attrs), trial.finished, trial.worker, trial.error,
                    trial.cpu_seconds, study, trial.number,
                ),
            )


def _connect(path: Path) -> sqlite3.Connection:
    """A connection that waits up to 30 s for another's lock, usable from the thread that releases it at exit."""
    return sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)


def _patiently(action, timeout: float = 30.0):
    """``action()``, again while SQLite answers "locked" at once instead of waiting for the lock (it does so to a
    connection that read the file and must now write it while another holds the write lock: a deadlock otherwise;
    e.g. two processes switching a new file to write-ahead logging)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return action()
        except StorageError as exc:
            if not _locked(exc.__cause__) or time.monotonic() > deadline:
                raise
        time.sleep(random.uniform(0.005, 0.05))


def _locked(exc) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in str(exc) or "busy" in str(exc))


def _storage_error(path: Path, exc: BaseException) -> StorageError:
    """``exc``, raised using ``path``, as a :class:`StorageError` that says what to do."""
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and any(s in text for s in ("not a database", "malformed", "corrupt")):
        advice = ("it is not a hpolib SQLite file or is damaged: give storage another path, or restore the file "
                  "from a backup (a failed open changes nothing in it)")
    elif "readonly" in text or isinstance(exc, PermissionError):
        advice = ("it is read-only: make the file and its folder writable (SQLite writes -wal and -shm files "
                  "beside it), or give storage another path")
    elif _locked(exc):
        advice = "another process kept it locked for 30 s: try again once that process is done"
    elif "closed" in text:
        advice = "it was closed (Study.close() or SQLiteStorage.close()): open it again"
    else:
        advice = "storage must be a file (not a folder) in a writable folder on a local disk: give another path"
    return StorageError(f"cannot use {path} as hpolib storage ({type(exc).__name__}: {text}): {advice}")


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _this_process() -> tuple[str, str, int, str]:
    """(host name, machine, pid, start time) of this process, as a lease records its holder. The machine is the
    host name with the process namespace where there is one, as containers may share a host name."""
    host, pid = socket.gethostname(), os.getpid()
    try:
        machine = f"{host} {os.readlink('/proc/self/ns/pid')}"
    except OSError:
        machine = host
    return host, machine, pid, _process_start(pid) or ""


def _process_start(pid: int) -> str | None:
    """When process ``pid`` started (Linux: clock ticks since boot, from /proc), ``""`` without /proc, ``None``
    if it is not running (or is a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state, *fields = f.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None if os.path.isdir("/proc/self") else ""
    except OSError:
        return ""
    return None if state in "ZX" else fields[18]


def _running(pid: int, started: str) -> bool:
    """Whether the process ``pid`` that started at ``started`` (``""``: unknown) still runs on this machine; a
    later process given the same pid does not count."""
    now = _process_start(pid)
    if now is None:
        return False
    if now:
        return not started or now == started
    if os.name == "nt":
        return True  # no cheap check: the lease goes stale with its heartbeat
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _beat(path: Path, owner: str, stop: threading.Event, every: float) -> None:
    """Renew the heartbeat of ``owner``'s leases every ``every`` seconds until ``stop`` is set."""
    db = None
    try:
        while not stop.wait(every):
            db = db or _connect(path)
            db.execute("UPDATE drivers SET heartbeat = ? WHERE owner = ?", (time.time(), owner))
    except sqlite3.Error:
        pass  # the file went away or was damaged: the driver's own next write says so
    finally:
        if db is not None:
            db.close()


def _close(db: sqlite3.Connection, owner: str, leases: set, stop: threading.Event, pid: int) -> None:
    """Release ``owner``'s leases and close its connection, at garbage collection or exit: without waiting for
    the file's lock, as a collection may run while this very thread holds it in another connection. A forked
    child leaves its parent's alone."""
    if os.getpid() != pid:
        return
    stop.set()
    try:
        if leases:
            db.execute("PRAGMA busy_timeout = 0")
            db.execute("DELETE FROM drivers WHERE owner = ?", (owner,))
    except sqlite3.Error:
        pass  # locked, closed or damaged: the leases go stale (at once on this machine once the process ends)
    finally:
        leases.clear()
        db.close()


def open_storage(storage: Storage | str | os.PathLike | None) -> Storage:
    """``None`` or ``":memory:"`` -> in memory; a path -> SQLite file; a Storage -> itself."""
    if isinstance(storage, Storage):
        return storage
    if storage is None or storage == ":memory:":
        return InMemoryStorage()
    if isinstance(storage, (str, os.PathLike)):
        return SQLiteStorage(storage)
    raise ValueError(f"storage must be None, ':memory:', a file path or a Storage, got {storage!r}")


@contextmanager
def snapshot(path: str | os.PathLike) -> Iterator[SQLiteStorage]:
    """The SQLite store ``path`` as it is now, to read without writing it: a copy is opened (the store and its
    write-ahead log), so that opening a file of an older form upgrades the copy, and a committed store stays as its
    run wrote it."""
    with tempfile.TemporaryDirectory(prefix="hpolib-snapshot-") as folder:
        copy = Path(folder) / Path(path).name
        for suffix in ("", "-wal"):
            if Path(str(path) + suffix).exists():
                shutil.copyfile(str(path) + suffix, str(copy) + suffix)
        store = SQLiteStorage(copy)
        try:
            yield store
        finally:
            store.close()


def studies_set_aside(storage: str | os.PathLike | None) -> list[str]:
    """The names of the studies that the SQLite file ``storage`` keeps set aside (:data:`SET_ASIDE`), as they were
    before, in the order they were created; none for no file, or one that does not exist yet."""
    if storage is None or not Path(storage).exists():
        return []
    with snapshot(storage) as store:
        return [n.removeprefix(SET_ASIDE) for n in store.study_names() if n.startswith(SET_ASIDE)]


def rerun_agreement(storage: str | os.PathLike, study: str) -> dict:
    """How the run of ``study`` in the SQLite file ``storage`` agrees with its first run, set aside
    (:data:`SET_ASIDE`), trial by trial (by number): how many trials both finished, how many of those had the
    same configuration, how many of those the same value, and the largest gap between two such values."""
    with snapshot(storage) as store:
        first, again = ({t.number: (t.config, float(t.value)) for t in store.trials(name) if t.value is not None}
                        for name in (SET_ASIDE + study, study))
    both = [(first[n], again[n]) for n in sorted(first.keys() & again.keys())]
    gaps = [abs(a[1] - b[1]) for a, b in both if a[0] == b[0]]
    return {"trials": len(both), "same_config": len(gaps), "same_value": sum(g == 0 for g in gaps),
            "largest_gap": max(gaps, default=0.0)}


def rerun_in_words(agreement: dict, result: str, runs: int = 1) -> str:
    """What :func:`rerun_agreement` found (summed over ``runs`` searches), as words that follow "its" or "their":
    how many trials both runs finished, whether they proposed the same configurations, and whether those reached
    the same ``result`` (a value in [0, 1], such as an accuracy, whose largest gap is given in percentage
    points)."""
    n, same, equal = agreement["trials"], agreement["same_config"], agreement["same_value"]
    if n == 0:
        return "trials have not finished again yet"
    first = "the first run's" if runs == 1 else "the first runs'"
    proposed = "the same configurations" if same == n else f"the same configurations on {same} of them"
    reached = (f"{'all' if same > 1 else 'it'} reached the same {result}" if equal == same else
               f"{equal} reached the same {result} and the others up to "
               f"{100 * agreement['largest_gap']:.1f} pp away")
    return f"{n:,} trial{'s' if n > 1 else ''} proposed {proposed} as {first}, and {reached}"


def stored(path: str | os.PathLike, key: dict, make) -> dict:
    """``make()``'s record (a JSON-able dict), kept in the file ``path``.

    A record already at ``path`` that was made with an equal ``key`` is
    returned without calling ``make``, so a sequence of long runs that was
    stopped resumes where it stopped; a record made with another key is made
    again and replaced. The file is replaced atomically, so a run stopped while
    writing leaves the old record or the new one, never half of one. Put
    :func:`code_version` of the code that makes a record in its key to have it
    remade when that code changes.
    """
    path, key = Path(path), json.loads(json.dumps(key))  # compared as it reads back
    if path.exists():
        record = json.loads(path.read_text())
        if record.get("key") == key:
            return record["record"]
    record = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"key": key, "record": record}) + "\n")
    os.replace(tmp, path)
    return record


def code_version(module) -> str:
    """A short hash of a module's code: its source without top-level imports and docstrings.

    Any change to its statements (or comments) changes it; moving the module, pointing its imports at where
    their targets now live, or editing its documentation does not.
    """
    source = inspect.getsource(module)
    tree = ast.parse(source)
    skipped: list[ast.stmt] = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    for scope in ast.walk(tree):
        body = getattr(scope, "body", None)
        if (isinstance(scope, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            skipped.append(body[0])
    lines = {i for node in skipped for i in range(node.lineno - 1, node.end_lineno or node.lineno)}
    kept = "".join(line for i, line in enumerate(source.splitlines(keepends=True)) if i not in lines)
    return hashlib.sha256(kept.encode()).hexdigest()[:12]
