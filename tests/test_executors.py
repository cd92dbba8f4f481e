"""The same study on every executor: asynchronous hand-out, remote reports, a worker killed mid-trial; workers
that die with their driver, and a trial retried after its worker died."""

import functools
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hpolib import DaskExecutor, Float, ProcessExecutor, SerialExecutor, Space, SQLiteStorage, Study, TrialState
from hpolib.executors import Executor, run_objective

SPACE = Space({"x": Float(-1.0, 1.0)})
# Enqueued on purpose; random draws never hit these exact values.
SLOW, KILL, DIVERGE = 0.1, -0.3, 0.9


def objective(config, budget, report, finished: Path | None = None):
    """KILL SIGKILLs its own process, DIVERGE reports NaN at step 2; with a ``finished`` folder, where every other
    trial leaves a file as it ends, SLOW waits for four of them."""
    x = config["x"]
    if x == KILL:
        os.kill(os.getpid(), signal.SIGKILL)
    if x == SLOW and finished is not None:
        deadline = time.monotonic() + 60
        while len(list(finished.iterdir())) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
    for step in (1, 2, 3):
        report(step, float("nan") if x == DIVERGE and step == 2 else x * step)
    if finished is not None:
        (finished / str(x)).touch()
    return x**2


def run_study(executor, queue, finished=None):
    study = Study(SPACE, executor=executor, seed=0)
    for x in queue:
        study.enqueue({"x": x})
    return study.optimize(functools.partial(objective, finished=finished), n_trials=len(queue) + 12, progress=False)


EXECUTORS = [
    pytest.param(lambda: ProcessExecutor(n_workers=2), id="processes"),
    pytest.param(lambda: DaskExecutor(n_workers=2), id="dask", marks=pytest.mark.slow),  # starts a cluster
]


@pytest.mark.slow
@pytest.mark.parametrize("make", EXECUTORS)
def test_async_hand_out_and_remote_reports(make, tmp_path):
    study = run_study(make(), [SLOW, DIVERGE], finished=tmp_path)
    slow, diverged, *normal = study.trials
    assert len(study.trials) == 14
    assert slow.state is TrialState.COMPLETE and slow.value == pytest.approx(0.01)
    # Asynchronous: while the slow trial ran, the other worker kept taking new trials.
    overlapped = [t for t in normal + [diverged] if slow.started < t.started and t.finished < slow.finished]
    assert len(overlapped) >= 4
    assert len({t.worker for t in study.trials}) == 2
    assert all(t.state is TrialState.COMPLETE for t in normal)
    # Reports travel back from the workers; a NaN report stops the trial there.
    x = normal[0].config["x"]
    assert normal[0].steps == [(1.0, x), (2.0, 2 * x), (3.0, 3 * x)]
    assert diverged.state is TrialState.FAILED and "non-finite value (nan) at step 2" in diverged.error
    assert len(diverged.steps) == 2


@pytest.mark.parametrize("make", EXECUTORS)
def test_a_worker_killed_mid_trial_costs_that_trial_only(make):
    study = run_study(make(), [KILL])
    killed, *others = study.trials
    assert len(study.trials) == 13
    assert killed.state is TrialState.FAILED
    assert "died" in killed.error or "KilledWorker" in killed.error
    assert all(t.state is TrialState.COMPLETE for t in others)


def spin_then_sleep(config, budget, report):
    """About 0.2 s on the CPU, then 0.3 s asleep (as a pause of the machine would be)."""
    end = time.process_time() + 0.2
    while time.process_time() < end:
        pass
    time.sleep(0.3)
    return config["x"]


@pytest.mark.parametrize("make", [SerialExecutor, *EXECUTORS])
def test_a_trial_records_the_cpu_time_of_its_process_which_a_pause_does_not_inflate(make, tmp_path):
    study = Study(SPACE, executor=make(), storage=tmp_path / "s.db", name="cpu", seed=0)
    study.optimize(spin_then_sleep, n_trials=2, progress=False)
    for trial in SQLiteStorage(tmp_path / "s.db").trials("cpu"):  # stored, and read back
        assert 0.19 <= trial.cpu_seconds < 0.4 and trial.duration >= 0.5
    asked = study.ask()
    told = study.tell(asked, 0.5)
    assert told.cpu_seconds is None  # told by hand: nothing measured it


def test_serial_executor_gives_the_same_trials_as_processes():
    serial = run_study(SerialExecutor(), [0.5])
    parallel = run_study(ProcessExecutor(n_workers=2), [0.5])
    key = lambda s: sorted((round(t.config["x"], 12), t.value) for t in s.trials)  # noqa: E731
    assert key(serial) == key(parallel)


def test_process_executor_with_a_notebook_style_closure():
    offset = 0.25
    study = Study(SPACE, executor=ProcessExecutor(n_workers=2), seed=1)
    study.optimize(lambda c, b, r: (c["x"] - offset) ** 2, n_trials=6, progress=False)
    assert all(t.state is TrialState.COMPLETE for t in study.trials)
    assert study.trials[0].value == pytest.approx((study.trials[0].config["x"] - 0.25) ** 2)


