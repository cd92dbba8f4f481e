"""nbval starts each notebook's kernel with one thread, as its baseline was executed."""

import pytest

from hpolib.runner import one_thread


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    with one_thread():  # the kernel, started while the notebook's first cell is set up, inherits it
        yield
