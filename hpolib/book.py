"""Build the Jupyter Book of one profile from the notebooks that profile executed.

``python -m hpolib book --profile quick`` stages ``_config.yml``, ``_toc.yml``,
``book/`` and the executed notebooks (``runs/book/<profile>/``; for ``smoke``,
the nbval baselines in ``tests/notebooks/``) into ``_build/<profile>/src`` and
builds it with warnings as errors into ``_build/<profile>/_build/html``. The
book never executes a notebook, and each profile has its own book.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .runner import BASELINES, NOTEBOOKS, OUTPUT

__all__ = ["build"]

ROOT = NOTEBOOKS.parent


def build(profile: str = "quick", executed: str | Path | None = None, output: str | Path = "_build") -> Path:
    """Build the book of ``profile``; return the folder of its HTML.

    Parameters
    ----------
    profile : str
    executed : path or None
        Folder of the executed notebooks (default: where ``python -m hpolib run`` writes that profile's).
    output : path
        Build folder; the book goes to ``<output>/<profile>``.
    """
    executed = Path(executed) if executed else (BASELINES if profile == "smoke" else OUTPUT / profile)
    wanted = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    missing = [name for name in wanted if not (executed / name).exists()]
    if missing:
        raise ValueError(f"no executed {', '.join(missing)} in {executed}: run "
                         f"`python -m hpolib run all --profile {profile}` first")
    target = Path(output) / profile
    stage = target / "src"
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "notebooks").mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, stage / name)
    shutil.copytree(ROOT / "book", stage / "book")
    for name in wanted:
        shutil.copy(executed / name, stage / "notebooks" / name)
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(stage), "--path-output", str(target),
               "-W", "-n", "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the book of profile {profile!r} did not build:\n"
                           f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return target / "_build" / "html"
