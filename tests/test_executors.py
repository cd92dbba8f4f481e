"""The same study on every executor: asynchronous hand-out, remote reports, a worker killed mid-trial."""

import os
import signal
import time

import pytest

from hpolib import DaskExecutor, Float, ProcessExecutor, SerialExecutor, Space, Study, TrialState

SPACE = Space({"x": Float(-1.0, 1.0)})
# Enqueued on purpose; random draws never hit these exact values.
SLOW, KILL, DIVERGE = 0.1, -0.3, 0.9


def objective(config, budget, report):
    """SLOW sleeps 3 s, KILL SIGKILLs its own process, DIVERGE reports NaN at step 2."""
    x = config["x"]
    if x == KILL:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(3.0 if x == SLOW else 0.02)
    for step in (1, 2, 3):
        report(step, float("nan") if x == DIVERGE and step == 2 else x * step)
    return x**2


def run_study(executor, queue):
    study = Study(SPACE, storage=None, executor=executor, seed=0)
    for x in queue:
        study.enqueue({"x": x})
    return study.optimize(objective, n_trials=len(queue) + 12, progress=False)


EXECUTORS = [
    pytest.param(lambda: ProcessExecutor(n_workers=2), id="processes"),
    pytest.param(lambda: DaskExecutor(n_workers=2), id="dask"),
]


@pytest.mark.parametrize("make", EXECUTORS)
def test_async_hand_out_and_remote_reports(make):
    study = run_study(make(), [SLOW, DIVERGE])
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


def test_serial_executor_gives_the_same_trials_as_processes():
    serial = run_study(SerialExecutor(), [0.5])
    parallel = run_study(ProcessExecutor(n_workers=2), [0.5])
    key = lambda s: sorted((round(t.config["x"], 12), t.value) for t in s.trials)  # noqa: E731
    assert key(serial) == key(parallel)


def test_process_executor_with_a_notebook_style_closure():
    offset = 0.25
    study = Study(SPACE, storage=None, executor=ProcessExecutor(n_workers=2), seed=1)
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


def test_process_workers_do_not_oversubscribe_the_cores():
    study = Study(SPACE, storage=None, executor=ProcessExecutor(n_workers=2, threads_per_worker=1), seed=0)
    study.optimize(count_threads, n_trials=2, progress=False)
    assert [(t.metrics["torch"], t.metrics["blas"]) for t in study.trials] == [(1.0, 1.0), (1.0, 1.0)]
    with pytest.raises(ValueError, match="threads_per_worker"):
        ProcessExecutor(threads_per_worker=0)
