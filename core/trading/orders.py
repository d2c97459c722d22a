"""Sending and cancelling orders safely: client reference first, sent once from here.

Why: a lost response must never turn into a second order. Each order gets a uuid client
reference and an OrderRow (status `new`) BEFORE it is sent. Transport retries live in ONE
layer, the exchange adapter (issue 18: a retry here around the adapter's made one order nine
sends and hid the failures from the circuit breaker). The adapter raises `OrderOutcomeUnknown`
when the order may have executed: the row stays `new`, nothing says "failed", and the next
sync (or reconcile) settles it by its client reference once the exchange shows it.
Cancels are confirmed by reading the order back (about 1.5 % of Kraken cancels were seen
not to happen).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import replace

from core.domain import (
    ExchangeError,
    ExchangeUnavailable,
    Order,
    OrderNotFound,
    OrderOutcomeUnknown,
    OrderRequest,
)
from core.ports import Exchange
from core.trading.prefetch import Moves
from core.trading.types import ActionResult
from core.trading.unit_of_work import TradingJournal

Sleep = Callable[[float], None]
# Raises LeaseLost unless this process still holds the lease on the money (the database says so):
# asked before every send and cancel, so a stale owner never reaches the exchange (issue 19.4).
Fence = Callable[[], None]


def no_fence() -> None:
    """A process that holds no lease by design (in-process tests, backtests): nothing to check."""


def new_client_ref() -> str:
    """A uuid: Kraken's cl_ord_id accepts it, and it is unique across restarts and processes."""
    return str(uuid.uuid4())


def action_failed(journal: TradingJournal, what: str, pair: str, exc: Exception) -> ActionResult:
    """An exchange call refused or unreachable: journal it and answer with a one-line refusal."""
    kind = "transient" if isinstance(exc, ExchangeUnavailable) else "exchange"
    journal.error(f"trading.{what}", kind, f"{pair}: {exc}")
    return ActionResult(False, f"{what} {pair} failed: {exc}", {"pair": pair}, "exchange_error")


class OrderDesk:
    def __init__(
        self,
        exchange: Exchange,
        journal: TradingJournal,
        *,
        attempts: int = 3,
        backoff_s: float = 0.5,
        sleep: Sleep = time.sleep,
        fence: Fence = no_fence,
    ) -> None:
        self.fence = fence
        self.exchange = exchange
        self.journal = journal
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.moves = Moves()  # every send and cancel: a reading taken before it is no longer current

    def send(self, req: OrderRequest, purpose: str, trade_id: int | None = None) -> Order:
        """TradingJournal, send, and settle one order; raises ExchangeError/ExchangeUnavailable."""
        if not req.client_ref:
            req = replace(req, client_ref=new_client_ref())
        self.fence()  # before anything is written or sent: a refused order leaves no trace but the log
        self.moves.bump()
        self.journal.order_new(req, purpose, trade_id)
        order = self._send_once_or_find(req)
        order = self.settle(order)
        self.journal.order_sent(req.client_ref, order)
        return order

    def _send_once_or_find(self, req: OrderRequest) -> Order:
        """One send; the adapter already looked the order up after a lost answer."""
        try:
            return self.exchange.create_order(req)
        except OrderOutcomeUnknown as exc:
            self.journal.order_update(req.client_ref, error=f"unknown outcome: {exc}"[:500])
            raise
        except (ExchangeError, ExchangeUnavailable) as exc:  # refused, or proved not placed
            self.journal.order_update(req.client_ref, status="failed", error=str(exc)[:500])
            raise

    def settle(self, order: Order) -> Order:
        """A market order Kraken accepted may report its fill a moment later: read it back."""
        for attempt in range(self.attempts):
            if order.type != "market" or order.status != "open":
                return order
            self.sleep(self.backoff_s * 2**attempt)
            try:
                order = self.exchange.fetch_order(order.id)
            except (ExchangeUnavailable, OrderNotFound):  # not visible yet: Kraken lags fills
                continue
        return order

    def cancel_confirmed(self, order_id: str) -> Order:
        """Cancel and read back; returns the final order (canceled, or closed if it filled first)."""
        self.fence()
        self.moves.bump()
        last_error: Exception | None = None
        for attempt in range(self.attempts):
            try:
                try:
                    self.exchange.cancel_order(order_id)
                except OrderNotFound:
                    pass  # already closed or canceled: the read-back says which
                order = self.exchange.fetch_order(order_id)
                if order.status != "open":
                    row = self.journal.order_by_exchange_id(order_id)
                    if row is not None:
                        self.journal.order_update(row.client_ref, status=order.status)
                    return order
            except ExchangeUnavailable as exc:
                last_error = exc
            self.sleep(self.backoff_s * 2**attempt)
        raise ExchangeUnavailable(f"cancel of {order_id} not confirmed: {last_error or 'still open'}")
