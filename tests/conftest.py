"""Shared test set-up: the notebooks' nbval cells are slow tests, so ``pytest -m "not slow"`` skips them; a file
planted to run code if it is unpickled."""

from pathlib import Path

import pytest
import torch


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
