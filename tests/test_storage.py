"""SQLite storage: one driver per study, opens that never collide, and errors that name the file.

Permission bits do not stop root, as whom these tests may run: a read-only file is simulated by opening it as
SQLite opens a file it may not write (``mode=ro``), and the read-only folder test runs only for other users.
"""

import gc
import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from contextlib import closing

import pytest

import hpolib.storage
from hpolib import Float, Space, SQLiteStorage, StorageError, Study, StudyLocked, TrialState

SPACE = Space({"x": Float(-1.0, 1.0)})


def quadratic(config, budget, report):
    report(1, config["x"])
    return config["x"] ** 2


def stored(path) -> dict:
    """Everything in the file, table by table (a lease's heartbeat aside: it ticks on its own)."""
    with closing(sqlite3.connect(path)) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {table: db.execute("SELECT study, owner, pid, since FROM drivers" if table == "drivers"
                                  else f"SELECT * FROM {table}").fetchall() for table in tables}


def leases(path) -> list:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT study, host, pid FROM drivers ORDER BY study").fetchall()


# ------------------------------------------------------------------ one driver per study

DRIVER = textwrap.dedent(
    """
    import pathlib, sys, time
    from hpolib import Float, Space, Study

    def objective(config, budget, report):
        report(1, config["x"])
        pathlib.Path(sys.argv[2]).touch()
        time.sleep(60)
        return config["x"]

    if __name__ == "__main__":
        Study(Space({"x": Float(-1.0, 1.0)}), name="shared", storage=sys.argv[1], seed=0).optimize(
            objective, n_trials=3, progress=False)
    """
)


def test_a_second_driver_is_refused_changes_nothing_and_takes_over_once_the_first_is_killed(tmp_path):
    db, started = tmp_path / "runs" / "s.db", tmp_path / "started"
    first = subprocess.Popen([sys.executable, "-c", DRIVER, str(db), str(started)])
    try:
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        before = stored(db)
        with pytest.raises(StudyLocked) as refused:
            Study(SPACE, name="shared", storage=db, seed=1)
        assert stored(db) == before  # the refused driver wrote nothing, not even a trial or a lease
        message = str(refused.value)
        for part in ("study 'shared'", str(db), f"process {first.pid} on {socket.gethostname()}", "since",
                     f"SQLiteStorage({str(db)!r}).release('shared', force=True)"):
            assert part in message
    finally:
        first.kill()
        first.wait()
    # A driver killed on this machine leaves a stale lease: the next one takes it over and re-runs its trial.
    with pytest.warns(UserWarning, match="trial 0 .* running it again"):
        with Study(SPACE, name="shared", storage=db, seed=0) as study:
            study.optimize(quadratic, n_trials=3, progress=False)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
    assert study.trials[0].steps == [(1.0, study.trials[0].config["x"])]  # the re-run's report only
    assert leases(db) == []  # released by close()


def test_a_study_reopened_in_this_process_takes_over_and_the_older_object_stops(tmp_path):
    db = tmp_path / "s.db"
    first = Study(SPACE, name="r", storage=db, seed=0).optimize(quadratic, n_trials=2, progress=False)
    again = Study(SPACE, name="r", storage=db, seed=0)  # resuming after a crash, or a notebook cell run again
    before = stored(db)
    with pytest.raises(StudyLocked, match="study 'r' in .* was taken over"):
        first.optimize(quadratic, n_trials=4, progress=False)
    assert stored(db) == before
    again.optimize(quadratic, n_trials=4, progress=False)
    assert len(SQLiteStorage(db).trials("r")) == 4
    with pytest.raises(ValueError, match="direction minimize, not maximize"):  # a refused open leaves the lease
        Study(SPACE, name="r", storage=db, direction="maximize")
    again.optimize(quadratic, n_trials=5, progress=False)
    again.close()
    assert leases(db) == []


def test_a_study_is_a_context_manager_that_releases_its_lease_and_file(tmp_path):
    db = tmp_path / "s.db"
    with Study(SPACE, name="c", storage=db, seed=0) as study:
        study.optimize(quadratic, n_trials=2, progress=False)
        assert [row[0] for row in leases(db)] == ["c"]
    assert leases(db) == []
    with pytest.raises(StorageError, match="closed"):
        study.optimize(quadratic, n_trials=3, progress=False)
    assert len(study.trials) == 2  # what it read stays readable
    with Study(SPACE, name="m", seed=0) as memory:  # in memory: nothing to lock
        memory.optimize(quadratic, n_trials=1, progress=False)
        Study(SPACE, name="m", storage=memory.storage)


