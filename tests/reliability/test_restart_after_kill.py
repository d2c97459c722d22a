"""`kill -9` of `zyn run` and an immediate restart: chat is served within seconds, not after the
dead owner's 30 s lease (issue 22.5; real processes on one SQLite database, paper replay)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from tests.bot.owner.test_one_owner import base_env, free_port, post_chat, start_run, stop, wait_role, zyn

LEASE_S = 30


def served(port: int, deadline_s: float) -> float:
    """Seconds until the web chat answers `status` as the owner (a positive signal)."""
    start = time.time()
    wait_role(port, "owner", deadline_s=deadline_s)
    while time.time() - start < deadline_s:
        reply = post_chat(port, "status")["reply"]
        if "mode" in reply:
            return time.time() - start
        time.sleep(0.1)
    raise AssertionError("chat not served")


def test_kill_9_then_restart_serves_chat_long_before_the_dead_owners_lease_runs_out(
    tmp_path: Path, data_dir: Path
) -> None:
    port = free_port()
    env = base_env(DATABASE_URL=f"sqlite:///{tmp_path}/zyn.db", PAPER_FEED="replay",
                   PAPER_DATA=str(data_dir / "kraken"), PAPER_SPEED="60", ZYN_TIMEFRAME="1d",
                   ZYN_OWNER_LEASE_S=str(LEASE_S))
    first = start_run(tmp_path, port, env)
    second = None
    try:
        cold = served(port, 90)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)  # reaped, as a supervisor does
        second = start_run(tmp_path, port, env)
        again = served(port, LEASE_S + 60)
        print(f"\nchat served {cold:.1f} s after a cold start, {again:.1f} s after kill -9 + restart "
              f"(lease {LEASE_S} s)")
        assert again < LEASE_S - 5, f"{again:.1f} s: the restart waited for the dead owner's lease"
        client = zyn(tmp_path, env, "chat", "status")
        assert client.returncode == 0 and "mode" in client.stdout, client.stdout + client.stderr
    finally:
        stop(second, first)
    err = second.stderr.read() if second is not None and second.stderr else ""
    assert "taking the lease over now" in err and "Traceback" not in err, err[-3000:]
