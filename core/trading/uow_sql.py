"""The SQLModel unit of work (`core.trading.unit_of_work.UnitOfWork`): one transaction per change.

Why: the position's money state (a `Bracket`, stored as a `PositionRow` in exact Decimal
columns), its trade row and the order row that changed it used to be committed one by one; a
crash between two commits could lose a partial fill's accounting (the order marked done, the
bracket not shrunk) or leave a closed trade with a live bracket. Every change of a position goes
through `UnitOfWork.change()`: one session, one commit, so a crash leaves the old or the new state.

Databases written before the positions table kept each bracket as JSON in the kv store; the
schema revision `0002_exact_money` (core/telemetry/migrations) moves those into the table when the
database is opened. Open trades without a position row (a crash before it was written) fall back
to the trade row (`Positions.load`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.ports import Clock
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import KeyValueRow, OrderRow, PositionRow, TradeRow
from core.trading.bracket import Bracket
from core.trading.bus import EventBus
from core.trading.journal import Journal

PLAN_PREFIX = "trading:plan:"
_BRACKET_FIELDS = tuple(f.name for f in fields(Bracket))


def to_row(bracket: Bracket, now_ms: int) -> PositionRow:
    return PositionRow(**{name: getattr(bracket, name) for name in _BRACKET_FIELDS}, updated_ms=now_ms)


def from_row(row: PositionRow) -> Bracket:
    return Bracket(**{name: getattr(row, name) for name in _BRACKET_FIELDS})


class PositionChange:
    """The writes of one change; nothing is visible to others until the unit of work commits."""

    def __init__(self, session: Session, now_ms: int, source: str) -> None:
        self.s, self.now_ms, self.source = session, now_ms, source

    def save(self, bracket: Bracket) -> None:
        self.s.merge(to_row(bracket, self.now_ms))

    def drop(self, trade_id: int) -> None:
        row = self.s.get(PositionRow, trade_id)
        if row is not None:
            self.s.delete(row)

    def open_trade(self, row: TradeRow, entry_ref: str = "") -> TradeRow:
        """Insert the trade (its id is assigned now) and link its entry order to it."""
        row.source = self.source
        self.s.add(row)
        self.s.flush()
        if entry_ref:
            order = self.s.exec(select(OrderRow).where(OrderRow.client_ref == entry_ref)).first()
            if order is not None:
                order.trade_id = row.id
                self.s.add(order)
            self.drop_plan(entry_ref)
        return row

    def update_trade(self, trade_id: int, **changes: Any) -> None:
        row = self.s.get(TradeRow, trade_id)
        if row is not None:
            for key, value in changes.items():
                setattr(row, key, value)
            self.s.add(row)

    def update_order(self, client_ref: str, **changes: Any) -> None:
        row = self.s.exec(select(OrderRow).where(OrderRow.client_ref == client_ref)).first()
        if row is not None:
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_ms = self.now_ms
            self.s.add(row)

    def drop_plan(self, client_ref: str) -> None:
        row = self.s.get(KeyValueRow, PLAN_PREFIX + client_ref)
        if row is not None:
            self.s.delete(row)


class SqlUnitOfWork:
    def __init__(
        self, db: Engine, clock: Clock, source: str = "paper", bus: EventBus | None = None,
        kv: KeyValueStore | None = None,
    ) -> None:
        self.db, self.clock, self.source = db, clock, source
        # the records beside the positions: a safety event journaled is published on `bus` too
        self.journal = Journal(db, clock, source, bus)
        self.kv = kv if kv is not None else KeyValueStore(db)
        # told after each commit (issue 20.1: the status snapshot is rebuilt on the next read);
        # a listener must only take note, never do I/O: it runs on the trading thread
        self.on_commit: list[Callable[[], None]] = []

    @contextmanager
    def change(self) -> Iterator[PositionChange]:
        """`with uow.change() as tx: ...` commits everything done on `tx` at once, or nothing."""
        with Session(self.db, expire_on_commit=False) as s:
            yield PositionChange(s, self.clock.now_ms(), self.source)
            s.commit()
        for listener in self.on_commit:
            listener()

    def load(self) -> dict[int, Bracket]:
        """Every saved position by trade id."""
        with Session(self.db) as s:
            return {r.trade_id: from_row(r) for r in s.exec(select(PositionRow)).all()}
