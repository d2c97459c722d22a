"""The recorded equity of one mode, oldest first: the dashboard's curve and the weekly chart.

Why its own function: the status service and the standby (which builds no status service: it
only forwards) draw the same curve from the shared database.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.telemetry.models import EquitySnapshotRow


def recorded_equity(db: Engine, mode: str, since_ms: int | None = None) -> list[tuple[int, float]]:
    """(ts_ms, equity) of every snapshot recorded for `mode` (at or after `since_ms`), oldest first."""
    stmt = select(EquitySnapshotRow).where(EquitySnapshotRow.source == mode)
    if since_ms is not None:
        stmt = stmt.where(EquitySnapshotRow.ts_ms >= since_ms)
    with Session(db) as s:
        rows = s.exec(stmt.order_by(col(EquitySnapshotRow.ts_ms))).all()
    return [(r.ts_ms, r.equity) for r in rows]
