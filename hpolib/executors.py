"""Where trials run: in this process, in local worker processes, or on a Dask cluster.

Every executor runs trials asynchronously: as soon as one worker is free the
study hands it the next trial. Workers send each ``report(step, value)`` back
to the driver process, which stores it and answers whether the trial goes on
(a scheduler may stop it: ``report`` then raises :class:`TrialStopped`), and
finally the trial's :class:`Outcome`. A worker that dies costs only the trial
it was running, which is recorded as failed. Workers die with their driver,
even one killed with SIGKILL.

An executor is driven by :class:`hpolib.Study` through five calls: ``start``,
``idle``, ``submit``, ``wait`` and ``close``.

The objective's third argument is a :class:`Reporter`: call it as
``report(step, value)`` (or ``report.send(step, value)`` and ask
``report.should_stop()``); it also names the trial's checkpoint folders, so an
objective can save its state and a promoted trial (successive halving) or a
PBT member can continue from its parent's instead of starting again.
Checkpoint folders are paths: on a cluster they must be on a file system
every worker sees.

:func:`from_spec` makes an executor from one string (``"processes:4"``,
``"dask"``, ``"tls://host:8786"``, ``"slurm"`` with a cluster's YAML file), as
``python -m hpolib run --executor`` and the chapters take it.
"""

from __future__ import annotations

import abc
import contextlib
import ctypes
import multiprocessing
import multiprocessing.connection
import os
import re
import signal
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import cloudpickle

from ._checks import check_whole
from .trial import TrialState, TrialStopped

__all__ = ["Job", "Outcome", "Reporter", "Executor", "SerialExecutor", "ProcessExecutor", "DaskExecutor",
           "from_spec", "check_spec", "SPECS"]


class OnReport(Protocol):
    """``on_report(number, step, value)``; an executor that may run a trial again passes ``attempt`` too."""

    def __call__(self, number: int, step: float, value: float, attempt: str | None = None) -> bool: ...


@dataclass
class Job:
    """One trial to run: its number, configuration, budget and checkpoint folders (``None``: no checkpoints)."""

    number: int
    config: dict
    budget: float | None = None
    checkpoint_dir: str | None = None
    restore_dir: str | None = None


class Reporter:
    """The ``report`` argument of an objective: it sends the study the metric of each step (epoch).

    ``report(step, value)`` sends one step's value and raises
    :class:`TrialStopped` when the study stops the trial there (a scheduler's
    early stop), which ends the objective unless it catches it. To decide
    for itself, as with Optuna's ``trial.report`` and ``trial.should_prune()``,
    an objective sends and asks::

        report.send(epoch, val_error)
        if report.should_stop():
            return val_error  # (after saving what it needs): the trial is recorded as stopped

    A stopped trial takes no more reports: sending another raises
    :class:`TrialStopped`.

    Attributes
    ----------
    trial : int
        The trial's number.
    checkpoint_dir : pathlib.Path or None
        An existing, empty folder for this trial's checkpoint. An objective
        that can resume saves its state here when it ends (PBT and promoted
        trials continue from it); ``None`` when the study keeps none.
    restore_dir : pathlib.Path or None
        The checkpoint folder of the trial this one continues from, or
        ``None`` to start from scratch. An objective that restores from it
        reports steps after the checkpoint's (training to ``budget`` in all),
        so the study counts only the new steps as spent.
    user_attrs : dict
        What the objective notes about the trial (JSON values: a model's
        size, a seed, a path), stored with its end as the trial's
        ``user_attrs`` (Optuna's ``trial.set_user_attr``).
    device : str or None
        The GPU this trial has to itself (``"cuda:1"``; it is also the
        current CUDA device of the trial's thread) when the executor hands
        out GPUs (``DaskExecutor(gpu=True)``), else ``None``.
    """

    def __init__(self, send: Callable[[float, float], bool], job: Job, device: str | None = None):
        self._send, self.trial, self.device = send, job.number, device
        self.checkpoint_dir = Path(job.checkpoint_dir) if job.checkpoint_dir else None
        self.restore_dir = Path(job.restore_dir) if job.restore_dir else None
        self._stopped_at: float | None = None
        self.user_attrs: dict = {}

    def __call__(self, step, value) -> None:
        self.send(step, value)
        if self.should_stop():
            raise TrialStopped(f"trial {self.trial} stopped at step {step}")

    def send(self, step, value) -> None:
        """Send the metric ``value`` at ``step``; :meth:`should_stop` then says whether the trial stops here."""
        if self._stopped_at is not None:
            raise TrialStopped(f"trial {self.trial} was stopped at step {self._stopped_at}: it takes no more reports")
        if not self._send(step, value):
            self._stopped_at = step

    def should_stop(self) -> bool:
        """Whether the study has stopped this trial (at its last report): the objective should end now."""
        return self._stopped_at is not None

    def __repr__(self):
        return f"Reporter(trial={self.trial}, checkpoint_dir={self.checkpoint_dir}, restore_dir={self.restore_dir})"


