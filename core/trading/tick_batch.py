"""The decisions of one tick committed in one transaction (issue 20.4).

Why: a universe tick decides hundreds of pairs; one INSERT, two kv upserts and a COMMIT per pair
was a third of the tick (and every commit made the settings cache re-check its version row).
Inside `TickBatch.tick()` a decision row and its extras (the pair's persisted state, the guard,
the equity snapshot) are held in memory; they are written together when the tick ends.

Why it cannot reorder anything: the held rows are written before ANY other transaction on the
database begins — a listener on the engine's `begin` flushes them first, whatever the table,
whoever the caller (an entry's order rows, a kill-switch save, a stop fill's trade, a chat read on
another thread). So every reader and writer sees the database as if each decision had been
committed on its own, only later; and what a crash mid-tick loses is a set of whole decisions
with their own state (the pair re-decides that candle on restart: no order was sent for them,
as sending one writes first). A decision whose id is needed at once (an entry) is not held.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from loguru import logger
from sqlalchemy import event, insert, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col

from core.sql_upsert import upsert_many
from core.telemetry.models import KeyValueRow


@dataclass(frozen=True, slots=True)
class KvWrite:
    """A kv upsert riding with a decision (the pair's state, the guard): the same row as a
    `KeyValueRow`, without building a validated table model twice per pair per tick."""

    key: str
    value: str
    updated_ms: int


KvRow = KvWrite | KeyValueRow


MAX_HELD = 5_000  # a long catch-up step (a replay warming up over weeks) commits every this many


class TickBatch:
    """Holds decision rows of the current thread's tick; writes them in one commit (more than
    MAX_HELD: in commits of MAX_HELD, so a catch-up over many candles holds bounded memory)."""

    def __init__(self, db: Engine) -> None:
        self._db = db
        self._held: list[tuple[Any, Sequence[Any]]] = []
        self._lock = threading.RLock()  # one flush at a time, so the commits keep their order
        self._local = threading.local()  # per thread: tick depth, and whether it is flushing
        event.listen(db, "begin", self._before_transaction)

    @contextmanager
    def tick(self) -> Iterator[None]:
        """Hold this thread's decisions until the outermost `tick()` ends, then write them."""
        self._local.depth = getattr(self._local, "depth", 0) + 1
        try:
            yield
        finally:
            self._local.depth -= 1
            if self._local.depth == 0:
                self.flush()

    def hold(self, row: Any, extras: Sequence[Any]) -> bool:
        """Keep `row` (+ extras) for the tick's commit; False outside a tick (write it now)."""
        if not getattr(self._local, "depth", 0):
            return False
        with self._lock:
            self._held.append((row, tuple(extras)))
            if len(self._held) >= MAX_HELD:
                self.flush()
        return True

    @property
    def pending(self) -> int:
        return len(self._held)

    def flush(self) -> None:
        """Write every held row in one transaction: the rows in the order held, and per kv key
        only its last value (the earlier ones were never visible outside this commit anyway)."""
        with self._lock:
            if not self._held or getattr(self._local, "flushing", False):
                return
            held, self._held = self._held, []
            self._local.flushing = True
            try:
                kv: dict[str, KvRow] = {}
                with Session(self._db, expire_on_commit=False) as s:
                    for row, extras in held:
                        s.add(row)
                        for extra in extras:
                            if isinstance(extra, KvWrite | KeyValueRow):
                                kv.pop(extra.key, None)
                                kv[extra.key] = extra
                            else:
                                s.add(extra)
                    s.flush()
                    upsert_kv_many(s.connection(), list(kv.values()))
                    s.commit()
            finally:
                self._local.flushing = False

    def _before_transaction(self, _conn: Connection) -> None:
        """Another transaction is about to begin: the held rows go first. A failure is logged,
        not raised into that unrelated caller (its own statements meet the same trouble)."""
        if self._held and not getattr(self._local, "flushing", False):
            try:
                self.flush()
            except Exception as exc:  # noqa: BLE001 - reported; the rows are lost as a failed write's were
                logger.bind(action="error", where="journal.tick_batch").error("held decisions not written: {}", exc)


def upsert_kv_many(conn: Connection, rows: Sequence[KvRow]) -> None:
    """The held kv rows: three statements for the whole tick, not two per key."""
    table = KeyValueRow.__table__  # type: ignore[attr-defined]
    upsert_many(conn, table, "key", [{"key": r.key, "value": r.value, "updated_ms": r.updated_ms} for r in rows])


def upsert_kv(s: Session, row: KvRow) -> None:
    """UPDATE, else INSERT: portable (SQLite and PostgreSQL) and cheaper than ORM merge per tick."""
    values = {"value": row.value, "updated_ms": row.updated_ms}
    result = s.execute(update(KeyValueRow).where(col(KeyValueRow.key) == row.key).values(**values))
    if getattr(result, "rowcount", 0) == 0:
        s.execute(insert(KeyValueRow).values(key=row.key, **values))