def pretend(monkeypatch, host, machine, pid):
    """Make this process take its leases as process ``pid`` of ``host`` (on ``machine``: host and namespace)."""
    monkeypatch.setattr(hpolib.storage, "_this_process", lambda: (host, machine, pid, ""))


def test_a_lease_left_by_a_process_that_ended_on_this_machine_is_taken_over_at_once(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    ended = subprocess.Popen([sys.executable, "-c", ""])
    ended.wait()
    host, machine, *_ = hpolib.storage._this_process()
    pretend(monkeypatch, host, machine, ended.pid)
    crashed = Study(SPACE, name="s", storage=db, seed=0).optimize(quadratic, n_trials=1, progress=False)
    monkeypatch.undo()
    assert leases(db) == [("s", host, ended.pid)]
    with Study(SPACE, name="s", storage=db, seed=0) as study:
        assert leases(db) == [("s", host, os.getpid())]
        with pytest.raises(StudyLocked, match="was taken over"):
            crashed.optimize(quadratic, n_trials=2, progress=False)
        study.optimize(quadratic, n_trials=2, progress=False)
    assert len(study.trials) == 2


def wait_until(condition, timeout=60.0):
    """Return once ``condition()`` holds (polled every 10 ms); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.01)


def test_a_lease_from_another_machine_is_held_while_its_heartbeat_ticks(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    monkeypatch.setattr(SQLiteStorage, "heartbeat", 0.05)
    monkeypatch.setattr(SQLiteStorage, "stale_after", 0.5)
    pretend(monkeypatch, "elsewhere", "elsewhere pid:[1]", 4242)
    remote = Study(SPACE, name="s", storage=db, seed=0)  # its heartbeat ticks every 0.05 s
    monkeypatch.undo()
    monkeypatch.setattr(SQLiteStorage, "stale_after", 0.5)

    def lease() -> tuple[float, float]:
        with closing(sqlite3.connect(db)) as connection:
            return connection.execute("SELECT since, heartbeat FROM drivers").fetchone()

    wait_until(lambda: lease()[1] - lease()[0] > 0.5)  # held longer than stale_after, and the heartbeat still ticks
    with pytest.raises(StudyLocked, match=r"process 4242 on elsewhere since .*last heartbeat 0 s ago"):
        Study(SPACE, name="s", storage=db)
    remote.storage._stop.set()  # the remote machine goes down: its heartbeat stops
    remote.storage._beater.join()
    wait_until(lambda: time.time() - lease()[1] > 0.5)
    with Study(SPACE, name="s", storage=db, seed=0) as study:
        study.optimize(quadratic, n_trials=1, progress=False)
        with pytest.raises(StudyLocked, match="taken over by process .* on "):
            remote.optimize(quadratic, n_trials=2, progress=False)


def test_a_lease_released_by_force(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    pretend(monkeypatch, "elsewhere", "elsewhere pid:[1]", 4242)
    remote = Study(SPACE, name="s", storage=db, seed=0)
    monkeypatch.undo()
    with pytest.raises(StudyLocked):
        Study(SPACE, name="s", storage=db)
    SQLiteStorage(db).release("s", force=True)
    assert leases(db) == []
    with pytest.raises(StudyLocked, match=r"lost its lease \(released by force\)"):
        remote.optimize(quadratic, n_trials=1, progress=False)
    Study(SPACE, name="s", storage=db).close()


def test_a_storage_collected_while_this_thread_writes_the_file_does_not_wait_for_itself(tmp_path):
    """Garbage collection runs a dropped storage's release wherever it happens: here inside another connection's
    write, which this thread would wait for until the lock timeout (30 s) if the release waited for the lock."""
    db = tmp_path / "s.db"
    dropped = SQLiteStorage(db)
    dropped.open_study("s", "minimize", "value", "{}")
    dropped.itself = dropped  # a reference cycle: only the cyclic collector frees it
    del dropped
    writer = SQLiteStorage(db)
    start = time.monotonic()
    with writer._db:
        writer._db.execute("BEGIN IMMEDIATE")
        gc.collect()
    assert time.monotonic() - start < 5
    writer.open_study("s", "minimize", "value", "{}")  # the lease left behind is this process's: taken over
    writer.close()
    assert leases(db) == []


def test_the_lease_is_released_when_the_driver_exits(tmp_path):
    db = tmp_path / "s.db"
    left_open = "import sys; from hpolib import Float, Space, Study; " \
                "Study(Space({'x': Float(0, 1)}), name='left open', storage=sys.argv[1])"
    subprocess.run([sys.executable, "-c", left_open, str(db)], check=True, timeout=60)
    assert leases(db) == []


# ------------------------------------------------------------------ opening a file other processes open too

def test_opening_a_new_file_another_process_is_writing_waits_for_it(tmp_path, monkeypatch):
    """SQLite answers "database is locked" at once, without waiting, to a connection that read the file and
    then needs to write it (here: to switch it to write-ahead logging) while another holds the write lock: the
    open tries again until the other's write is done."""
    path = tmp_path / "new.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process creating the same file right now
    refused, locked = [], hpolib.storage._locked

    def the_other_commits_once_refused(exc):
        if locked(exc) and not refused:
            refused.append(exc)
            other.execute("COMMIT")
        return locked(exc)

    monkeypatch.setattr(hpolib.storage, "_locked", the_other_commits_once_refused)
    with closing(SQLiteStorage(path)) as storage:
        storage.open_study("s", "minimize", "value", "{}")
    other.close()
    assert "locked" in str(refused[0]) and leases(path) == []
    assert stored(path)["studies"][0][:3] == ("s", "minimize", "value")


OPENER = textwrap.dedent(
    """
    import os, sys, time
    from hpolib.storage import SQLiteStorage

    folder, start, n = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    for i in range(n):  # both processes open file i at the same moment
        while time.time() < start + 0.02 * i:
            pass
        SQLiteStorage(os.path.join(folder, f"{i}.db")).close()
    """
)


@pytest.mark.slow
def test_two_processes_opening_the_same_new_files_at_once(tmp_path):
    start = str(time.time() + 3.0)  # after both have imported hpolib
    openers = [subprocess.Popen([sys.executable, "-c", OPENER, str(tmp_path), start, "40"], stderr=subprocess.PIPE,
                                text=True) for _ in range(2)]
    errors = [opener.communicate(timeout=60)[1] for opener in openers]
    assert errors == ["", ""]


# ------------------------------------------------------------------ files that cannot be used

def test_a_file_that_is_not_a_database_is_refused_by_name_and_left_alone(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("my notes, not a database\n" * 100)
    with pytest.raises(StorageError, match=f"{path}.* not a hpolib SQLite file or is damaged.*another path"):
        Study(SPACE, name="s", storage=path)
    assert path.read_text() == "my notes, not a database\n" * 100
    assert sorted(os.listdir(tmp_path)) == ["notes.db"]


def test_a_sqlite_database_of_something_else_is_left_alone(tmp_path):
    path = tmp_path / "app.db"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE users (name TEXT)")
        db.execute("INSERT INTO users VALUES ('ada')")
    with pytest.raises(StorageError, match=rf"{path} holds other tables \(users\).*another path"):
        SQLiteStorage(path)
    assert stored(path) == {"users": [("ada",)]}
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_a_damaged_study_file_is_named(tmp_path, damage):
    path = tmp_path / "s.db"
    with Study(SPACE, name="s", storage=path, seed=0) as study:
        study.optimize(quadratic, n_trials=40, progress=False)
    data = bytearray(path.read_bytes())
    if damage == "truncated":  # a copy cut short
        data = data[: len(data) // 2]
    else:  # garbage over the second page
        data[4096:8192] = b"\xff" * 4096
    path.write_bytes(data)
    with pytest.raises(StorageError, match=f"{path}.* damaged.*backup"):
        _ = Study(SPACE, name="s", storage=path).trials
    assert path.read_bytes() == data


def test_a_path_that_cannot_be_a_file(tmp_path):
    (tmp_path / "notes").write_text("a file, not a folder")
    with pytest.raises(StorageError, match=f"{tmp_path / 'notes' / 's.db'}"):
        SQLiteStorage(tmp_path / "notes" / "s.db")
    (tmp_path / "folder.db").mkdir()
    with pytest.raises(StorageError, match=f"{tmp_path / 'folder.db'}.*writable"):
        SQLiteStorage(tmp_path / "folder.db")


def read_only(path):
    """How SQLite opens a file it may not write (a read-only file, folder or file system; not for root)."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=30,
                           check_same_thread=False)


def test_a_read_only_study_file(tmp_path, monkeypatch):
    path = tmp_path / "s.db"
    with Study(SPACE, name="s", storage=path, seed=0) as study:
        study.optimize(quadratic, n_trials=2, progress=False)
    before = stored(path)
    monkeypatch.setattr(hpolib.storage, "_connect", read_only)
    with pytest.raises(StorageError, match=f"{path}.*read-only.*writable"):
        Study(SPACE, name="s", storage=path)
    monkeypatch.undo()
    assert stored(path) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only files and folders")
def test_a_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(StorageError, match=f"{folder / 's.db'}.*writable"):
            Study(SPACE, name="s", storage=folder / "s.db")
    finally:
        folder.chmod(0o755)


def test_a_budget_reads_back_as_it_was_written(tmp_path):
    with closing(SQLiteStorage(tmp_path / "s.db")) as storage:
        storage.open_study("s", "minimize", "value", "{}")
        for budget in (3, 3.0, 0.5, None):
            storage.create_trial("s", {}, budget, "optimizer")
        assert [(t.budget, type(t.budget)) for t in storage.trials("s")] == [
            (3, int), (3.0, float), (0.5, float), (None, type(None))]


def test_a_stored_record_is_made_once_per_key_and_replaced_for_another(tmp_path):
    from hpolib.storage import stored

    made = []

    def make(value):
        return lambda: made.append(value) or {"value": value}

    path = tmp_path / "runs" / "a.json"
    assert stored(path, {"lr": 0.1, "steps": (1, 2)}, make(1)) == {"value": 1}
    assert stored(path, {"lr": 0.1, "steps": [1, 2]}, make(2)) == {"value": 1}  # same key as read back: kept
    assert made == [1]
    assert stored(path, {"lr": 0.2, "steps": [1, 2]}, make(3)) == {"value": 3} and made == [1, 3]
    assert not list(tmp_path.glob("runs/*.tmp"))

    def failing():
        raise RuntimeError("the run crashed")

    with pytest.raises(RuntimeError):
        stored(path, {"lr": 0.3}, failing)
    assert stored(path, {"lr": 0.2, "steps": [1, 2]}, make(4)) == {"value": 3}  # a failure overwrote nothing


def test_a_file_written_before_cpu_times_were_stored_keeps_its_trials_and_stores_them_from_then_on(tmp_path):
    space = Space({"x": Float(0.0, 1.0)})
    with Study(space, name="s", storage=tmp_path / "s.db", seed=0) as study:
        study.optimize(lambda config, budget, report: config["x"], n_trials=1, progress=False)
    with closing(sqlite3.connect(tmp_path / "s.db")) as db:  # the file as an older hpolib wrote it
        db.execute("ALTER TABLE trials DROP COLUMN cpu_seconds")
        db.commit()
    Study(space, name="s", storage=tmp_path / "s.db", seed=0).optimize(
        lambda config, budget, report: config["x"], n_trials=3, progress=False)
    older, *newer = SQLiteStorage(tmp_path / "s.db").trials("s")
    assert older.state is TrialState.COMPLETE and older.cpu_seconds is None
    assert len(newer) == 2 and all(t.state is TrialState.COMPLETE and t.cpu_seconds >= 0 for t in newer)


def test_a_study_set_aside_keeps_its_trials_under_another_name_and_its_own_name_starts_afresh(tmp_path, monkeypatch):
    from hpolib.storage import SET_ASIDE, studies_set_aside

    db = tmp_path / "s.db"
    assert studies_set_aside(db) == [] and studies_set_aside(None) == []  # no file yet, or none at all
    with Study(SPACE, name="s", storage=db, seed=0) as first:
        first.optimize(quadratic, n_trials=3, progress=False)
    storage = SQLiteStorage(db)
    with pytest.raises(ValueError, match="study must be one of the studies in .*, got 'missing'"):
        storage.set_aside("missing")
    assert storage.set_aside("s") == SET_ASIDE + "s"
    with pytest.raises(ValueError, match="study must be one of"):  # it is gone under its own name
        storage.set_aside("s")
    assert [len(storage.trials(n)) for n in ("s", SET_ASIDE + "s")] == [0, 3]
    assert [t.config for t in storage.trials(SET_ASIDE + "s")] == [t.config for t in first.trials]
    storage.close()
    assert studies_set_aside(db) == ["s"]
    with Study(SPACE, name="s", storage=db, seed=0) as again:  # run again from scratch: the same trials
        again.optimize(quadratic, n_trials=3, progress=False)
        assert [t.config for t in again.trials] == [t.config for t in first.trials]
    with pytest.raises(ValueError, match="was set aside before"):
        SQLiteStorage(db).set_aside("s")
    pretend(monkeypatch, "elsewhere", "elsewhere pid:[1]", 4242)
    driven = Study(SPACE, name="d", storage=db, seed=0)
    monkeypatch.undo()
    with pytest.raises(StudyLocked, match="driven by process 4242"):  # another process drives it: left alone
        SQLiteStorage(db).set_aside("d")
    assert studies_set_aside(db) == ["s"]
    driven.close()
