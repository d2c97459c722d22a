"""Telemetry writes of the trading path: decisions, orders, trades, safety events, errors.

Why a journal object: the order row is written BEFORE an order is sent (with its client
reference) so a crash between send and response can be recovered by reconcile; keeping every
write here keeps that rule in one place. One short transaction per call, rows come back
detached (expire_on_commit=False) so callers can read them after the session is gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from loguru import logger
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

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
from core.trading.bus import EventBus
from core.trading.events import SafetyEvent, SafetyKind
from core.trading.tick_batch import KvWrite, TickBatch, upsert_kv


@dataclass(frozen=True)
class TradeFigures:
    """A closed trade's figures in floats, for statistics (the analyzer, reports, parity checks)."""

    id: int | None
    pair: str
    source: str
    entry_ms: int
    exit_ms: int | None
    amount: float
    entry_price: float
    exit_price: float | None
    stop_price: float | None
    target_price: float | None
    fees: float
    pnl: float | None
    r_multiple: float | None
    exit_reason: str

    @classmethod
    def of(cls, row: TradeRow) -> TradeFigures:
        return cls(
            row.id, row.pair, row.source, row.entry_ms, row.exit_ms, float(row.amount), float(row.entry_price),
            _float(row.exit_price), _float(row.stop_price), _float(row.target_price), float(row.fees),
            _float(row.pnl), row.r_multiple, row.exit_reason,
        )


