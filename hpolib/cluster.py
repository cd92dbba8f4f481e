"""The Dask clusters hpolib starts, and the schedulers it agrees to connect to.

No open door: a local cluster listens on the loopback only; a SLURM cluster
(dask-jobqueue) talks TLS, with credentials made for the run
(``Security.temporary()``); a scheduler on another machine is reached with
``tls://``, or over plain ``tcp://`` only when the caller says ``insecure``.

A SLURM cluster is described by a small YAML file; everything else about it
(network interface, log folder, a job script prologue that loads modules or
activates an environment, where the credentials go) is dask-jobqueue's own
configuration, ``jobqueue.slurm`` in ``~/.config/dask/jobqueue.yaml``::

    queue: gpu             # the partition
    account: my-project    # optional
    cores: 8               # per job
    memory: 64GB           # per job
    gpus: 2                # per job, optional: one trial per GPU (without GPUs, one trial per core)
    walltime: "04:00:00"   # quoted: YAML reads 12:00:00 as a number of seconds
    jobs: 4                # jobs kept running while the chapter runs
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import warnings
from dataclasses import dataclass, fields
from pathlib import Path

from ._checks import check_whole

__all__ = ["SlurmConfig", "local_cluster", "slurm_cluster", "check_address"]

LOOPBACK = "127.0.0.1"


def local_cluster(n_workers: int):
    """A ``LocalCluster`` of ``n_workers`` single-threaded worker processes that listens on the loopback only,
    without a dashboard; a trial whose worker dies fails there (Dask's ``allowed-failures`` 0)."""
    import dask
    from distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host=LOOPBACK,
                            dashboard_address=None)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine's loopback interface."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_address(address: str, insecure: bool = False) -> str:
    """``address``, or a ValueError saying why a plain-``tcp://`` scheduler on another machine is refused
    unless ``insecure``; with ``insecure`` it is allowed with a warning. ``tls://`` is always allowed."""
    from distributed.comm import get_address_host, parse_address

    try:
        protocol, _ = parse_address(address)
        host = get_address_host(address)
    except ValueError as exc:
        raise ValueError(f"a scheduler address is PROTOCOL://HOST:PORT, got {address!r}") from exc
    if protocol in ("tls", "inproc") or is_loopback(host):
        return address
    why = (f"the scheduler {address} is on another machine and {protocol}:// is neither encrypted nor "
           "authenticated: whoever reaches it can run code on its workers and read the trials")
    if not insecure:
        raise ValueError(f"{why}. Connect with tls:// (the cluster's certificates in Dask's distributed.comm.tls "
                         "configuration), or accept this with insecure=True (--executor-insecure)")
    warnings.warn(f"{why}; connecting anyway, as insecure=True asks", stacklevel=3)
    return address


@dataclass(frozen=True)
class SlurmConfig:
    """What a SLURM cluster's jobs ask for (see the module's docstring for the file)."""

    queue: str
    cores: int
    memory: str
    walltime: str
    jobs: int
    account: str | None = None
    gpus: int = 0

    @classmethod
    def read(cls, path: str | os.PathLike) -> SlurmConfig:
        """The settings in YAML file ``path``, each checked; a ValueError names the first that is wrong."""
        import yaml

        path = Path(path)
        if not path.is_file():
            raise ValueError(f"executor_config must be a SLURM cluster's YAML file; there is no file {path}")
        settings = yaml.safe_load(path.read_text()) or {}
        if not isinstance(settings, dict):
            raise ValueError(f"{path} must be a YAML mapping of {', '.join(f.name for f in fields(cls))}")
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(settings) - set(known))
        missing = [name for name in ("queue", "cores", "memory", "walltime", "jobs") if name not in settings]
        if unknown or missing:
            raise ValueError(f"{path}: unknown settings {unknown}, missing {missing}; the settings are "
                             f"{', '.join(known)} (the rest is dask-jobqueue's configuration, jobqueue.slurm)")
        return cls(**settings).checked(path)

    def checked(self, path) -> SlurmConfig:
        """This configuration, or a ValueError naming the setting (of file ``path``) that is wrong."""
        from dask.utils import parse_bytes

        for name in ("queue", "account"):
            value = getattr(self, name)
            if not (isinstance(value, str) and value.strip()) and (name, value) != ("account", None):
                raise ValueError(f"{path}: {name} must be a name, got {value!r}")
        check_whole(f"{path}: cores", self.cores, 1)
        check_whole(f"{path}: jobs", self.jobs, 1)
        check_whole(f"{path}: gpus", self.gpus, 0)
        try:
            parse_bytes(self.memory)
        except (TypeError, ValueError):
            raise ValueError(f"{path}: memory must be an amount such as '64GB', got {self.memory!r}") from None
        if not (isinstance(self.walltime, str) and re.fullmatch(r"(\d+-)?\d+(:\d\d){0,2}", self.walltime)):
            raise ValueError(f"{path}: walltime must be a string such as '04:00:00' or '1-00:00:00' (quote it: "
                             f"YAML reads 12:00:00 as a number of seconds), got {self.walltime!r}")
        return self

    @property
    def trials_at_once(self) -> int:
        """One trial per GPU, or per core on jobs without GPUs, in every job."""
        return self.jobs * (self.gpus or self.cores)


def check_sbatch() -> None:
    """A ValueError unless SLURM's ``sbatch`` is at hand (on a cluster's login node)."""
    if shutil.which("sbatch") is None:
        raise ValueError("executor 'slurm' submits jobs with SLURM's sbatch, which is not on this machine's PATH: "
                         "run on the cluster's login node")


def slurm_cluster(config: SlurmConfig):
    """A dask-jobqueue ``SLURMCluster`` for ``config``, with no job submitted yet (``cluster.scale(jobs=...)``).

    Scheduler and workers talk TLS with credentials made for this cluster; the workers' copies are written, readable
    by their owner only, to dask-jobqueue's ``shared-temp-directory`` (default: the current folder), which the
    compute nodes must see. A job without GPUs runs one single-threaded worker per core; a job with GPUs one
    worker with a thread per core and the resource ``GPU`` = its GPUs, so that each trial has a GPU to itself.
    The dashboard listens on this machine's loopback (``ssh -L 8787:localhost:8787`` shows it elsewhere).
    """
    import dask
    from dask_jobqueue import SLURMCluster
    from distributed.security import Security

    gpus, own = config.gpus, dask.config.get("jobqueue.slurm")
    return SLURMCluster(
        queue=config.queue, account=config.account, cores=config.cores, memory=config.memory,
        walltime=config.walltime, processes=1 if gpus else config.cores, job_name="hpolib",
        job_extra_directives=own["job-extra-directives"] + ([f"--gres=gpu:{gpus}"] if gpus else []),
        worker_extra_args=own["worker-extra-args"] + (["--resources", f"GPU={gpus}"] if gpus else []),
        security=Security.temporary(), shared_temp_directory=own["shared-temp-directory"] or os.getcwd(),
        scheduler_options={"dashboard_address": f"{LOOPBACK}:8787", **own["scheduler-options"]})
