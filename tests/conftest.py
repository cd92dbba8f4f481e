"""Shared test set-up: the notebooks' nbval cells are slow tests, so ``pytest -m "not slow"`` skips them."""

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
