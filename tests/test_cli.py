import sqlite3
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_demo_prints_a_table_and_resumes(tmp_path):
    db = tmp_path / "demo.db"
    command = [sys.executable, "-m", "hpolib", "demo", "--trials", "4", "--seeds", "1", "--workers", "1",
               "--storage", str(db), "--no-progress"]
    first = subprocess.run(command, capture_output=True, text=True, check=True, timeout=300)
    lines = first.stdout.splitlines()
    assert lines[0].split() == ["problem", "method", "seeds", "trials", "median_regret", "best_regret", "seconds"]
    assert {line.split()[0] for line in lines[1:7]} == {"branin", "hartmann3", "digits_mlp"}
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM trials WHERE state = 'complete'").fetchone()[0] == 6 * 4
    again = subprocess.run(command, capture_output=True, text=True, check=True, timeout=300)
    same = lambda out: [line.split()[:6] for line in out.splitlines()[:7]]  # noqa: E731 (all but seconds)
    assert same(again.stdout) == same(first.stdout)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM trials").fetchone()[0] == 6 * 4  # resumed, not repeated


def test_demo_rejects_bad_arguments():
    result = subprocess.run([sys.executable, "-m", "hpolib", "demo", "--trials", "0"], capture_output=True,
                            text=True)
    assert result.returncode == 2 and "--trials must be >= 1" in result.stderr