def test_bad_executor_arguments():
    with pytest.raises(ValueError, match="n_workers must be a whole number >= 1"):
        ProcessExecutor(n_workers=0)
    with pytest.raises(ValueError, match="start_method"):
        ProcessExecutor(start_method="teleport")
    with pytest.raises(ValueError, match="n_workers"):
        DaskExecutor(n_workers=-2)


def count_threads(config, budget, report):
    import torch
    from threadpoolctl import threadpool_info

    return {"value": 0.0, "torch": torch.get_num_threads(),
            "blas": max((p["num_threads"] for p in threadpool_info()), default=1)}


@pytest.mark.slow
def test_process_workers_do_not_oversubscribe_the_cores():
    study = Study(SPACE, executor=ProcessExecutor(n_workers=2, threads_per_worker=1), seed=0)
    study.optimize(count_threads, n_trials=2, progress=False)
    assert [(t.metrics["torch"], t.metrics["blas"]) for t in study.trials] == [(1.0, 1.0), (1.0, 1.0)]
    with pytest.raises(ValueError, match="threads_per_worker"):
        ProcessExecutor(threads_per_worker=0)


ORPHANED = textwrap.dedent(
    """
    import os, pathlib, sys, time
    from hpolib import Float, ProcessExecutor, Space, Study

    def objective(config, budget, report):
        pathlib.Path(sys.argv[1], str(os.getpid())).touch()
        time.sleep(60)
        return 0.0

    if __name__ == "__main__":
        Study(Space({"x": Float(0, 1)}), executor=ProcessExecutor(n_workers=2), seed=0).optimize(
            objective, n_trials=2, progress=False)
    """
)


def running(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie waiting to be reaped does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:  # no /proc
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


@pytest.mark.slow
def test_process_workers_die_with_a_killed_driver(tmp_path):
    script, pids = tmp_path / "driver.py", tmp_path / "pids"
    script.write_text(ORPHANED)
    pids.mkdir()
    driver = subprocess.Popen([sys.executable, str(script), str(pids)])
    workers = []
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            workers = [int(p.name) for p in pids.iterdir()]
        assert len(workers) == 2
        driver.kill()
        driver.wait()
        deadline = time.monotonic() + 2
        while any(running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(running(pid) for pid in workers)
    finally:
        driver.kill()
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class WorkerDied(BaseException):
    pass


class RetriedOnce(Executor):
    """Runs each trial in this process as Dask runs a task on a cluster that retries it: trial 0's first attempt
    reports twice (other values), then its worker dies, and the retry runs the whole trial again."""

    def start(self, objective, on_report):
        super().start(objective, on_report)
        self._jobs = []

    def idle(self):
        return 1 - len(self._jobs)

    def submit(self, job):
        self._jobs.append(job)

    def wait(self, timeout=None):
        if not self._jobs:
            return []
        job = self._jobs.pop()
        for attempt in ([1, 2] if job.number == 0 else [1]):
            dies = attempt == 1 and job.number == 0

            def send(step, value, attempt=attempt, dies=dies):
                if dies and step > 2:
                    raise WorkerDied  # nothing more of this attempt reaches the driver
                return self._on_report(job.number, step, 10 * value if dies else value, attempt=attempt)

            try:
                outcome = run_objective(self._objective, job, send, f"attempt-{attempt}")
            except WorkerDied:
                continue
        return [outcome]


def three_steps(config, budget, report):
    for step in (1, 2, 3):
        report(step, float(step))
    return 3.0


def test_a_retried_trial_keeps_the_reports_of_its_last_attempt_only(tmp_path):
    study = Study(SPACE, name="retried", storage=tmp_path / "s.db", executor=RetriedOnce(), seed=0)
    study.optimize(three_steps, n_trials=2, progress=False)
    clean = [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0)]
    assert [t.steps for t in study.trials] == [clean, clean]
    assert [t.steps for t in SQLiteStorage(tmp_path / "s.db").trials("retried")] == [clean, clean]
    assert [t.budget_used for t in study.trials] == [3.0, 3.0]


def dies_once(config, budget, report, marker):
    """Reports steps 1 and 2, and on its first run kills its worker there; the retry reports steps 1 to 3."""
    first = not os.path.exists(marker)
    for step in (1, 2, 3):
        report(step, 10.0 * step if first else float(step))
        if first and step == 2:
            Path(marker).touch()
            os.kill(os.getpid(), signal.SIGKILL)
    return 3.0


@pytest.mark.slow
def test_dask_retrying_a_trial_whose_worker_died_stores_one_clean_attempt(tmp_path):
    from distributed import Client, LocalCluster

    marker = str(tmp_path / "died")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:  # the user's own cluster: Dask retries a task whose worker died
        study = Study(SPACE, name="dask", storage=tmp_path / "s.db", executor=DaskExecutor(client), seed=0)
        study.optimize(lambda c, b, r: dies_once(c, b, r, marker), n_trials=1, progress=False)
    assert os.path.exists(marker)
    (trial,) = SQLiteStorage(tmp_path / "s.db").trials("dask")
    assert trial.state is TrialState.COMPLETE and trial.value == 3.0
    assert trial.steps == study.trials[0].steps == [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0)]
