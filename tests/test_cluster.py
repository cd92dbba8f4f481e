"""A Dask driver that may be killed and rerun, and a scheduler address that serves every optimize."""

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from hpolib import DaskExecutor, Float, Space, SQLiteStorage, Study, TrialState

SPACE = Space({"x": Float(-1.0, 1.0)})


@pytest.fixture
def local_dask():
    """A cluster of two single-threaded workers on the loopback, as a user would start one."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster:
        yield cluster


def reports_once(config, budget, report):
    report(1, config["x"])
    return config["x"] ** 2


@pytest.mark.slow
def test_an_address_serves_every_optimize_not_only_the_first(local_dask):
    executor = DaskExecutor(local_dask.scheduler_address)
    study = Study(SPACE, storage=None, executor=executor, seed=0)
    study.optimize(reports_once, n_trials=4, progress=False)
    study.optimize(reports_once, n_trials=8, progress=False)  # was: a LocalCluster of its own
    workers = set(local_dask.scheduler_info["workers"])
    assert len(study.trials) == 8 and all(t.state is TrialState.COMPLETE for t in study.trials)
    assert {t.worker for t in study.trials[:4]} <= workers and {t.worker for t in study.trials[4:]} <= workers
    assert executor.target == local_dask.scheduler_address and executor.client is None


DRIVER = textwrap.dedent(
    """
    import sys, time
    from hpolib import TPE, DaskExecutor, Float, Space, Study

    SPACE = Space({"x": Float(-3.0, 3.0)})

    def objective(config, budget, report):  # killed, it is almost surely before a report
        for step in (1, 2):
            time.sleep(0.1)
            report(step, config["x"] * step)
        return (config["x"] - 1) ** 2

    def study(storage, executor=None):
        return Study(SPACE, TPE(SPACE, seed=0, n_startup=3), name="killed", storage=storage, executor=executor)

    if __name__ == "__main__":
        study(sys.argv[1], DaskExecutor(sys.argv[2], n_workers=1)).optimize(objective, n_trials=14, progress=False)
    """
)


def complete(path) -> int:
    try:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT COUNT(*) FROM trials WHERE state = 'complete'").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet
        return 0


@pytest.mark.slow
def test_a_killed_dask_driver_reruns_into_the_trials_of_an_uninterrupted_run(tmp_path):
    from distributed import LocalCluster

    script, db = tmp_path / "driver.py", tmp_path / "study.db"
    script.write_text(DRIVER)
    with LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster:
        command = [sys.executable, str(script), str(db), cluster.scheduler_address]
        driver = subprocess.Popen(command)
        try:
            deadline = time.monotonic() + 90
            while complete(db) < 5 and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            driver.send_signal(signal.SIGKILL)
            driver.wait()
        assert 5 <= complete(db) < 14
        subprocess.run(command, check=True, timeout=120)  # the same cluster: the dead driver's trial gives way
    import importlib.util

    spec = importlib.util.spec_from_file_location("driver", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    straight = module.study(None).optimize(module.objective, n_trials=14, progress=False)
    resumed = SQLiteStorage(db).trials("killed")
    assert all(t.state is TrialState.COMPLETE for t in resumed)
    assert [(t.config, t.value) for t in resumed] == [(t.config, t.value) for t in straight.trials]
