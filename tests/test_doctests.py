"""Every example in hpolib's docstrings runs and prints what it says."""

import doctest
import importlib
import pkgutil

import pytest

import hpolib

MODULES = sorted(m.name for m in pkgutil.walk_packages(hpolib.__path__, "hpolib.") if m.name != "hpolib.__main__")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
