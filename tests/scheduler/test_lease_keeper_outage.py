"""The lease keeper tells a storage outage from a lost lease (issue 19 point 3).

A real SQLite file with a real exclusive lock held by the test: a renewal that gets no answer is an
outage (keep the lease, keep retrying, say so in memory for /healthz), a renewal the database
answers "another process holds it" is a lost lease, and an outage past its limit gives up once.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlmodel import Session

from core.clock import RealClock
from core.telemetry.db import make_engine
from core.telemetry.models import SchedulerLockRow
from scheduler.lease_keeper import LeaseKeeper
from scheduler.lock import SchedulerLock

LEASE_S = 0.6  # renewed every 0.2 s; a renewal waits at most 0.2 s for the file lock


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    locker = sqlite3.connect(path, timeout=10, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        locker.rollback()
        locker.close()


def _until(check: object, within_s: float = 5.0) -> bool:
    end = time.monotonic() + within_s
    while time.monotonic() < end:
        if callable(check) and check():
            return True
        time.sleep(0.05)
    return False


def test_a_lock_longer_than_the_lease_is_an_outage_and_the_owner_keeps_its_lease_after(tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path}/z.db")
    lock = SchedulerLock(db, RealClock(), lease_s=LEASE_S)
    assert lock.acquire()
    lost = threading.Event()
    keeper = LeaseKeeper(lock, lost.set).start()
    try:
        with _locked(tmp_path / "z.db"):
            assert _until(lambda: lock.unanswered is not None), "the outage was never noticed"
            time.sleep(3 * LEASE_S)  # the lease runs out meanwhile
            assert lock.unanswered is not None and not lost.is_set()
        assert _until(lambda: lock.unanswered is None), "never resumed after the lock went"
        assert lock.held() and not lost.is_set()
    finally:
        keeper.stop()


def test_a_renewal_answered_by_another_holder_is_a_lost_lease(tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path}/z.db")
    lock = SchedulerLock(db, RealClock(), lease_s=LEASE_S)
    assert lock.acquire()
    lost = threading.Event()
    keeper = LeaseKeeper(lock, lost.set).start()
    try:
        with Session(db) as s:  # another live process took it (e.g. after this one stalled)
            row = s.get(SchedulerLockRow, "main")
            assert row is not None
            row.holder, row.expires_ms = "elsewhere:1:-:x", RealClock().now_ms() + 60_000
            s.add(row)
            s.commit()
        assert lost.wait(5)
        assert lock.unanswered is None
    finally:
        keeper.stop()


def test_an_outage_past_its_limit_gives_up_once(tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path}/z.db")
    lock = SchedulerLock(db, RealClock(), lease_s=LEASE_S)
    assert lock.acquire()
    gave_up: list[float] = []
    keeper = LeaseKeeper(lock, None, outage_exit_s=1.0, on_give_up=gave_up.append).start()
    try:
        with _locked(tmp_path / "z.db"):
            assert _until(lambda: bool(gave_up))
            time.sleep(0.5)
        assert len(gave_up) == 1 and gave_up[0] >= 1.0
    finally:
        keeper.stop()
