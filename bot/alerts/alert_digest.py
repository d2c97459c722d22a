"""Alerts held back during the owner's quiet hours, and the one digest that brings them after.

Why in the database and not in memory: quiet hours last all night, and a restart (a deploy, the
watchdog, a crash) in between must not lose what the owner was going to be told. `hold` writes
a row at once; `claim` marks every waiting row as released in one conditional UPDATE, so two
callers (the scheduler's tick and an alert arriving at the same moment) can never both send it.
"""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.domain import Event
from core.ports import Clock
from core.telemetry.models import DeferredAlertRow

DIGEST_KIND = "quiet_digest"
DIGEST_MAX_CHARS = 12_000  # channels split a long digest into several messages; past this, count
KEEP_RELEASED_MS = 7 * 86_400_000


class DeferredAlerts:
    """The `deferred_alerts` table: hold an alert, claim all waiting ones exactly once."""

    def __init__(self, db: Engine, clock: Clock) -> None:
        self._db, self._clock = db, clock
        self._lock = threading.Lock()

    def hold(self, event: Event) -> int:
        """Store the alert; returns its row id (the proof it was kept)."""
        row = DeferredAlertRow(ts_ms=self._clock.now_ms(), kind=event.kind, text=event.text)
        with Session(self._db) as s:
            s.add(row)
            s.commit()
            s.refresh(row)
        return int(row.id or 0)

    def waiting(self) -> list[DeferredAlertRow]:
        with Session(self._db) as s:
            query = select(DeferredAlertRow).where(col(DeferredAlertRow.released_ms).is_(None))
            return list(s.exec(query.order_by(col(DeferredAlertRow.id))).all())

    def claim(self) -> list[DeferredAlertRow]:
        """Every waiting alert, marked released; [] when none wait or another caller took them."""
        with self._lock, Session(self._db) as s:
            query = select(DeferredAlertRow).where(col(DeferredAlertRow.released_ms).is_(None))
            rows = list(s.exec(query.order_by(col(DeferredAlertRow.id))).all())
            if not rows:
                return []
            now = self._clock.now_ms()
            ids = [r.id for r in rows]
            taken = s.execute(
                update(DeferredAlertRow)
                .where(col(DeferredAlertRow.id).in_(ids), col(DeferredAlertRow.released_ms).is_(None))
                .values(released_ms=now)
            )
            if getattr(taken, "rowcount", len(ids)) != len(ids):
                s.rollback()  # someone else released some of them: they send the digest
                return []
            s.execute(delete(DeferredAlertRow).where(col(DeferredAlertRow.released_ms) < now - KEEP_RELEASED_MS))
            s.commit()
            return [DeferredAlertRow(id=r.id, ts_ms=r.ts_ms, kind=r.kind, text=r.text, released_ms=now) for r in rows]


def digest_event(rows: list[DeferredAlertRow], tz: str, quiet: tuple[str, str] | None) -> Event:
    """One alert for everything held back: "While you were in quiet hours (22:00-07:00) …"."""
    zone = ZoneInfo(tz)
    window = f" ({quiet[0]}-{quiet[1]})" if quiet else ""
    head = f"While you were in quiet hours{window} I held back {len(rows)} alert(s):"
    lines: list[str] = []
    used = len(head)
    for n, row in enumerate(rows):
        when = datetime.fromtimestamp(row.ts_ms / 1000, tz=zone).strftime("%a %H:%M")
        line = f"- {when}: {row.text}"
        if used + len(line) + 1 > DIGEST_MAX_CHARS:
            lines.append(f"- and {len(rows) - n} more (see the dashboard's recent decisions and trades).")
            break
        lines.append(line)
        used += len(line) + 1
    return Event(DIGEST_KIND, "\n".join([head, *lines]), {"alerts": len(rows)})
