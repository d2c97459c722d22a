"""Issues 22.6 and 22.7 with real processes: `zyn chat` / `zyn status` as clients of a running
`zyn run` import only the client (no composition root, no SQLAlchemy) and print the owner's
answer; `zyn chat ""` is one line and exit 2; `zyn chat "chart equity"` writes a PNG under
`var/charts/` and prints its path. The time against a bare Python start is bench/chat_client.py's
figure (no timed assertion here): the import list is the deterministic part of that promise."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.fast_client import DEFAULT_DATABASE_URL, owner_url, sqlite_path
from core.config import Settings
from tests.bot.cli.test_run_process import free_port, wait_healthy
from tests.conftest import shared_data

HEAVY = ("bot.wiring.app", "sqlalchemy", "sqlmodel", "alembic", "ccxt", "flask")


@pytest.fixture(scope="module")
def owner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    data_dir = shared_data()
    if not data_dir.is_dir():
        pytest.fail(f"real candles not found at {data_dir} (set ZYN_SHARED_DATA)")
    tmp = tmp_path_factory.mktemp("owner")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/zyn.db", "PAPER_FEED": "replay",
           "PAPER_DATA": str(data_dir / "kraken"), "PAPER_SPEED": "36000", "ZYN_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], cwd=tmp, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_healthy(port, scheduled=True)
        yield tmp, {**env, "ZYN_LOG_LEVEL": "ERROR"}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def zyn(tmp: Path, env: dict[str, str], *args: str, importtime: bool = False) -> subprocess.CompletedProcess[str]:
    flags = ["-X", "importtime"] if importtime else []
    return subprocess.run([sys.executable, *flags, "-m", "bot", *args], cwd=tmp, env=env, capture_output=True,
                          text=True, timeout=120)


def imported(stderr: str) -> set[str]:
    return {m.group(1).strip() for m in re.finditer(r"^import time:.*\|\s*(\S+)\s*$", stderr, re.M)}


def test_chat_and_status_to_a_running_owner_import_only_the_client(owner: tuple[Path, dict[str, str]]) -> None:
    tmp, env = owner
    assert owner_url(env["DATABASE_URL"]) is not None  # the owner published its endpoint
    chat = zyn(tmp, env, "chat", "status", importtime=True)
    assert chat.returncode == 0 and "mode: equity" in chat.stdout.lower().replace("paper mode", "mode")
    modules = imported(chat.stderr)
    assert "bot.cli.fast_client" in modules and not {m for m in modules if m.split(".")[0] in HEAVY
                                                      or m in HEAVY}
    status = zyn(tmp, env, "status", "--json", importtime=True)
    assert status.returncode == 0 and json.loads(status.stdout.splitlines()[-1])["mode"] == "paper"
    assert not {m for m in imported(status.stderr) if m.split(".")[0] in HEAVY or m in HEAVY}


def test_the_shell_to_a_running_owner_imports_only_the_client(
    owner: tuple[Path, dict[str, str]],
) -> None:
    tmp, env = owner
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "bot", "shell"], cwd=tmp, env=env,
                          input="status\n", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "equity" in done.stdout.lower()
    modules = imported(done.stderr)
    assert "bot.cli.fast_client" in modules and not {m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY}


def test_an_empty_chat_message_is_one_line_and_exit_2(owner: tuple[Path, dict[str, str]]) -> None:
    tmp, env = owner
    for message in ("", "   "):
        done = zyn(tmp, env, "chat", message)
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.count("\n") == 1 and "message is empty" in done.stderr


def test_chart_equity_writes_a_png_under_var_charts_and_prints_the_path(owner: tuple[Path, dict[str, str]]) -> None:
    tmp, env = owner
    end, found = time.monotonic() + 60, None
    while found is None and time.monotonic() < end:
        done = zyn(tmp, env, "chat", "chart equity")
        assert done.returncode == 0, done.stderr
        found = re.search(r"Chart saved: (\S+\.png)", done.stdout)
        if found is None:  # too early in the replay for two equity points: said so, nothing written
            assert "Not enough equity history" in done.stdout and not (tmp / "var" / "charts").exists()
            time.sleep(1)
    assert found is not None, "the replay wrote no equity history within a minute"
    path = tmp / found.group(1)
    assert path.parent == tmp / "var" / "charts" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_light_client_reads_the_same_database_default_as_the_settings() -> None:
    assert DEFAULT_DATABASE_URL == Settings().database_url
    assert sqlite_path("sqlite:///var/zyn.db") == "var/zyn.db" and sqlite_path("sqlite:////tmp/z.db") == "/tmp/z.db"
    assert sqlite_path("postgresql://u@h/db") is None and sqlite_path("sqlite:///x.db?mode=ro") is None
