"""A real study killed with SIGKILL mid-way loses no finished trial and resumes to its budget."""

import gc
import itertools
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
    import itertools, pathlib, sys, time
    from hpolib import Float, Int, ProcessExecutor, SerialExecutor, Space, Study

    SPACE = Space({"x": Float(-3.0, 3.0), "n": Int(1, 9)})
    CALLS = None  # a folder, in a run to be killed: its calls from the 9th on never end

    def objective(config, budget, report):
        if CALLS is not None and call_number(CALLS) >= 8:
            time.sleep(600)  # until the driver is killed
        report(1, config["x"])
        return config["x"] ** 2 + config["n"]

    def call_number(folder):  # this call's number, from 0, among every worker's: the first name it can create
        for number in itertools.count():
            try:
                (folder / str(number)).touch(exist_ok=False)
                return number
            except FileExistsError:
                pass

    if __name__ == "__main__":
        storage, n_trials, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
        CALLS = pathlib.Path(sys.argv[4]) if len(sys.argv) > 4 else None
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


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_then_resume(tmp_path, workers):
    script, db, calls = tmp_path / "driver.py", tmp_path / "runs" / "study.db", tmp_path / "calls"
    script.write_text(DRIVER)
    calls.mkdir()
    command = [sys.executable, str(script), str(db), "30", str(workers)]
    driver = subprocess.Popen([*command, str(calls)])  # its 9th call and all after it hang: 8 trials complete
    deadline = time.monotonic() + 60
    while len(complete_trials(db)) < 8 and time.monotonic() < deadline:
        time.sleep(0.02)
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    before = complete_trials(db)
    assert len(before) == 8

    subprocess.run(command, check=True, timeout=120)

    after = SQLiteStorage(db).trials("killed")
    assert len(after) == 30 and all(t.state is TrialState.COMPLETE for t in after)
    assert set(before) <= set(complete_trials(db))  # same numbers, configs, values and end times
    if workers == 1:  # serial and seeded: the same trials as a run that was never interrupted
        import importlib.util

        spec = importlib.util.spec_from_file_location("driver", script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        straight = Study(module.SPACE, name="straight", seed=0).optimize(
            module.objective, n_trials=30, progress=False)
        assert [(t.config, t.value) for t in after] == [(t.config, t.value) for t in straight.trials]


def test_iis_killed_while_re_evaluating_carried_configs_resumes_as_if_never_stopped(tmp_path):
    """A stage killed during its warm start re-runs the killed trial, then evaluates the carried
    configurations it had not reached, once each, as the uninterrupted search did."""
    from hpolib import TPE, Float, Space
    from hpolib.analysis.iis import increasing_image_sizes

    class Killed(BaseException):
        pass

    def objective_at(size, kill=False):
        calls = itertools.count()

        def objective(config, budget, report):
            if kill and size == 16 and next(calls) == 1:  # the second carried configuration
                raise Killed
            return abs(config["x"] - 0.3) + 0.01 * size
        return objective

    def search(storage, kill=False):
        return increasing_image_sizes(Space({"x": Float(0, 1)}), lambda space, seed: TPE(space, seed=seed),
                                      lambda size: objective_at(size, kill), [(8, 10), (16, 6)], carry=3,
                                      storage=storage, direction="minimize", metric="value", progress=False)

    def trials(result):
        return [(t.config, t.value, t.source) for study in result.studies for t in study.trials]

    db = tmp_path / "iis.db"
    with pytest.raises(Killed):
        search(db, kill=True)
    gc.collect()  # the dead driver's studies and storage go, as with its process
    with pytest.warns(UserWarning, match="running it again"):
        resumed = search(db)
    assert trials(resumed) == trials(search(None))
    assert [t.source for t in resumed.studies[1].trials] == ["queue"] * 3 + ["optimizer"] * 3
