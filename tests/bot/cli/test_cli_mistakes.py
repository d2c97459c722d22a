"""Issue 22.7: the terminal's small promises — a missing backtest file is "no such file" (not a
complaint about its name), exit 2; `make run PORT=N` starts Zyn on that port."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def test_a_backtest_of_a_file_that_does_not_exist_says_no_such_file(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "bot", "backtest", "--data", "/nonexistent.csv"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "zyn: --data /nonexistent.csv: no such file or folder\n"


def test_make_run_takes_another_port() -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # --no-print-directory: under `make test` this make is a sub-make and would add "Leaving directory"
    dry = subprocess.run(["make", "--no-print-directory", "-n", "-W", ".venv/.installed", "run", "PORT=5123"],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip().splitlines()[-1] == ".venv/bin/zyn run --port 5123"
    default = subprocess.run(["make", "--no-print-directory", "-n", "-W", ".venv/.installed", "run"], cwd=REPO,
                             capture_output=True, text=True, timeout=60)
    assert default.stdout.strip().splitlines()[-1] == ".venv/bin/zyn run --port 5000"


def test_zyn_learn_prints_one_readable_line_per_figure_and_per_moved_context() -> None:
    from bot.cli.chat import learn_text

    changes = {
        "version_before": 3, "version_after": 4, "overall_r": -0.0312,
        "moved": [{"context": "Asia session", "n": 23, "before_r": 0.1, "after_r": -0.207},
                  {"context": "weekend", "n": 9, "before_r": None, "after_r": 0.05}],
        "trained_on_own": 13,
    }
    lines = learn_text(changes).splitlines()
    assert "Asia session (23 trades): +0.10R -> -0.21R" in lines
    assert "weekend (9 trades): new -> +0.05R" in lines
    assert not [line for line in lines if "after_r" in line or "before_r" in line]


def test_learner_and_report_values_never_use_exponent_notation() -> None:
    from bot.text.status_text import plain_value

    assert plain_value(12345.678) == "12,346" and plain_value(0.0000123) == "0.0000123"
    assert plain_value(1e-8) == "0.00000001" and plain_value(-0.20712) == "-0.2071"
    assert "e" not in plain_value(1234567.0) + plain_value(3.5e-7)