@dataclass
class Outcome:
    """How one trial ended on its worker: ``complete`` (with ``result``), ``failed`` (with ``error``) or ``stopped``;
    what its objective noted in ``report.user_attrs``; ``device``, the GPU it had, if any; and ``cpu_seconds``, the
    CPU time its process spent on it, where the process ran nothing else meanwhile."""

    number: int
    status: TrialState
    result: object = None
    error: str | None = None
    worker: str | None = None
    user_attrs: dict = field(default_factory=dict)
    device: str | None = None
    cpu_seconds: float | None = None


def run_objective(objective, job: Job, send: Callable[[float, float], bool], worker: str,
                  device: str | None = None, alone: bool = True) -> Outcome:
    """Call ``objective(config, budget, report)`` and turn what it returns or raises into an outcome.

    ``send(step, value)`` delivers a report to the study and answers whether the trial goes on. ``alone``: the
    process runs no other trial meanwhile, so the CPU time it spends (every thread of it, not the processes it
    starts) is this trial's.
    """
    number, report, cpu = job.number, Reporter(send, job, device), time.process_time()

    def ended(status: TrialState, **what) -> Outcome:
        spent = time.process_time() - cpu if alone else None
        return Outcome(number, status, worker=worker, user_attrs=report.user_attrs, device=device,
                       cpu_seconds=spent, **what)

    try:
        result = objective(dict(job.config), job.budget, report)
    except TrialStopped:
        return ended(TrialState.STOPPED)
    except Exception as exc:  # the objective's own failure: recorded, never fatal to the study
        return ended(TrialState.FAILED, error="".join(traceback.format_exception(exc)).strip())
    if report.should_stop():  # it returned when asked to stop: stopped at its last report, whatever it returned
        return ended(TrialState.STOPPED)
    return ended(TrialState.COMPLETE, result=result)


class Executor(abc.ABC):
    """Where a study's trials run: ``n_workers`` at once. Subclasses say how many may start now
    (:meth:`idle`), take a trial (:meth:`submit`) and hand back the ended ones (:meth:`wait`)."""

    n_workers: int = 1

    def start(self, objective, on_report: OnReport) -> None:
        """Prepare workers for ``objective``; ``on_report(number, step, value)`` answers True to go on.

        An executor that may run a trial again after its worker died (Dask) calls
        ``on_report(number, step, value, attempt=...)``, a different ``attempt`` for each try: the study keeps
        the reports of the last attempt only.
        """
        self._objective, self._on_report = objective, on_report

    @abc.abstractmethod
    def idle(self) -> int:
        """How many more trials can be submitted right now."""

    @abc.abstractmethod
    def submit(self, job: Job) -> None:
        """Start ``job`` (there is an idle worker)."""

    @abc.abstractmethod
    def wait(self, timeout: float | None = None) -> list[Outcome]:
        """Serve reports until at least one trial ends (or ``timeout`` seconds pass); return the ended ones."""

    def close(self) -> None:
        """Release the workers."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SerialExecutor(Executor):
    """One trial at a time, in this process: the simplest and fully deterministic."""

    def start(self, objective, on_report):
        super().start(objective, on_report)
        self._job = None

    def idle(self):
        return 0 if self._job else 1

    def submit(self, job):
        self._job = job

    def wait(self, timeout=None):
        job, self._job = self._job, None
        if job is None:
            return []
        return [run_objective(self._objective, job, lambda step, value: self._on_report(job.number, step, value),
                              "serial")]

    def __repr__(self):
        return "SerialExecutor()"


def _die_with_parent() -> None:
    """End this worker process when its parent (the driver) ends, even if that was killed with SIGKILL.

    On Linux the kernel sends the signal (``PR_SET_PDEATHSIG``; it is sent when the *thread* that started the
    worker ends, the one running ``Study.optimize``); elsewhere a thread watches for the parent's death, after
    which this process has another parent.
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            if ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL) == 0:  # 1: PR_SET_PDEATHSIG
                if os.getppid() != parent:  # it ended before prctl
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch():
        while os.getppid() == parent:
            time.sleep(0.25)
        os._exit(1)

    threading.Thread(target=watch, name="hpolib parent watch", daemon=True).start()


