"""Storage faults: one line at start, entries halted and the owner told at run time, and a
`/healthz` that reports them from memory (503) without waiting on a locked database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from adapters.web.app import create_web_app
from bot.conversation.envelope import Envelope
from bot.wiring.app import Zyn, build_zyn
from core.clock import SimClock
from core.config import load_settings
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore
from core.telemetry.storage_health import StorageHealth
from tests.adapters.web.conftest import replay_env


@pytest.fixture
def zyn(tmp_path: Path, data_dir: Path) -> Iterator[Zyn]:
    z = build_zyn(load_settings(replay_env(tmp_path, data_dir)))
    yield z
    z.close()


def test_unwritable_var_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "var").write_text("a file where the var/ folder should be")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db"}
    proc = subprocess.run([sys.executable, "-m", "bot", "run", "--port", "1"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zyn: cannot write the log under var/"), proc.stderr
    assert "Traceback" not in proc.stderr


def fill_the_disk(zyn: Zyn) -> Any:
    """SQLite's own size cap: every connection may not grow the file (a full disk, as SQLite sees it)."""
    with zyn.db.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

    def cap(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count = {int(pages)}")

    event.listen(zyn.db, "connect", cap)
    zyn.db.dispose()
    return cap


def test_a_full_disk_halts_entries_tells_the_owner_and_fails_healthz(zyn: Zyn) -> None:
    told: list[str] = []
    zyn.notifier.register("test", lambda text, png: told.append(text))
    web = create_web_app(zyn).test_client()
    assert web.get("/healthz").status_code == 200 and zyn.trading.gates().circuit is None

    cap = fill_the_disk(zyn)
    with pytest.raises(OperationalError, match="full"):
        zyn.kv.set("ballast", "x" * 200_000)
    assert "full" in (zyn.storage.fault or "")
    assert "storage is failing" in (zyn.trading.gates().circuit or "")
    health = web.get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"] == "error"
    reply = zyn.dispatcher.handle(Envelope("cli", "owner", "buy 0.01 btc"))
    assert "storage" in reply.text.lower() and "went wrong" not in reply.text, reply.text
    zyn.notifier.flush()
    assert len(told) == 1 and "halted" in told[0] and "stops stay" in told[0]

    event.remove(zyn.db, "connect", cap)  # space freed
    zyn.db.dispose()
    zyn.kv.set("after", "1")
    zyn.kv.get("after")
    assert zyn.storage.fault is not None  # not "fine" again at the first write that fits


def test_storage_recovers_after_a_quiet_minute_of_working_writes(tmp_path: Path) -> None:
    clock = SimClock(1_700_000_000_000)
    changes: list[tuple[str | None, str | None]] = []
    health = StorageHealth(clock, lambda old, new: changes.append((old, new)), recover_after_ms=60_000)
    db = make_engine(f"sqlite:///{tmp_path}/s.db")
    health.watch(db)
    kv = KeyValueStore(db)
    kv.set("a", "1")
    with db.connect() as conn:
        pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar() or 0)
    cap = lambda c, r: c.execute(f"PRAGMA max_page_count = {pages}")  # noqa: E731
    event.listen(db, "connect", cap)
    db.dispose()
    with pytest.raises(OperationalError):
        kv.set("ballast", "x" * 200_000)
    event.remove(db, "connect", cap)
    db.dispose()
    kv.set("b", "2")
    kv.get("b")
    assert health.fault is not None and len(changes) == 1
    clock.advance(61_000)
    kv.set("c", "3")
    kv.get("c")
    assert health.fault is None and changes[-1][1] is None and len(changes) == 2


def test_healthz_does_not_touch_a_locked_database(zyn: Zyn, tmp_path: Path) -> None:
    web = create_web_app(zyn).test_client()
    checkouts: list[int] = []
    event.listen(zyn.db, "checkout", lambda *a: checkouts.append(1))
    locker = sqlite3.connect(tmp_path / "zyn.db", timeout=0)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        resp = web.get("/healthz")
    finally:
        locker.rollback()
        locker.close()
    assert resp.status_code == 200 and resp.get_json()["database"] == "ok"
    assert checkouts == []  # answered from memory: no connection taken, so no waiting on the lock


def test_a_database_made_read_only_under_zyn_is_seen_by_the_probe_and_fails_like_a_full_disk(zyn: Zyn) -> None:
    """Issue 19.6: `chattr +i` on the database file (root, a filesystem with attributes)."""
    import shutil

    from bot.wiring.storage_probe import StorageProber

    db_file = Path(zyn.db.url.database or "")
    if shutil.which("chattr") is None or os.geteuid() != 0:
        pytest.skip("needs root and chattr")
    told: list[str] = []
    zyn.notifier.register("test", lambda text, png: told.append(text))
    prober = StorageProber(zyn.storage, zyn.db)
    prober.probe_once()
    assert zyn.storage.fault is None  # writable: nothing to say
    if subprocess.run(["chattr", "+i", str(db_file)], capture_output=True).returncode != 0:
        pytest.skip("this filesystem has no immutable attribute")
    try:
        prober.probe_once()
        assert "read-only" in (zyn.storage.fault or ""), zyn.storage.fault
        assert "storage is failing" in (zyn.trading.gates().circuit or "")
        reply = zyn.dispatcher.handle(Envelope("cli", "owner", "buy 0.01 btc sl 3000"))
        assert "storage" in reply.text.lower(), reply.text
        zyn.notifier.flush()
        assert len(told) == 1 and "halted" in told[0], told
    finally:
        subprocess.run(["chattr", "-i", str(db_file)], check=True)
        zyn.db.dispose()  # SQLite opened read-only meanwhile stays so: new connections from here
