"""The process entry (`zyn` and `python -m bot`) hands the interpreter's exit a frozen heap, so a
stopped `zyn run` exits without a final walk over every live object (bot/cli/entry.py), while
`bot.cli.main.main` — called in-process by tests and benches — never freezes its caller's heap."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO

PROBE = """
import atexit, gc, sys
atexit.register(lambda: print(f"frozen at exit: {gc.get_freeze_count()}", flush=True))
sys.argv = ["zyn", "data", "status", "--json"]
from bot.cli.entry import main
code = main()
print(f"code {code}", flush=True)
"""


def test_a_command_run_as_a_process_exits_with_its_survivors_frozen(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZYN_", "PAPER_", "KRAKEN_", "DATABASE_URL"))}
    env.update(PYTHONPATH=str(REPO), DATABASE_URL=f"sqlite:///{tmp_path}/zyn.db")
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.splitlines()
    assert "code 0" in lines, out.stdout
    frozen = int(lines[-1].removeprefix("frozen at exit: "))
    assert frozen > 1000, out.stdout  # the command's whole heap, not a handful of objects


def test_the_console_script_and_python_dash_m_bot_both_go_through_the_entry() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["zyn"] == "bot.cli.entry:main"
    assert "from bot.cli.entry import main" in (REPO / "bot" / "__main__.py").read_text()


def test_main_called_in_process_leaves_the_callers_heap_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli.main import main

    for key in list(os.environ):
        if key.startswith(("ZYN_", "PAPER_", "KRAKEN_", "DATABASE_URL")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/zyn.db")
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    before = gc.get_freeze_count()
    assert main(["data", "status", "--json"]) == 0, capsys.readouterr().err
    assert gc.get_freeze_count() == before