def _process_worker(conn, payload: bytes, threads: int) -> None:
    """Main loop of a worker process: run trials received on ``conn`` until told to stop."""
    _die_with_parent()
    from threadpoolctl import threadpool_limits

    os.environ["OMP_NUM_THREADS"] = str(threads)  # read by libraries imported from here on (PyTorch among them)
    objective = cloudpickle.loads(payload)
    threadpool_limits(threads)  # BLAS and OpenMP pools: workers must not oversubscribe the cores
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)
    name = f"process-{os.getpid()}"
    try:
        while (job := conn.recv()) is not None:

            def send(step, value, number=job.number):
                conn.send(("report", number, step, value))
                return conn.recv()

            outcome = run_objective(objective, job, send, name)
            try:
                conn.send(("done", job.number, outcome))
            except Exception as exc:  # a result that cannot be pickled
                conn.send(("done", job.number, Outcome(job.number, TrialState.FAILED, worker=name,
                                                       error=f"result could not be sent: {exc!r}",
                                                       cpu_seconds=outcome.cpu_seconds)))
    except (EOFError, KeyboardInterrupt):
        pass


@dataclass
class _Worker:
    process: multiprocessing.process.BaseProcess
    conn: multiprocessing.connection.Connection
    trial: int | None = None


class ProcessExecutor(Executor):
    """Trials in ``n_workers`` long-lived local processes.

    Each worker has its own pipe and the driver watches every pipe and every
    process at once, so a worker that dies (killed, out of memory, a crash in
    native code) fails only the trial it ran and is replaced; the others run
    on. (``concurrent.futures.ProcessPoolExecutor`` cannot do this: one dead
    worker breaks the whole pool and every trial running in it.)

    The objective is sent with cloudpickle, so functions defined in a
    notebook or a script work. With the default ``"spawn"`` start method a
    script that uses this executor needs the usual
    ``if __name__ == "__main__":`` guard.

    Parameters
    ----------
    n_workers : int or None
        Worker processes (default: the number of CPUs).
    start_method : {"spawn", "forkserver", "fork"}
    threads_per_worker : int or None
        Threads each worker's BLAS, OpenMP and PyTorch may use (default: the
        CPUs shared out among the workers, at least 1). Oversubscribed
        thread pools spin against each other and slow everything down.
    """

    def __init__(self, n_workers: int | None = None, start_method: str = "spawn",
                 threads_per_worker: int | None = None):
        n_workers = (os.cpu_count() or 1) if n_workers is None else n_workers
        check_whole("n_workers", n_workers, 1)
        if start_method not in multiprocessing.get_all_start_methods():
            raise ValueError(f"start_method must be one of {multiprocessing.get_all_start_methods()}, "
                             f"got {start_method!r}")
        if threads_per_worker is None:
            threads_per_worker = max(1, (os.cpu_count() or 1) // n_workers)
        check_whole("threads_per_worker", threads_per_worker, 1)
        self.n_workers, self.start_method, self.threads_per_worker = n_workers, start_method, threads_per_worker
        self._workers: list[_Worker] = []

    def __repr__(self):
        return f"ProcessExecutor(n_workers={self.n_workers}, start_method={self.start_method!r})"

    def start(self, objective, on_report):
        super().start(objective, on_report)
        self._context = multiprocessing.get_context(self.start_method)
        self._payload = cloudpickle.dumps(objective)
        self._workers = [self._spawn() for _ in range(self.n_workers)]

    def _spawn(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(  # type: ignore[attr-defined]  # stubs type get_context(str) as BaseContext
            target=_process_worker, args=(child, self._payload, self.threads_per_worker), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def idle(self):
        return sum(w.trial is None for w in self._workers)

    def submit(self, job):
        worker = next(w for w in self._workers if w.trial is None)
        if not worker.process.is_alive():  # died while idle
            worker.process.join()
            self._replace(worker)
        worker.conn.send(job)
        worker.trial = job.number

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        outcomes: list[Outcome] = []
        while not outcomes:
            busy = [w for w in self._workers if w.trial is not None]
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not busy or remaining == 0.0:
                break
            ready = multiprocessing.connection.wait(
                [w.conn for w in busy] + [w.process.sentinel for w in busy], remaining
            )
            for worker in busy:
                if worker.conn in ready or worker.process.sentinel in ready:
                    outcome = self._serve(worker)
                    if outcome is not None:
                        outcomes.append(outcome)
        return outcomes

    def _serve(self, worker: _Worker) -> Outcome | None:
        """Answer the worker's pending messages; its outcome once it is done or dead."""
        try:
            while worker.conn.poll():
                kind, number, *rest = worker.conn.recv()
                if kind == "report":
                    worker.conn.send(bool(self._on_report(number, *rest)))
                else:
                    worker.trial = None
                    return rest[0]
            if worker.process.is_alive():
                return None
        except (EOFError, OSError):
            pass
        number, dead = worker.trial, worker.process
        assert number is not None  # only a busy worker is served
        dead.join()
        self._replace(worker)
        return Outcome(number, TrialState.FAILED, worker=f"process-{dead.pid}",
                       error=f"worker process {dead.pid} died (exit code {dead.exitcode}) while running trial {number}")

    def _replace(self, worker: _Worker) -> None:
        worker.conn.close()
        fresh = self._spawn()
        worker.process, worker.conn, worker.trial = fresh.process, fresh.conn, None

    def close(self):
        for worker in self._workers:
            try:
                worker.conn.send(None)
            except (OSError, ValueError):
                pass
        for worker in self._workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
        self._workers = []


def _dask_task(objective, job, channel, gpu):
    """Run one trial on a Dask worker, sending reports to the driver through named queues.

    Each run is an attempt of its own: Dask may run the task again when its worker died, and the study then
    keeps the reports of the last attempt only. A driver that died or let go of the trial answers no more: the
    trial then stops at its next report, and frees its worker for the next driver.
    """
    from distributed import Queue, get_worker

    worker = get_worker()
    key, attempt, reports, replies = worker.get_current_task(), uuid.uuid4().hex, Queue(channel), None

    def send(step, value):
        nonlocal replies
        reports.put((job.number, attempt, step, value))
        replies = replies or Queue(f"{channel}-{job.number}-{attempt}")
        while True:
            try:
                return replies.get(timeout=1)
            except TimeoutError:
                task = worker.state.tasks.get(key)
                if task is None or task.state == "cancelled":
                    return False

    with _own_gpu(worker) if gpu else contextlib.nullcontext() as device:  # a worker of several threads may run
        return run_objective(objective, job, send, worker.address, device, alone=worker.state.nthreads == 1)


_free_gpus: dict[str, list[int]] = {}  # a worker's address -> the indices of its GPUs no trial is using
_gpus_lock = threading.Lock()


@contextlib.contextmanager
def _own_gpu(worker):
    """One of ``worker``'s GPUs, the running trial's alone, as ``"cuda:<index>"`` and its thread's CUDA device.

    Dask runs no more trials needing ``{"GPU": 1}`` at once on a worker than its resource ``GPU`` says, so one is free.
    """
    with _gpus_lock:
        free = _free_gpus.setdefault(worker.address, list(range(int(worker.state.total_resources["GPU"]))))
        index = free.pop(0)
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.set_device(index)  # per thread: "cuda" means this GPU to the trial
        yield f"cuda:{index}"
    finally:
        with _gpus_lock:
            free.append(index)
            free.sort()


class DaskExecutor(Executor):
    """Trials as tasks on a Dask cluster (``dask.distributed``).

    Reports travel to the driver through a ``distributed.Queue`` and its
    answer back through one queue per attempt of a trial, so schedulers that
    stop trials early work on a cluster as they do locally. A trial whose
    worker dies ends as failed (for a cluster this executor starts, Dask's
    ``allowed-failures`` is 0; on your own cluster Dask may first retry the
    task elsewhere, as its configuration says: the retry starts the trial
    over, and the study keeps its reports only). The driver is not precious:
    kill it and run it again, and the study resumes from its storage on the
    same cluster, as a serial one does; what the dead driver's trials still
    run stops at their next report.

    Parameters
    ----------
    client : distributed.Client, str, a Dask cluster or None
        Where trials run, for every ``optimize``:

        - a ``Client``: used as it is (and left open);
        - a scheduler address (``"tls://host:8786"``): connected to at each
          ``optimize`` and disconnected after it. ``tcp://`` only to a
          scheduler on this machine, unless ``insecure``
          (:func:`hpolib.cluster.check_address`);
        - a cluster object (a ``LocalCluster``, dask-jobqueue's
          ``SLURMCluster``): likewise; the cluster stays up for the next
          study, and is closed by its owner (Dask closes it at exit);
        - ``None``: a local cluster of ``n_workers`` single-threaded worker
          processes that listens on the loopback only, started for each
          ``optimize`` and closed after it.
    n_workers : int or None
        Workers of the local cluster (default: the number of CPUs); for an
        existing cluster, how many trials to run at once (default: its
        total threads, which must then be more than 0).
    gpu : bool
        One GPU per trial: each trial needs the worker resource ``{"GPU": 1}``
        (workers started with ``--resources GPU=<their GPUs>``), has one of
        its worker's GPUs to itself as its thread's CUDA device
        (:attr:`Reporter.device`), and records it as ``trial.info["device"]``.
    insecure : bool
        Allow a ``tcp://`` address of a scheduler on another machine.
    """

    def __init__(self, client=None, n_workers: int | None = None, *, gpu: bool = False, insecure: bool = False):
        from .cluster import check_address

        if n_workers is not None:
            check_whole("n_workers", n_workers, 1)
        if isinstance(client, str):
            check_address(client, insecure)
        self.target, self.gpu, self._requested = client, bool(gpu), n_workers
        self.client: Any = None  # this optimize's distributed.Client
        self._own: list = []
        self._futures: dict = {}
        self.n_workers = n_workers or 0

    def __repr__(self):
        return f"DaskExecutor(client={self.target!r}, n_workers={self.n_workers}, gpu={self.gpu})"

    def start(self, objective, on_report):
        from distributed import Queue

        super().start(objective, on_report)
        self.client, self._own = self._connect()
        self.n_workers = self._requested or sum(self.client.nthreads().values())
        if not self.n_workers:
            raise RuntimeError(f"the Dask cluster at {self.client.scheduler.address} has no workers yet: "
                               "start some, or give n_workers to queue trials until they come")
        self._channel = f"hpolib-{uuid.uuid4().hex}"
        self._reports = Queue(self._channel, client=self.client)
        self._replies: dict[tuple, Queue] = {}

    def _connect(self) -> tuple:
        """This ``optimize``'s client, and what ``close`` closes: whatever was started or connected here."""
        from distributed import Client

        from .cluster import local_cluster

        if isinstance(self.target, Client):
            return self.target, []
        if self.target is None:
            cluster = local_cluster(self._requested or os.cpu_count() or 1)
            client = Client(cluster)
            return client, [client, cluster]
        client = Client(self.target)  # an address, or a cluster (with its security)
        return client, [client]

    def idle(self):
        return self.n_workers - len(self._futures)

    def submit(self, job):
        future = self.client.submit(_dask_task, self._objective, job, self._channel, self.gpu,
                                    key=f"{self._channel}-trial-{job.number}", pure=False,
                                    resources={"GPU": 1} if self.gpu else None)
        self._futures[future] = job.number

    def _serve_reports(self) -> None:
        from distributed import Queue

        for number, attempt, step, value in self._reports.get(batch=True):
            if (number, attempt) not in self._replies:
                self._replies[number, attempt] = Queue(f"{self._channel}-{number}-{attempt}", client=self.client)
            self._replies[number, attempt].put(bool(self._on_report(number, step, value, attempt=attempt)))

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._futures:
            self._serve_reports()
            done = [f for f in self._futures if f.done()]
            if done:
                self._serve_reports()
                return [self._outcome(f) for f in done]
            if deadline is not None and time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        return []

    def _outcome(self, future) -> Outcome:
        number = self._futures.pop(future)
        if future.status == "finished":
            return future.result()
        reason = future.exception() if future.status == "error" else f"the task was {future.status}"
        return Outcome(number, TrialState.FAILED, error=f"the task failed on the cluster: {reason!r}")

    def close(self):
        """Cancel what still runs, and close what ``start`` opened; the cluster to use next time stays as given."""
        for future in self._futures:
            future.cancel()
        self._futures = {}
        for thing in self._own:
            thing.close()
        self.client, self._own = None, []


SPECS = ("serial", "processes:N", "dask", "dask:N", "dask://HOST:PORT", "tcp://HOST:PORT", "tls://HOST:PORT",
         "slurm")


def _parsed(spec: str, config) -> tuple[str, Any]:
    """``(kind, setting)`` of executor ``spec``; a ValueError listing :data:`SPECS` for anything else, or naming
    what is wrong with ``config`` (read only for ``slurm``)."""
    from .cluster import SlurmConfig, check_sbatch

    if config is not None and spec != "slurm":
        raise ValueError(f"executor_config is a SLURM cluster's file, for executor 'slurm' only; got it with "
                         f"executor {spec!r}")
    if spec in ("serial", "dask"):
        return spec, None
    if spec == "slurm":
        if config is None:
            raise ValueError("executor 'slurm' needs executor_config, the cluster's YAML file (queue, cores, memory, "
                             "walltime, jobs; optionally account, gpus)")
        settings = SlurmConfig.read(config)
        check_sbatch()
        return spec, settings
    count = re.fullmatch(r"(processes|dask):([1-9]\d*)", spec) if isinstance(spec, str) else None
    if count:
        return count[1], int(count[2])
    address = re.fullmatch(r"(dask|tcp|tls)://([^/]+):(\d+)", spec) if isinstance(spec, str) else None
    if address:
        return "address", f"{'tcp' if address[1] == 'dask' else address[1]}://{address[2]}:{address[3]}"
    raise ValueError(f"executor must be one of {', '.join(SPECS)} (N a whole number >= 1; slurm with "
                     f"executor_config, the cluster's YAML file), got {spec!r}")


def check_spec(spec: str, config: str | os.PathLike | None = None, *, insecure: bool = False) -> None:
    """A ValueError for what :func:`from_spec` would refuse, starting nothing."""
    from .cluster import check_address

    kind, setting = _parsed(spec, config)
    if kind == "address":
        check_address(setting, insecure)


def from_spec(spec: str = "serial", config: str | os.PathLike | None = None, *, insecure: bool = False) -> Executor:
    """The executor that ``spec`` names; everything is checked before anything starts.

    - ``serial``: :class:`SerialExecutor`;
    - ``processes:N``: :class:`ProcessExecutor` of ``N`` workers;
    - ``dask`` or ``dask:N``: :class:`DaskExecutor` on a local cluster (one worker per CPU, or ``N``), listening on
      the loopback, started for each study;
    - ``dask://HOST:PORT`` (as ``tcp://``), ``tcp://HOST:PORT`` or ``tls://HOST:PORT``: a running scheduler;
      ``tcp://`` to another machine only with ``insecure=True``;
    - ``slurm``: a dask-jobqueue ``SLURMCluster`` described by the YAML file ``config``
      (:class:`hpolib.cluster.SlurmConfig`), talking TLS with credentials made for the run. Its jobs are submitted
      now and serve every study of this process; Dask cancels them when it exits.

    >>> from_spec("processes:2")
    ProcessExecutor(n_workers=2, start_method='spawn')
    """
    from .cluster import slurm_cluster

    kind, setting = _parsed(spec, config)
    if kind == "serial":
        return SerialExecutor()
    if kind == "processes":
        return ProcessExecutor(setting)
    if kind == "dask":
        return DaskExecutor(n_workers=setting)
    if kind == "address":
        return DaskExecutor(setting, insecure=insecure)
    cluster = slurm_cluster(setting)
    cluster.scale(jobs=setting.jobs)
    return DaskExecutor(cluster, n_workers=setting.trials_at_once, gpu=setting.gpus > 0)
