"""Executors from a spec, Dask clusters that open no door, SLURM jobs with TLS and GPUs, and a Dask driver that
may be killed and rerun."""

import ipaddress
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time

import pytest

from hpolib import DaskExecutor, Float, ProcessExecutor, SerialExecutor, Space, SQLiteStorage, Study, TrialState
from hpolib.cluster import SlurmConfig, slurm_cluster
from hpolib.executors import check_spec, from_spec

SPACE = Space({"x": Float(-1.0, 1.0)})
SLURM = """\
queue: gpu
account: proj-42
cores: 8
memory: 64GB
gpus: 2
walltime: "04:00:00"
jobs: 3
"""


@pytest.fixture
def local_dask():
    """A cluster of two single-threaded workers on the loopback, as a user would start one."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster:
        yield cluster


@pytest.mark.parametrize("spec, kind, n_workers, target", [
    ("serial", SerialExecutor, 1, None),
    ("processes:3", ProcessExecutor, 3, None),
    ("dask", DaskExecutor, 0, None),  # one worker per CPU, counted when it starts
    ("dask:2", DaskExecutor, 2, None),
    ("dask://127.0.0.1:8786", DaskExecutor, 0, "tcp://127.0.0.1:8786"),
    ("tcp://localhost:8786", DaskExecutor, 0, "tcp://localhost:8786"),
    ("tls://10.1.2.3:8786", DaskExecutor, 0, "tls://10.1.2.3:8786"),  # another machine, over TLS
])
def test_every_spec_names_its_executor_and_starts_nothing(spec, kind, n_workers, target):
    executor = from_spec(spec)
    assert type(executor) is kind and executor.n_workers == n_workers
    assert getattr(executor, "target", None) == target and getattr(executor, "client", None) is None


@pytest.mark.parametrize("spec", ["threads", "processes:0", "processes:two", "dask:", "http://127.0.0.1:80",
                                  "tcp://127.0.0.1", "", "Serial"])
def test_a_bad_spec_gets_one_error_listing_the_forms(spec):
    forms = ("executor must be one of serial, processes:N, dask, dask:N, dask://HOST:PORT, tcp://HOST:PORT, "
             "tls://HOST:PORT, slurm (N a whole number >= 1; slurm with executor_config, the cluster's YAML file), "
             f"got {spec!r}")
    with pytest.raises(ValueError) as caught:
        check_spec(spec)
    assert str(caught.value) == forms


def test_a_config_file_goes_with_slurm_only_and_slurm_needs_one_and_sbatch(tmp_path, monkeypatch):
    config = tmp_path / "cluster.yaml"
    config.write_text(SLURM)
    with pytest.raises(ValueError, match="executor_config is a SLURM cluster's file, for executor 'slurm' only"):
        from_spec("dask", config)
    with pytest.raises(ValueError, match="executor 'slurm' needs executor_config, the cluster's YAML file"):
        from_spec("slurm")
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.raises(ValueError, match="submits jobs with SLURM's sbatch, which is not on this machine's PATH"):
        from_spec("slurm", config)
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    check_spec("slurm", config)  # on a login node: nothing to refuse


def test_plain_tcp_to_another_machine_needs_an_explicit_opt_in():
    for make in (lambda **kw: from_spec("tcp://10.1.2.3:8786", **kw),
                 lambda **kw: from_spec("dask://cluster.example.org:8786", **kw),
                 lambda **kw: DaskExecutor("tcp://10.1.2.3:8786", **kw)):
        with pytest.raises(ValueError, match=r"is on another machine and tcp:// is neither encrypted nor "
                                             r"authenticated: .* Connect with tls:// .* insecure=True "
                                             r"\(--executor-insecure\)"):
            make()
        with pytest.warns(UserWarning, match="connecting anyway, as insecure=True asks"):
            assert make(insecure=True).target.startswith("tcp://")


def test_the_slurm_file_is_checked_setting_by_setting(tmp_path):
    path = tmp_path / "cluster.yaml"
    path.write_text(SLURM)
    assert SlurmConfig.read(path) == SlurmConfig("gpu", 8, "64GB", "04:00:00", 3, "proj-42", 2)
    assert SlurmConfig.read(path).trials_at_once == 6  # one per GPU
    for edit, message in [
        (("gpus: 2", "partition: gpu"), r"unknown settings \['partition'\], missing \[\]; the settings are queue, "
                                        r"cores, memory, walltime, jobs, account, gpus"),
        (("jobs: 3", ""), r"unknown settings \[\], missing \['jobs'\]"),
        (('"04:00:00"', "12:00:00"), "walltime must be a string such as '04:00:00' .* got 43200"),
        (("64GB", "lots"), "memory must be an amount such as '64GB', got 'lots'"),
        (("cores: 8", "cores: 0"), "cores must be a whole number >= 1, got 0"),
        (("gpus: 2", "gpus: -1"), "gpus must be a whole number >= 0, got -1"),
        (("queue: gpu", "queue: ''"), "queue must be a name, got ''"),
    ]:
        path.write_text(SLURM.replace(*edit))
        with pytest.raises(ValueError, match=message):
            SlurmConfig.read(path)
    with pytest.raises(ValueError, match="there is no file"):
        SlurmConfig.read(tmp_path / "nope.yaml")


@pytest.mark.slow
@pytest.mark.parametrize("gpus", [2, 0])
def test_the_slurm_job_script_asks_for_the_partition_account_cores_memory_time_and_gpus_and_talks_tls(
        tmp_path, monkeypatch, gpus):
    monkeypatch.chdir(tmp_path)  # where the workers' credentials go, by default
    config = SlurmConfig("gpu", 8, "64GB", "04:00:00", 3, "proj-42", gpus)
    with slurm_cluster(config) as cluster:  # starts the scheduler here; no job is submitted
        script = cluster.job_script()
        assert cluster.scheduler_address.startswith("tls://")
        credentials = [word for word in script.split() if word.startswith(str(tmp_path))]
        assert credentials and all(stat.S_IMODE(os.stat(f).st_mode) & 0o077 == 0 for f in credentials)  # owner's
    header = [line for line in script.splitlines() if line.startswith("#SBATCH")]
    for directive in ("-p gpu", "-A proj-42", "--cpus-per-task=8", "--mem=60G", "-t 04:00:00"):
        assert f"#SBATCH {directive}" in header
    assert ("#SBATCH --gres=gpu:2" in header) == (gpus == 2)
    command = script.splitlines()[-1]
    assert "tls://" in command and "--tls-ca-file" in command and "--tls-key" in command
    if gpus:  # one worker, a thread per core, its GPUs as a resource
        assert "--nthreads 8" in command and "--nworkers" not in command and "--resources GPU=2" in command
    else:  # a single-threaded worker per core
        assert "--nthreads 1" in command and "--nworkers 8" in command and "--resources" not in command


def listening(process) -> list[str]:
    return [c.laddr.ip for c in process.net_connections(kind="inet") if c.status == "LISTEN"]


def test_a_cluster_the_project_starts_listens_on_the_loopback_only():
    import psutil

    executor = DaskExecutor(n_workers=1)
    executor.start(lambda c, b, r: 0.0, lambda *args, **kwargs: True)
    try:
        here = psutil.Process()
        addresses = listening(here) + [ip for child in here.children(recursive=True) for ip in listening(child)]
    finally:
        executor.close()
    assert len(addresses) >= 3  # the scheduler, the nanny and the worker
    assert all(ipaddress.ip_address(ip).is_loopback for ip in addresses), addresses


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


def sees_its_gpu(config, budget, report):
    began = time.time()
    time.sleep(0.4)
    return {"value": config["x"], "seen": report.device, "began": began, "ended": time.time()}


@pytest.mark.slow
def test_each_trial_has_a_gpu_to_itself_and_records_it(tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=3, resources={"GPU": 2}, host="127.0.0.1",
                      dashboard_address=None) as cluster:  # three threads, two GPUs: two trials at a time
        study = Study(SPACE, name="gpus", storage=tmp_path / "s.db", seed=0,
                      executor=DaskExecutor(cluster.scheduler_address, n_workers=3, gpu=True))
        study.optimize(sees_its_gpu, n_trials=6, progress=False)
    trials = SQLiteStorage(tmp_path / "s.db").trials("gpus")
    assert [t.info["device"] for t in trials] == [t.metrics["seen"] for t in trials]
    assert {t.info["device"] for t in trials} == {"cuda:0", "cuda:1"}
    ran = [(t.metrics["began"], t.metrics["ended"], t.info["device"]) for t in trials]
    together = [(a, b) for a in ran for b in ran if a < b and b[0] < a[1] and a[0] < b[1]]
    assert together and all(a[2] != b[2] for a, b in together)  # so never three at a time on two GPUs
    assert "device" in study.to_dataframe().columns


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
