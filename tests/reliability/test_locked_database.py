"""`/healthz` answers while every request thread of `zyn run` waits on a locked database.

A real `zyn run` (waitress, 8 request threads, SQLite in WAL mode); the test holds an exclusive
lock on the database file and fires 16 chat requests, which all wait on it (SQLite's busy
timeout is 30 s). The health route has its own lane (`adapters/web/fast_health.py`) and reads
storage state from memory, so it still answers at once — and says 503 once a statement has
waited too long. Released, the 16 requests complete and health is back to 200.
(Its lane: adapters/web/fast_health.py; the stall: core/telemetry/storage_health.py.)
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from tests.bot.cli.test_run_process import free_port, get, wait_healthy
from tests.reliability.table import publish

REQUESTS = 16
ANSWER_WITHIN_S = 1.0


def _chat(port: int, results: list[int]) -> None:
    # `memory` reads the stored conversation (the chat journal is flushed first): it needs the database,
    # whereas `status` is served from memory since issue 20.1
    body = json.dumps({"message": "memory", "user": "owner"}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/chat", data=body,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:  # noqa: S310 - loopback test server
            results.append(resp.status)
    except urllib.error.HTTPError as exc:
        results.append(exc.code)


def _healthz(port: int) -> tuple[int, float, str]:
    began = time.monotonic()
    code, body = get(f"http://127.0.0.1:{port}/healthz")
    waited = (body.get("storage") or {}).get("waiting_ms", 0) / 1000
    return code, time.monotonic() - began, f"{waited:.1f}"


def test_healthz_answers_within_a_second_with_503_while_every_thread_waits_on_a_locked_database(
    tmp_path: Path, data_dir: Path
) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay",
           "PAPER_DATA": str(data_dir / "kraken"), "PAPER_SPEED": "60", "ZYN_PAIRS": "BTC/USD",
           "ZYN_LOG_LEVEL": "WARNING"}
    with (tmp_path / "run.err").open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)],  # noqa: S603
                                cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=err)
    locker: sqlite3.Connection | None = None
    senders: list[threading.Thread] = []
    done: list[int] = []
    try:
        wait_healthy(port)
        locker = sqlite3.connect(tmp_path / "zyn.db", timeout=0)
        locker.execute("BEGIN EXCLUSIVE")
        senders = [threading.Thread(target=_chat, args=(port, done), daemon=True) for _ in range(REQUESTS)]
        for t in senders:
            t.start()
        answers: list[tuple[int, float, str]] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until a statement has waited long enough to count
            answers.append(_healthz(port))
            if answers[-1][0] == 503:
                break
            time.sleep(0.2)
        assert answers[-1][0] == 503, f"health never turned 503 while locked: {answers[-5:]}"
        assert done == [], "the chat requests were supposed to be waiting on the lock"
        slowest = max(s for _, s, _ in answers)
        assert slowest < ANSWER_WITHIN_S, f"a health check took {slowest:.2f} s"
        locker.rollback()
        locker.close()
        locker = None
        for t in senders:
            t.join(60)
        assert sorted(done) == [200] * REQUESTS, done
        assert wait_healthy(port, deadline_s=30)["database"] == "ok"  # the stall is over
        did = (f"/healthz answered {len(answers)} times in at most {slowest * 1000:.0f} ms, 503 after "
               f"{answers[-1][2]} s of waiting; the {REQUESTS} chats answered 200 once the lock went")
        publish("locked", [(f"Exclusive lock on the SQLite file, {REQUESTS} chat requests waiting on it", did,
                            "health from memory; no request lost", "pass")])
    finally:
        if locker is not None:
            locker.rollback()
            locker.close()
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
