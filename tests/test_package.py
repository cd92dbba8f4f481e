"""What a user meets first: ``import hpolib`` is quick, and the README's example runs."""

import os
import subprocess
import sys
from pathlib import Path

import hpolib

HEAVY = ("scipy", "sklearn", "pandas", "tqdm", "torch")


def imported_after(code: str) -> list[str]:
    """The heavy libraries a fresh interpreter holds after running ``code`` (with this checkout's hpolib)."""
    env = {**os.environ, "PYTHONPATH": str(Path(hpolib.__file__).parents[1])}
    probe = f"{code}; import sys; print(*(m for m in {HEAVY!r} if m in sys.modules))"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                          env=env).stdout.split()


def test_import_hpolib_leaves_scipy_sklearn_pandas_tqdm_and_torch_until_they_are_used():
    assert imported_after("import hpolib") == []
    assert imported_after("import hpolib; hpolib.TPE") == ["scipy"]
    assert {"scipy", "sklearn"} <= set(imported_after("from hpolib import GPOptimizer"))