def _float(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def order_row(req: OrderRequest, purpose: str, trade_id: int | None, now_ms: int) -> OrderRow:
    """The row an order gets BEFORE it is sent (status `new`, its client reference)."""
    return OrderRow(
        client_ref=req.client_ref,
        pair=req.pair,
        side=req.side,
        type=req.type,
        amount=req.amount,
        price=req.price,
        status="new",
        purpose=purpose,
        trade_id=trade_id,
        created_ms=now_ms,
        updated_ms=now_ms,
    )


def sent_changes(order: Order) -> dict[str, Any]:
    """What an order's row learns from the exchange's answer."""
    price = order.average_price if order.average_price is not None else order.price
    status = "validated" if order.validated_only else order.status
    return {"exchange_id": order.id, "status": status, "amount": order.amount, "price": price}


def safety_event(kind: str, detail: str) -> SafetyEvent:
    """A journaled safety event as published on the bus (the pair when the detail starts with one)."""
    first = detail.partition(" ")[0]
    return SafetyEvent(SafetyKind.of(kind), kind, detail, first.rstrip(":") if "/" in first else "")


class Journal:
    def __init__(self, db: Engine, clock: Clock, source: str = "paper", bus: EventBus | None = None) -> None:
        self.db = db
        self.clock = clock
        self.source = source
        self.bus = bus  # a safety event journaled is also published (SafetyEvent) when given
        self.batch = TickBatch(db)  # a tick's decisions in one commit (issue 20.4)

    def _session(self) -> Session:
        return Session(self.db, expire_on_commit=False)

    def _add(self, row: Any, extras: Sequence[Any] = ()) -> Any:
        """Insert `row` (and merge `extras`, e.g. kv state) in one transaction; ids come from the insert."""
        with self._session() as s:
            s.add(row)
            for extra in extras:
                if isinstance(extra, KvWrite | KeyValueRow):
                    upsert_kv(s, extra)
                else:
                    s.add(extra)
            s.commit()
            return row

    # ------------------------------------------------------------------ decisions
    def decision(self, row: DecisionRow, extras: Sequence[Any] = ()) -> DecisionRow:
        """One decision row; `extras` (equity snapshot, persisted strategy state) share its commit."""
        row.source = self.source if row.source in ("", "paper") else row.source
        row.decided_ms = row.decided_ms or self.clock.now_ms()
        # inside a tick, held for the tick's one commit, unless its id is needed now (an entry's
        # orders point at it); anything else written meanwhile writes the held rows first
        held = row.action != "enter" and self.batch.hold(row, extras)
        saved: DecisionRow = row if held else self._add(row, extras)
        logger.bind(pair=row.pair, action=row.action).info(
            "decision ts={} price={} reason={}", row.ts_ms, row.price, row.reason
        )
        return saved

    def decision_update(self, decision_id: int, **changes: Any) -> None:
        with self._session() as s:
            row = s.get(DecisionRow, decision_id)
            if row is None:
                return
            for key, value in changes.items():
                setattr(row, key, value)
            s.add(row)
            s.commit()

    # ------------------------------------------------------------------ orders
    def order_new(self, req: OrderRequest, purpose: str, trade_id: int | None = None) -> OrderRow:
        saved: OrderRow = self._add(order_row(req, purpose, trade_id, self.clock.now_ms()))
        return saved

    def order_sent(self, client_ref: str, order: Order) -> None:
        self.order_update(client_ref, **sent_changes(order))
        logger.bind(pair=order.pair, action=f"order_{order.side}").info(
            "order {} {} {} {} status={} ref={}",
            order.id,
            order.type,
            order.side,
            order.amount,
            order.status,
            client_ref,
        )

    def order_update(self, client_ref: str, **changes: Any) -> None:
        with self._session() as s:
            row = s.exec(select(OrderRow).where(OrderRow.client_ref == client_ref)).first()
            if row is None:
                return
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_ms = self.clock.now_ms()
            s.add(row)
            s.commit()

    def orders_with_status(self, statuses: Iterable[str]) -> list[OrderRow]:
        with self._session() as s:
            rows = s.exec(select(OrderRow).where(col(OrderRow.status).in_(list(statuses)))).all()
            return list(rows)

    def orders_for_trade(self, trade_id: int, statuses: Iterable[str]) -> list[OrderRow]:
        with self._session() as s:
            query = select(OrderRow).where(
                OrderRow.trade_id == trade_id, col(OrderRow.status).in_(list(statuses))
            )
            return list(s.exec(query.order_by(col(OrderRow.id))).all())

    def order_by_exchange_id(self, exchange_id: str) -> OrderRow | None:
        with self._session() as s:
            return s.exec(select(OrderRow).where(OrderRow.exchange_id == exchange_id)).first()

    # ------------------------------------------------------------------ trades (written by unit_of_work)
    def open_trades(self) -> list[TradeRow]:
        with self._session() as s:
            rows = s.exec(select(TradeRow).where(TradeRow.status == "open").order_by(col(TradeRow.id))).all()
            return list(rows)

    def closed_trade_rows(self, pair: str | None = None) -> list[TradeRow]:
        """Closed trades as stored: money in exact Decimals."""
        with self._session() as s:
            query = select(TradeRow).where(TradeRow.status == "closed")
            if pair is not None:
                query = query.where(TradeRow.pair == pair)
            return list(s.exec(query.order_by(col(TradeRow.id))).all())

    def closed_trades(self, pair: str | None = None) -> list[TradeFigures]:
        """Closed trades for statistics and reports (compared with the backtest's float trades):
        the money converted to floats here, explicitly, once; the rows keep the exact figures."""
        return [TradeFigures.of(row) for row in self.closed_trade_rows(pair)]

    # ------------------------------------------------------------------ events
    def safety(self, kind: str, detail: str) -> None:
        self._add(SafetyEventRow(ts_ms=self.clock.now_ms(), kind=kind, detail=detail[:2000]))
        logger.bind(action=kind).warning("safety {}: {}", kind, detail)
        if self.bus is not None:
            self.bus.publish(safety_event(kind, detail))

    def error(self, where: str, kind: str, message: str) -> None:
        self._add(ErrorRow(ts_ms=self.clock.now_ms(), where=where, kind=kind, message=message[:2000]))
        logger.bind(action="error", where=where).error("{} error in {}: {}", kind, where, message)

    def equity_row(self, ts_ms: int, equity: float, cash: float) -> EquitySnapshotRow:
        return EquitySnapshotRow(ts_ms=ts_ms, equity=equity, cash=cash, source=self.source)

    def equity(self, ts_ms: int, equity: float, cash: float) -> None:
        self._add(self.equity_row(ts_ms, equity, cash))
