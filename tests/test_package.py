"""What a user meets first: ``import hpolib`` is quick, and the README's example runs."""

import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

import hpolib
from hpolib import ASHA, BOHB, Hyperband, MedianStopping, RandomSearch, Study, SuccessiveHalving, TrialState

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


README = Path(__file__).parents[1] / "README.md"


def readme_example() -> str:
    """The first Python block of the README's "Using hpolib" section."""
    section = README.read_text().split("## Using hpolib", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


SCHEDULERS = {
    "none": lambda space: (RandomSearch(space, seed=0), None),
    "successive halving": lambda space: (RandomSearch(space, seed=0), SuccessiveHalving(1, 27)),
    "hyperband with bohb": lambda space: (BOHB(space, seed=0), Hyperband(1, 27)),
    "asha": lambda space: (RandomSearch(space, seed=0), ASHA(1, 27)),
    "median stopping": lambda space: (RandomSearch(space, seed=0), MedianStopping(n_startup=3, budget=27)),
}


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_the_readme_objective_runs_under_every_scheduler(scheduler):
    example = {"__name__": "readme"}
    exec(readme_example(), example)
    optimizer, scheduler = SCHEDULERS[scheduler](example["space"])
    budgets = []

    def objective(config, budget, report):
        budgets.append(budget)
        return example["objective"](config, budget, report)

    study = Study(example["space"], optimizer, scheduler=scheduler).optimize(objective, n_trials=30, progress=False)
    assert {t.state for t in study.trials} <= {TrialState.COMPLETE, TrialState.STOPPED}
    if scheduler is None:
        assert budgets == [None] * 30 and {len(t.steps) for t in study.trials} == {27}
    else:
        assert {type(b) for b in budgets} == {int}
        assert len({t.budget for t in study.trials}) > 1 or TrialState.STOPPED in {t.state for t in study.trials}


def test_the_readme_example_runs_as_a_script_and_stores_its_study(tmp_path):
    (tmp_path / "example.py").write_text(readme_example())
    env = {**os.environ, "PYTHONPATH": str(Path(hpolib.__file__).parents[1])}
    done = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300, check=True)
    assert done.stdout.startswith("{'lr': ")
    with closing(sqlite3.connect(tmp_path / "runs" / "mlp.db")) as db:
        assert db.execute("SELECT state, COUNT(*), MIN(budget) FROM trials GROUP BY state").fetchall() == [
            ("complete", 50, 10)]
