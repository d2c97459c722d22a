"""StorageHealth: a statement waiting too long shows (from memory) until it ends; a lost
connection is over as soon as the database answers a probe again."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from core.clock import SimClock
from core.telemetry.db import make_engine
from core.telemetry.storage_health import StorageHealth


class _Cursor:
    """Stands for the DBAPI cursor SQLAlchemy passes to the events (only its identity counts)."""


def test_a_statement_waiting_longer_than_the_stall_limit_makes_storage_not_ok_until_it_ends() -> None:
    clock = SimClock(1_000_000)
    health = StorageHealth(clock, stall_ms=5_000)
    cursor = _Cursor()
    health._on_start(None, cursor)  # noqa: SLF001 - the engine event, fired by hand
    clock.advance(4_000)
    assert health.snapshot()["ok"]
    clock.advance(2_000)
    snap = health.snapshot()
    assert not snap["ok"] and snap["waiting_ms"] == 6_000 and "6.0 s" in snap["stalled"]
    health._on_execute(None, cursor, "SELECT 1")  # noqa: SLF001
    assert health.snapshot()["ok"] and health.snapshot()["stalled"] is None


def test_a_lost_connection_clears_on_the_next_answered_probe(tmp_path: Path) -> None:
    changes: list[tuple[str | None, str | None]] = []
    health = StorageHealth(SimClock(0), lambda old, new: changes.append((old, new)))
    health.record_fault("OperationalError: connection refused", connection=True)
    assert health.fault is not None and not health.snapshot()["ok"]
    engine = make_engine(f"sqlite:///{tmp_path}/z.db")
    health.probe(engine)
    assert health.fault is None and health.snapshot()["ok"]
    assert [new is None for _, new in changes] == [False, True]


def test_a_disk_fault_is_not_cleared_by_a_probe(tmp_path: Path) -> None:
    health = StorageHealth(SimClock(0))
    health.record_fault("OperationalError: database or disk is full")
    health.probe(make_engine(f"sqlite:///{tmp_path}/z.db"))
    assert health.fault is not None  # reads still work on a full disk; only writes tell


def test_real_statements_leave_nothing_waiting(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/z.db")
    health = StorageHealth(SimClock(0))
    health.watch(engine)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert health.snapshot()["waiting_ms"] == 0


def test_a_statement_whose_end_no_event_reported_is_forgotten_after_ten_minutes() -> None:
    clock = SimClock(0)
    health = StorageHealth(clock)
    health._on_start(None, _Cursor())  # noqa: SLF001 - never ended
    clock.advance(60_000)
    assert not health.snapshot()["ok"]
    clock.advance(600_000)
    assert health.snapshot()["ok"] and health.snapshot()["waiting_ms"] == 0
