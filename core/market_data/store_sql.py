"""The candle store in Zyn's database (`candles` table, `core.telemetry.models.CandleRow`).

Why the database and not Parquet under var/: `zyn run`, `zyn chat` and `zyn data import` are
separate processes on ONE database (SQLite or PostgreSQL); the database already serializes their
writes, migrates with Alembic and is backed up with everything else. A Parquet file would need
its own locking and would be invisible to a second machine on PostgreSQL.
Writes are upserts in one transaction per `add` (an import is all or nothing); reads are Core
SELECTs (no ORM identity map: a 35k-candle history is read in one pass).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from loguru import logger
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import col

from core.domain import Candle
from core.market_data.store import Coverage, merge_history
from core.markets.timeframes import timeframe_ms
from core.telemetry.models import CandleRow

CHUNK = 5000  # rows per executemany batch
log = logger.bind(component="candle_store")


class SqlCandleStore:
    """`core.market_data.store.CandleStore` over the `candles` table."""

    def __init__(self, db: Engine) -> None:
        self._db = db

    def add(self, pair: str, timeframe: str, candles: Sequence[Candle]) -> int:
        timeframe_ms(timeframe)  # a bad timeframe is refused before anything is written
        if not candles:
            return 0
        rows = [
            {"pair": pair, "timeframe": timeframe, "ts_ms": int(c.ts), "open": float(c.open), "high": float(c.high),
             "low": float(c.low), "close": float(c.close), "volume": float(c.volume)}
            for c in {c.ts: c for c in candles}.values()
        ]
        stmt = self._upsert()
        with self._db.begin() as conn:
            for start in range(0, len(rows), CHUNK):
                conn.execute(stmt, rows[start:start + CHUNK])  # executemany: one compiled statement
        log.bind(pair=pair, timeframe=timeframe, candles=len(rows)).debug("candles stored")
        return len(rows)

    def _upsert(self) -> Any:
        table: Any = CandleRow.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models
        if self._db.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert  # lazy: sqlalchemy loads only when used

            stmt: Any = pg_insert(table)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert  # lazy: sqlalchemy loads only when used

            stmt = sqlite_insert(table)
        fresh = {name: stmt.excluded[name] for name in ("open", "high", "low", "close", "volume")}
        return stmt.on_conflict_do_update(index_elements=["pair", "timeframe", "ts_ms"], set_=fresh)

    def history(self, pair: str, timeframe: str, until_ms: int | None = None) -> list[Candle]:
        want = timeframe_ms(timeframe)
        stmt = select(
            col(CandleRow.timeframe), col(CandleRow.ts_ms), col(CandleRow.open), col(CandleRow.high),
            col(CandleRow.low), col(CandleRow.close), col(CandleRow.volume),
        ).where(col(CandleRow.pair) == pair)
        if until_ms is not None:
            stmt = stmt.where(col(CandleRow.ts_ms) < until_ms)
        stmt = stmt.order_by(col(CandleRow.timeframe), col(CandleRow.ts_ms))
        stored: dict[str, list[Candle]] = {}
        with self._db.connect() as conn:
            for tf, ts, o, h, low, c, v in conn.execute(stmt):
                if tf == timeframe or (want % timeframe_ms(tf) == 0 and timeframe_ms(tf) < want):
                    stored.setdefault(tf, []).append(Candle(int(ts), o, h, low, c, v))
        return merge_history(timeframe, stored, until_ms)

    def coverage(self) -> list[Coverage]:
        stmt = select(
            col(CandleRow.pair), col(CandleRow.timeframe), func.min(CandleRow.ts_ms), func.max(CandleRow.ts_ms),
            func.count(),
        ).group_by(col(CandleRow.pair), col(CandleRow.timeframe))
        with self._db.connect() as conn:
            rows = [Coverage(p, tf, int(lo), int(hi), int(n)) for p, tf, lo, hi, n in conn.execute(stmt)]
        return sorted(rows, key=lambda c: (c.pair, timeframe_ms(c.timeframe)))
