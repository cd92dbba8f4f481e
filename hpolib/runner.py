"""Run study notebooks with papermill: ``python -m hpolib run lenet_hpo --profile quick -p seeds=[3]``.

Each run writes the executed notebook, and whatever results it saves, to
``<output>/<profile>/`` (default ``runs/book/<profile>/``): profiles never
overwrite each other's results.
"""

from __future__ import annotations

import ast
import contextlib
import os
from pathlib import Path

from .profiles import PROFILE_NAMES

__all__ = ["NOTEBOOKS", "run", "parse_parameter", "notebook_parameters", "one_thread"]

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
OUTPUT = Path("runs") / "book"
BASELINES = NOTEBOOKS.parent / "tests" / "notebooks"


def notebook_parameters(name: str) -> list[str]:
    """The parameter names of notebook ``name`` (its cell tagged ``parameters``)."""
    import papermill

    return sorted(papermill.inspect_notebook(str(_path(name))))


def _path(name: str) -> Path:
    path = NOTEBOOKS / f"{name}.ipynb"
    if not path.exists():
        known = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
        raise ValueError(f"unknown notebook {name!r}; known: {', '.join(known) or 'none'} (in {NOTEBOOKS})")
    return path


def parse_parameter(text: str) -> tuple[str, object]:
    """``"key=value"`` -> ``(key, value)``; the value as a Python literal when it is one, else a string."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"parameters are key=value, got {text!r}")
    try:
        return key.strip(), ast.literal_eval(value.strip())
    except (ValueError, SyntaxError):
        return key.strip(), value.strip()


def run(name: str, profile: str = "quick", parameters: dict | None = None, output: str | os.PathLike | None = None,
        progress: bool = True, baseline: bool = False) -> Path:
    """Execute notebook ``name`` at ``profile`` with ``parameters``; return the executed notebook's path.

    ``baseline=True`` writes the nbval regression baseline instead: the notebook executed at the
    ``smoke`` profile with one thread into ``tests/notebooks/``, its results in a temporary folder.
    """
    import papermill

    if profile not in PROFILE_NAMES:
        raise ValueError(f"profile must be one of {', '.join(PROFILE_NAMES)}, got {profile!r}")
    parameters = dict(parameters or {})
    valid = notebook_parameters(name)
    unknown = sorted(set(parameters) - set(valid))
    if unknown:
        raise ValueError(f"unknown parameters {unknown} for {name}; valid: {', '.join(valid)}")
    if baseline:
        if profile != "smoke" or parameters:
            raise ValueError("a baseline is the smoke profile with its defaults: give no profile or parameters")
        folder, results = BASELINES, None
    else:
        folder = Path(output or OUTPUT) / profile
        results = str(folder.resolve())
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.ipynb"
    with one_thread() if baseline else contextlib.nullcontext():
        papermill.execute_notebook(str(_path(name)), str(target), parameters={**parameters, "profile": profile,
                                                                              "output_dir": results},
                                   progress_bar=progress, cwd=str(folder), kernel_name="python3")
    return target


@contextlib.contextmanager
def one_thread():
    """Processes started inside run with one thread, as baselines are made and checked.

    A convolution's sums are split across threads and round differently with
    another thread count; with one, a baseline gives the same numbers on every machine.
    """
    saved = {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    os.environ.update(dict.fromkeys(saved, "1"))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name)
            else:
                os.environ[name] = value

