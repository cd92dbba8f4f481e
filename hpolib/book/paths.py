"""Where the project's checkout, notebooks, baselines and run outputs are: one home, imported by the rest."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ROOT", "NOTEBOOKS", "BASELINES", "OUTPUT"]


def _checkout() -> Path:
    """The project's checkout: the folder above the package (an editable install), else the working directory
    (a regular install run from the checkout's root)."""
    for folder in (Path(__file__).resolve().parents[2], Path.cwd()):
        if (folder / "notebooks").is_dir() and (folder / "_toc.yml").is_file():
            return folder
    return Path.cwd()


ROOT = _checkout()
NOTEBOOKS = ROOT / "notebooks"
BASELINES = ROOT / "tests" / "notebooks"
OUTPUT = Path("runs") / "book"
