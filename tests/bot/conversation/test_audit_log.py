"""The audit log's group commit: every message of many concurrent writers is stored, each writer
returns only after its row is committed, and a failed commit reaches every writer of its batch."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from bot.conversation.audit_log import AuditLog
from core.telemetry.db import make_engine
from core.telemetry.models import MessageRow


def _row(n: int) -> dict[str, object]:
    return {"ts_ms": n, "channel": "web", "user_id": f"u{n % 3}", "direction": "in", "text": f"msg {n}"}


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/a.db")
    log = AuditLog(engine)
    seen_after_return: list[bool] = []

    def writer(k: int) -> None:
        for n in range(k * 100, k * 100 + 100):
            log.write(_row(n))
            with Session(engine) as s:  # committed before write() returned
                seen_after_return.append(s.exec(select(MessageRow).where(MessageRow.ts_ms == n)).first() is not None)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with Session(engine) as s:
        stored = sorted(r.ts_ms for r in s.exec(select(MessageRow)).all())
    assert stored == list(range(800))
    assert len(seen_after_return) == 800 and all(seen_after_return)


def test_a_failed_commit_raises_to_the_writer(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/b.db")
    log = AuditLog(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE conversations"))
    with pytest.raises(Exception, match="conversations"):
        log.write(_row(1))
