"""A real study killed with SIGKILL mid-way loses no finished trial and resumes to its budget."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from hpolib import SQLiteStorage, Study, TrialState

DRIVER = textwrap.dedent(
    """
    import sys, time
    from hpolib import Float, Int, ProcessExecutor, SerialExecutor, Space, Study

    SPACE = Space({"x": Float(-3.0, 3.0), "n": Int(1, 9)})

    def objective(config, budget, report):
        time.sleep(0.05)
        report(1, config["x"])
        time.sleep(0.05)
        return config["x"] ** 2 + config["n"]

    if __name__ == "__main__":
        storage, n_trials, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        executor = ProcessExecutor(workers) if workers > 1 else SerialExecutor()
        Study(SPACE, name="killed", storage=storage, executor=executor, seed=0).optimize(
            objective, n_trials=n_trials, progress=False)
    """
)


def complete_trials(path):
    if not os.path.exists(path):
        return []
    try:
        with sqlite3.connect(path) as db:
            return db.execute(
                "SELECT number, config, value, finished FROM trials WHERE state = 'complete' ORDER BY number"
            ).fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return []


@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_then_resume(tmp_path, workers):
    script, db = tmp_path / "driver.py", tmp_path / "runs" / "study.db"
    script.write_text(DRIVER)
    command = [sys.executable, str(script), str(db), "30", str(workers)]
    driver = subprocess.Popen(command)
    deadline = time.monotonic() + 60
    while len(complete_trials(db)) < 8 and time.monotonic() < deadline:
        time.sleep(0.02)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    before = complete_trials(db)
    assert 8 <= len(before) < 30

    subprocess.run(command, check=True, timeout=120)

    after = SQLiteStorage(db).trials("killed")
    assert len(after) == 30 and all(t.state is TrialState.COMPLETE for t in after)
    assert set(before) <= set(complete_trials(db))  # same numbers, configs, values and end times
    if workers == 1:  # serial and seeded: the same trials as a run that was never interrupted
        import importlib.util

        spec = importlib.util.spec_from_file_location("driver", script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        straight = Study(module.SPACE, name="straight", storage=None, seed=0).optimize(
            module.objective, n_trials=30, progress=False)
        assert [(t.config, t.value) for t in after] == [(t.config, t.value) for t in straight.trials]
