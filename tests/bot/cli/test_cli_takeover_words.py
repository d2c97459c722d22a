"""During a takeover the CLI names what really holds the account (issue 19.9).

It used to say "another zyn command (zyn shell or zyn chat) is using the account" whenever it
could not reach the money in time — also when the holder was a `zyn run` killed a moment ago
whose lease had not run out. Real processes hold the lease here (one killed, one alive), and the
real `CliSession` gives up after a short wait.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.busy_text import busy_message, holder_pid
from bot.cli.session import CliSession, OwnerBusy
from core.config import Settings

TAKE_LEASE = """
import sys
from core.clock import RealClock
from core.telemetry.db import make_engine
from scheduler.lock import SchedulerLock
assert SchedulerLock(make_engine(sys.argv[1]), RealClock(), lease_s=600).acquire()
print("held", flush=True)
sys.stdin.read()  # hold it until the test closes stdin (or exit at once when told)
"""


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/zyn.db"


@pytest.fixture
def live_holder(db_url: str) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen([sys.executable, "-c", TAKE_LEASE, db_url], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[3])
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield proc
    proc.kill()
    proc.wait(10)


def ask(db_url: str) -> str:
    session = CliSession(Settings(database_url=db_url, owner_lease_s=600), wait_s=0.3)
    try:
        with pytest.raises(OwnerBusy) as err:
            session.status()
    finally:
        session.close()
    return str(err.value)


def test_a_killed_owner_is_taken_over_at_once_not_waited_for(
        db_url: str, live_holder: subprocess.Popen[str]) -> None:
    """Its lease has 600 s left, but its pid is gone on this machine: the CLI takes the account at once
    (issue 22.5 via the lease's holder id `host:pid:start:nonce`), so no "busy" line at all."""
    live_holder.kill()
    live_holder.wait(10)
    session = CliSession(Settings(database_url=db_url, owner_lease_s=600), wait_s=0.3)
    try:
        snap = session.status()
    finally:
        session.close()
    assert "mode" in snap


def test_a_dead_holder_is_named_as_stopped_in_the_words() -> None:
    dead = _a_finished_pid()
    text = busy_message(f"thishost:{dead}:123:abcd", has_endpoint=False, lease_s=600, host="thishost")
    assert f"pid {dead}" in text and "stopped without releasing" in text and "600 s" in text
    assert "zyn shell or zyn chat" not in text


def _a_finished_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    return int(proc.stdout)


def test_a_live_holder_without_an_endpoint_is_not_called_a_zyn_command(
        db_url: str, live_holder: subprocess.Popen[str]) -> None:
    text = ask(db_url)
    assert f"pid {live_holder.pid}" in text and "takes no requests yet" in text and "starting or taking over" in text


def test_the_words_for_a_holder_on_another_machine_and_a_silent_endpoint() -> None:
    assert holder_pid("otherhost:123:abcd", host="thishost") is None
    assert holder_pid(f"thishost:{os.getpid()}:abcd", host="thishost") == os.getpid()
    text = busy_message("otherhost:123:abcd", has_endpoint=True, lease_s=30, host="thishost")
    assert "otherhost:123" in text and "not answering" in text
