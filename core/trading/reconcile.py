"""Reconcile on start: make the database agree with the exchange before trading resumes.

- An order row still `new` (sent, response lost, or never sent) is looked up by its client
  reference: found -> adopted; not there -> marked failed (it never reached the exchange).
- A filled buy without a trade (crash between fill and bookkeeping) becomes a trade, bracketed
  from the entry plan that was saved before it was sent. A limit buy still open with a part
  filled has its rest canceled first (entries.finish_partial_limit), so what filled is stopped.
- An open trade whose stop filled while we were down is closed with reason `stop`; one whose
  stop is missing (never placed, canceled) gets exactly one new stop.
Nothing is placed twice: every placement follows a lookup that proved the order absent.
Every action is written as a `reconcile` safety event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from loguru import logger

from core.domain import ExchangeError, ExchangeUnavailable, Order, OrderNotFound
from core.telemetry.models import OrderRow
from core.trading.bracket import Bracket
from core.trading.entries import atr_plan, finish_partial_limit
from core.trading.positions import EntryPlan
from core.trading.service import ENTRY_PURPOSES, TradingService


@dataclass
class ReconcileReport:
    actions: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def text(self) -> str:
        if not self.actions and not self.problems:
            return "Reconcile: database and exchange agree."
        return "Reconcile: " + "; ".join(self.actions + [f"PROBLEM {p}" for p in self.problems])


class Reconciler:
    def __init__(self, service: TradingService) -> None:
        self.svc = service
        self._read: dict[tuple[str, str], Order | None | Exception] = {}

    def _prefetch(self) -> dict[tuple[str, str], Order | None | Exception]:
        """Every order the reconcile will look at, read from the exchange WITHOUT the trading lock
        (issue 18): the sent-but-unknown orders by client ref, the unbracketed entries and the
        saved positions' stops by id. A failure is kept and raised where the read is used, so
        the report reads exactly as when the reads ran under the lock."""
        read: dict[tuple[str, str], Order | None | Exception] = {}

        def keep(key: tuple[str, str], call: Callable[[], Order | None]) -> None:
            if key in read:
                return
            try:
                read[key] = call()
            except (ExchangeError, ExchangeUnavailable) as exc:
                read[key] = exc

        ex = self.svc.exchange
        for row in self.svc.journal.orders_with_status(["new"]):
            keep(("ref", row.client_ref), partial(ex.find_order_by_client_ref, row.client_ref))
        for row in self.svc.journal.orders_with_status(["closed", "open", "canceled"]):
            if row.exchange_id and self._unbracketed_entry(row):
                keep(("id", row.exchange_id), partial(ex.fetch_order, row.exchange_id))
        stops = {b.stop_order_id for b in self.svc.uow.load().values()}
        stops |= {t.stop_order_id or "" for t in self.svc.journal.open_trades()}
        for stop_id in sorted(stops - {""}):
            keep(("id", stop_id), partial(ex.fetch_order, stop_id))
        return read

    def _order(self, key: tuple[str, str], call: Callable[[], Order | None]) -> Order | None:
        """The order as read before the lock, else (not read, or the reading was discarded) now."""
        if key not in self._read:
            return call()
        found = self._read.pop(key)  # once: a second look at the same order reads it afresh
        if isinstance(found, Exception):
            raise found
        return found

    def run(self) -> ReconcileReport:
        report = ReconcileReport()
        seen = self.svc.version
        self._read = self._prefetch()
        with self.svc.changing():
            if self.svc.version != seen:  # an action landed after the reads: they may be stale
                self._read = {}
            self.svc.positions.load()
            for row in self.svc.journal.orders_with_status(["new"]):
                self._guarded(report, f"order {row.client_ref}", self._settle_new, row, report)
            for row in self.svc.journal.orders_with_status(["closed", "open", "canceled"]):
                if self._unbracketed_entry(row):
                    self._guarded(report, f"entry {row.client_ref}", self._adopt_entry, row, report)
            for bracket in self.svc.brackets():
                self._guarded(report, f"trade {bracket.trade_id}", self._check_stop, bracket, report)
            try:
                self.svc.sync(full=True)
            except (ExchangeError, ExchangeUnavailable) as exc:
                report.problems.append(f"sync: {exc}")
        for line in report.actions + report.problems:
            self.svc.journal.safety("reconcile", line)
        return report

    @staticmethod
    def _guarded(report: ReconcileReport, what: str, step: Callable[..., None], *args: Any) -> None:
        """One item's exchange trouble is a reported problem, not the end of the reconcile."""
        try:
            step(*args)
        except (ExchangeError, ExchangeUnavailable) as exc:
            report.problems.append(f"{what}: {exc} (the next sync tries again)")

    def _settle_new(self, row: OrderRow, report: ReconcileReport) -> None:
        try:
            ref = row.client_ref
            order = self._order(("ref", ref), lambda: self.svc.exchange.find_order_by_client_ref(ref))
        except ExchangeUnavailable as exc:
            report.problems.append(f"order {row.client_ref} unknown (exchange unreachable: {exc})")
            return
        if order is None and self.svc.clock.now_ms() - row.created_ms < self.svc.grace_ms:
            # not an action: it may still appear (Kraken lags new orders); the sync settles it
            logger.bind(client_ref=row.client_ref).info("{} order not shown yet: the sync keeps looking", row.purpose)
            return
        if order is None:
            self.svc.journal.order_update(row.client_ref, status="failed", error="never reached the exchange")
            if row.purpose in ENTRY_PURPOSES:
                self.svc.state.drop_plan(row.client_ref)
            report.actions.append(
                f"{row.purpose} order {row.client_ref} never reached the exchange: marked failed"
            )
            return
        self.svc.journal.order_sent(row.client_ref, order)
        report.actions.append(
            f"adopted {row.purpose} order {order.id} ({order.status}) sent before the restart"
        )
        bracket = self.svc.positions.book.get(row.trade_id) if row.trade_id is not None else None
        if bracket is None:
            return
        if row.purpose == "stop":
            self.svc.positions.adopt_stop(bracket, order)
        elif order.status != "open" and order.side == "sell" and order.filled > 0:
            rest, _ = self.svc.positions.book_sell(bracket, order, row.purpose)  # a rest: sync protects it
            done = "closed" if rest is None else f"partly sold ({rest.amount} left)"
            report.actions.append(f"trade {bracket.trade_id} {done} by its {row.purpose} sell while down")

    def _unbracketed_entry(self, row: OrderRow) -> bool:
        """A buy entry without a trade: closed or open, or canceled (a partly filled entry whose
        rest was canceled) while its plan is still saved, i.e. its bracket was never made."""
        if row.side != "buy" or row.purpose not in ENTRY_PURPOSES or row.trade_id is not None:
            return False
        return row.status != "canceled" or self.svc.state.load_plan(row.client_ref) is not None

    def _adopt_entry(self, row: OrderRow, report: ReconcileReport) -> None:
        try:
            order = self._fetch(row.exchange_id)
        except (OrderNotFound, ExchangeUnavailable) as exc:
            report.problems.append(f"entry {row.client_ref}: cannot read order {row.exchange_id}: {exc}")
            return
        order = finish_partial_limit(self.svc.parts, order)  # a part filled: the rest is canceled
        if order.status == "open" or order.filled <= 0:
            return  # an open limit entry with nothing filled: sync brackets it when it fills
        saved = self.svc.state.load_plan(row.client_ref)
        plan = EntryPlan.from_json(saved) if saved is not None else atr_plan(self.svc.parts, order.pair)
        if plan is None:
            report.problems.append(
                f"filled buy {order.id} has no saved plan and no ATR is known: it has NO stop; "
                f"`flatten {order.pair}` closes it"
            )
            return
        bracket, _ = self.svc.positions.open_from_fill(plan, order, row.client_ref)
        report.actions.append(
            f"buy {order.id} filled before the restart: trade {bracket.trade_id} opened, "
            f"stop {bracket.stop_order_id or 'FAILED'}"
        )

    def _check_stop(self, bracket: Bracket, report: ReconcileReport) -> None:
        order: Order | None = None
        if bracket.stop_order_id:
            try:
                order = self._fetch(bracket.stop_order_id)
            except OrderNotFound:
                order = None
            except ExchangeUnavailable as exc:
                report.problems.append(f"trade {bracket.trade_id}: stop unreadable: {exc}")
                return
        if order is not None and order.status == "open":
            return
        if order is not None and order.status != "open" and order.filled > 0:
            rest, _ = self.svc.positions.book_sell(bracket, order, "stop")
            if rest is None:
                report.actions.append(f"trade {bracket.trade_id} ({bracket.pair}) was stopped out while down")
                return
            report.actions.append(f"trade {bracket.trade_id}: its stop sold part while down; {rest.amount} left")
            bracket = rest
        if not self._holds(bracket):
            with self.svc.uow.change() as tx:
                tx.update_trade(bracket.trade_id, status="closed", exit_reason="missing")
                tx.drop(bracket.trade_id)
            self.svc.positions.book.pop(bracket.trade_id)
            report.problems.append(
                f"trade {bracket.trade_id}: the {bracket.pair} coins are gone; closed as missing"
            )
            return
        _, hit = self.svc.positions.ensure_stop(bracket.with_stop_order(""))
        placed = self.svc.positions.book.get(bracket.trade_id)
        report.actions.append(
            f"trade {bracket.trade_id} ({bracket.pair}) had no stop: placed "
            f"{placed.stop_order_id if placed else 'one (filled at once)' if hit else '?'}"
        )

    def _fetch(self, order_id: str) -> Order:
        found = self._order(("id", order_id), lambda: self.svc.exchange.fetch_order(order_id))
        if found is None:  # fetch_order never answers None; kept for the type
            raise OrderNotFound(order_id)
        return found

    def _holds(self, bracket: Bracket) -> bool:
        """Any of the position's coins still there. Fewer than booked (a fee taken in coins, a
        part sold by hand) is still a position: `ensure_stop` caps the stop to what is held."""
        held = self.svc.positions.held(bracket)
        if held is None:
            base = bracket.pair.split("/")[0]
            held = self.svc.exchange.fetch_balances().total.get(base, Decimal(0))
        return held > 0
