"""FakeUnitOfWork: trading's unit of work (core/trading/unit_of_work.py) and its records, in dictionaries.

Why: position bookkeeping promises "one change, one commit, or nothing", and trading keeps its
journal (order rows written before a send, trades, decisions, safety events) and its kv state
beside it. The fake keeps the same promise without a database: a change records its writes and
applies them all at once when the block ends without an exception (an exception applies none);
a journal or kv write is its own small commit, as the SQL journal's are. Rows handed out are
copies, as the SQL journal's are detached: changing one changes nothing stored.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from core.clock import SimClock
from core.domain import Order, OrderRequest
from core.ports import Clock
from core.telemetry.models import (
    DecisionRow,
    EquitySnapshotRow,
    ErrorRow,
    KeyValueRow,
    OrderRow,
    SafetyEventRow,
    TradeRow,
)
from core.trading.bracket import Bracket
from core.trading.bus import EventBus
from core.trading.journal import order_row, safety_event, sent_changes
from core.trading.tick_batch import KvWrite

PLAN_PREFIX = "trading:plan:"
Write = Callable[["Stored"], None]


@dataclass
class Stored:
    """Everything committed: what a database would hold."""

    positions: dict[int, Bracket] = field(default_factory=dict)
    trades: dict[int, TradeRow] = field(default_factory=dict)
    orders: dict[str, OrderRow] = field(default_factory=dict)  # by client reference, in insertion order
    kv: dict[str, str] = field(default_factory=dict)  # JSON text, as the kv table holds it
    decisions: dict[int, DecisionRow] = field(default_factory=dict)
    safety: list[SafetyEventRow] = field(default_factory=list)
    errors: list[ErrorRow] = field(default_factory=list)
    equity: list[EquitySnapshotRow] = field(default_factory=list)


def _set(row: Any, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        setattr(row, key, value)


class FakeChange:
    """The writes of one change, applied by the unit of work at its end (all of them) or never."""

    def __init__(self, writes: list[Write], ids: Iterator[int], source: str, now_ms: int) -> None:
        self.writes, self.ids, self.source, self.now_ms = writes, ids, source, now_ms

    def save(self, bracket: Bracket) -> None:
        self.writes.append(lambda st: st.positions.__setitem__(bracket.trade_id, bracket))

    def drop(self, trade_id: int) -> None:
        self.writes.append(lambda st: st.positions.pop(trade_id, None))

    def open_trade(self, row: TradeRow, entry_ref: str = "") -> TradeRow:
        row.id, row.source = next(self.ids), self.source
        kept = copy.copy(row)
        self.writes.append(lambda st: st.trades.__setitem__(kept.id or 0, kept))
        if entry_ref:
            self.update_order(entry_ref, trade_id=row.id, _touch=False)
            self.drop_plan(entry_ref)
        return row

    def update_trade(self, trade_id: int, **changes: Any) -> None:
        self.writes.append(lambda st: _set(st.trades[trade_id], changes) if trade_id in st.trades else None)

    def update_order(self, client_ref: str, _touch: bool = True, **changes: Any) -> None:
        if _touch:
            changes = {**changes, "updated_ms": self.now_ms}
        self.writes.append(lambda st: _set(st.orders[client_ref], changes) if client_ref in st.orders else None)

    def drop_plan(self, client_ref: str) -> None:
        self.writes.append(lambda st: st.kv.pop(PLAN_PREFIX + client_ref, None))


class FakeBatch:
    """Decisions are written at once (the SQL journal's one commit per tick is a speed matter)."""

    @contextmanager
    def tick(self) -> Iterator[None]:
        yield


class FakeJournal:
    """`core.trading.unit_of_work.TradingJournal` over the fake's stored state."""

    def __init__(self, uow: FakeUnitOfWork, clock: Clock, source: str, bus: EventBus | None) -> None:
        self._uow, self.clock, self.source, self.bus = uow, clock, source, bus
        self.batch = FakeBatch()
        self._ids = itertools.count(1)

    @property
    def _st(self) -> Stored:
        return self._uow.stored

    def decision(self, row: DecisionRow, extras: Sequence[Any] = ()) -> DecisionRow:
        row.source = self.source if row.source in ("", "paper") else row.source
        row.decided_ms = row.decided_ms or self.clock.now_ms()
        row.id = next(self._ids)
        self._st.decisions[row.id] = copy.copy(row)
        for extra in extras:
            if isinstance(extra, KvWrite | KeyValueRow):
                self._st.kv[extra.key] = extra.value
            elif isinstance(extra, EquitySnapshotRow):
                self._st.equity.append(extra)
        return row

    def decision_update(self, decision_id: int, **changes: Any) -> None:
        if decision_id in self._st.decisions:
            _set(self._st.decisions[decision_id], changes)

    def order_new(self, req: OrderRequest, purpose: str, trade_id: int | None = None) -> OrderRow:
        row = order_row(req, purpose, trade_id, self.clock.now_ms())
        row.id = next(self._ids)
        self._st.orders[row.client_ref] = row
        return copy.copy(row)

    def order_sent(self, client_ref: str, order: Order) -> None:
        self.order_update(client_ref, **sent_changes(order))

    def order_update(self, client_ref: str, **changes: Any) -> None:
        row = self._st.orders.get(client_ref)
        if row is not None:
            _set(row, {**changes, "updated_ms": self.clock.now_ms()})

    def orders_with_status(self, statuses: Iterable[str]) -> list[OrderRow]:
        wanted = set(statuses)
        return [copy.copy(r) for r in self._st.orders.values() if r.status in wanted]

    def orders_for_trade(self, trade_id: int, statuses: Iterable[str]) -> list[OrderRow]:
        wanted = set(statuses)
        return [copy.copy(r) for r in self._st.orders.values() if r.trade_id == trade_id and r.status in wanted]

    def order_by_exchange_id(self, exchange_id: str) -> OrderRow | None:
        return next((copy.copy(r) for r in self._st.orders.values() if r.exchange_id == exchange_id), None)

    def open_trades(self) -> list[TradeRow]:
        return [copy.copy(t) for _, t in sorted(self._st.trades.items()) if t.status == "open"]

    def closed_trade_rows(self, pair: str | None = None) -> list[TradeRow]:
        return [copy.copy(t) for _, t in sorted(self._st.trades.items())
                if t.status == "closed" and (pair is None or t.pair == pair)]

    def safety(self, kind: str, detail: str) -> None:
        self._st.safety.append(SafetyEventRow(ts_ms=self.clock.now_ms(), kind=kind, detail=detail[:2000]))
        if self.bus is not None:
            self.bus.publish(safety_event(kind, detail))

    def error(self, where: str, kind: str, message: str) -> None:
        self._st.errors.append(ErrorRow(ts_ms=self.clock.now_ms(), where=where, kind=kind, message=message[:2000]))

    def equity_row(self, ts_ms: int, equity: float, cash: float) -> EquitySnapshotRow:
        return EquitySnapshotRow(ts_ms=ts_ms, equity=equity, cash=cash, source=self.source)


class FakeKv:
    """`core.trading.unit_of_work.KeyValues` over the fake's stored state (JSON text, as the table)."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    def get_json(self, key: str, default: Any = None) -> Any:
        raw = self._uow.stored.kv.get(key)
        return default if raw is None else json.loads(raw)

    def set_json(self, key: str, value: Any) -> None:
        self._uow.stored.kv[key] = json.dumps(value, sort_keys=True, default=str)

    def delete(self, key: str) -> None:
        self._uow.stored.kv.pop(key, None)


class FakeUnitOfWork:
    def __init__(self, clock: Clock | None = None, source: str = "paper", bus: EventBus | None = None) -> None:
        self.source = source
        self.clock: Clock = clock if clock is not None else SimClock(0)
        self.stored = Stored()
        self.commits = 0
        self.on_commit: list[Callable[[], None]] = []  # as SqlUnitOfWork's: told after each commit
        self._trade_ids = itertools.count(1)
        self.journal = FakeJournal(self, self.clock, source, bus)
        self.kv = FakeKv(self)

    @contextmanager
    def change(self) -> Iterator[FakeChange]:
        writes: list[Write] = []
        yield FakeChange(writes, self._trade_ids, self.source, self.clock.now_ms())
        for write in writes:  # only reached when the block raised nothing: all of them, at once
            write(self.stored)
        self.commits += 1
        for listener in self.on_commit:
            listener()

    def load(self) -> dict[int, Bracket]:
        return dict(self.stored.positions)

