"""Shared test set-up: the notebooks' nbval cells are slow tests, so ``pytest -m "not slow"`` skips them; the
processes the tests start (notebook kernels, study drivers, workers) make their temporary folders in one folder,
removed at the end; a file planted to run code if it is unpickled."""

import os
import tempfile
from pathlib import Path

import pytest
import torch

_for_processes: tempfile.TemporaryDirectory | None = None


def pytest_sessionstart(session):
    """Point ``TMPDIR`` of the processes the tests start at a folder of their own, removed at the end: a notebook
    given no ``output_dir`` writes its results to ``tempfile.mkdtemp()``, which nbval never removes. This process
    keeps its temporary folder (pytest's ``tmp_path`` lives there, and pytest removes old ones itself)."""
    global _for_processes
    tempfile.gettempdir()  # read once, before TMPDIR changes
    _for_processes = tempfile.TemporaryDirectory(prefix="hpolib-tests-")
    os.environ["TMPDIR"] = _for_processes.name


def pytest_sessionfinish(session):
    if _for_processes is not None:
        os.environ.pop("TMPDIR", None)
        _for_processes.cleanup()


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def plant(tmp_path):
    """``plant(path)`` saves at ``path`` a torch file that, unpickled, would create a file; it returns that file's
    path, which must never exist."""

    class Planted:
        def __init__(self, path):
            self.path = path

        def __reduce__(self):
            return Path.touch, (self.path,)

    def plant(path) -> Path:
        ran = tmp_path / "planted-code-ran"
        torch.save({"epoch": 1, "train_x": Planted(ran)}, path)
        return ran

    return plant
