"""Fills as they happen: Kraken's WebSocket v2 `executions` channel, authenticated by a REST token.

Why: REST shows a fill only when Zyn next asks (and Kraken's REST can lag fills by seconds); the
`executions` channel pushes every execution the moment the engine makes it. Each (re)connection
asks REST `GetWebSocketsToken` for a fresh token (they are short-lived) and subscribes with it.
A `trade` event becomes an `ExecutionFill` whose `remaining` is computed from the amounts
(`order_qty - cum_qty`): Kraken may label the fill that completes an order "partially_filled".
REST reconciliation stays the authority at start-up and after a reconnect: this stream only tells
Zyn early (`on_fill`), it books nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from loguru import logger

from adapters.kraken.ws_candles import parse_rfc3339_ms
from adapters.kraken.ws_client import KrakenSocket

log = logger.bind(component="kraken_ws")
CHANGES = ("canceled", "expired", "triggered", "restated")  # status events that move an order without a fill


@dataclass(frozen=True)
class ExecutionFill:
    order_id: str
    exec_id: str
    pair: str  # v2 symbol = Zyn's BASE/QUOTE
    side: str
    amount: Decimal  # this fill
    price: Decimal
    cum_qty: Decimal
    order_qty: Decimal
    ts_ms: int
    label: str  # Kraken's order_status on the event (not trusted for what remains)
    client_ref: str = ""
    order_type: str = ""
    avg_price: Decimal | None = None  # the order's average so far (Kraken's `avg_price`)
    fee: Decimal = Decimal(0)  # this fill's fees (Kraken's `fees[].qty`, in the quote currency)

    @property
    def remaining(self) -> Decimal:
        return max(Decimal(0), self.order_qty - self.cum_qty)

    @property
    def complete(self) -> bool:
        return self.remaining == 0


def _dec(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError(f"not a number: {value!r}") from None


def parse_fill(item: dict[str, Any]) -> ExecutionFill | None:
    """A `trade` execution report -> ExecutionFill; anything else -> None."""
    if item.get("exec_type") != "trade":
        return None
    return ExecutionFill(
        order_id=str(item["order_id"]), exec_id=str(item.get("exec_id", "")), pair=str(item["symbol"]),
        side=str(item["side"]), amount=_dec(item["last_qty"]), price=_dec(item["last_price"]),
        cum_qty=_dec(item["cum_qty"]), order_qty=_dec(item["order_qty"]),
        ts_ms=parse_rfc3339_ms(str(item["timestamp"])) if item.get("timestamp") else 0,
        label=str(item.get("order_status", "")), client_ref=str(item.get("cl_ord_id", "")),
        order_type=str(item.get("order_type", "")),
        avg_price=_dec(item["avg_price"]) if item.get("avg_price") is not None else None,
        fee=sum((_dec(f.get("qty", 0)) for f in item.get("fees") or [] if isinstance(f, dict)), Decimal(0)),
    )


class ExecutionStream:
    def __init__(self, url: str, token: Callable[[], str], on_fill: Callable[[ExecutionFill], None],
                 *, stall_s: float = 10.0, backoff_s: float = 0.5,
                 on_state: Callable[[str], None] | None = None,
                 on_change: Callable[[str, str], None] | None = None) -> None:
        """`on_state("subscribed" | "closed")`: the stream (re)started or ended; what the socket did
        not carry meanwhile is for REST to find (the bridge wakes a sync on both).
        `on_change(order_id, exec_type)`: a status event without a fill that ends or moves an
        order (`canceled`, `expired`, a stop `triggered`)."""
        self._token, self._on_fill = token, on_fill
        self._on_state = on_state or (lambda _state: None)
        self._on_change = on_change or (lambda _order_id, _what: None)
        self.subscribed = False
        self.refusal = ""
        self.socket = KrakenSocket(url, self._subscriptions, self._on_message, stall_s=stall_s, backoff_s=backoff_s,
                                   on_closed=self._closed)

    def start(self) -> None:
        self.socket.start()

    def stop(self) -> None:
        self.socket.stop()

    def _subscriptions(self) -> list[dict[str, Any]]:
        self.subscribed = False
        return [{"method": "subscribe", "params": {"channel": "executions", "token": self._token(),
                                                   "snap_orders": True, "snap_trades": False},
                 "req_id": self.socket.request_id()}]

    def _closed(self) -> None:
        self.subscribed = False
        self._on_state("closed")

    def _on_message(self, message: dict[str, Any]) -> None:
        if message.get("method") == "subscribe":
            self.subscribed = bool(message.get("success"))
            self.refusal = "" if self.subscribed else str(message.get("error", "refused"))
            if not self.subscribed:
                log.bind(error=self.refusal).warning("executions subscription refused: {}", self.refusal)
            else:
                self._on_state("subscribed")
            return
        if message.get("channel") != "executions" or message.get("type") != "update":
            return
        for item in message.get("data") or []:
            try:
                fill = parse_fill(item) if isinstance(item, dict) else None
            except (KeyError, ValueError) as exc:
                log.bind(error=type(exc).__name__).warning("execution report skipped: {}", exc)
                continue
            if fill is None and isinstance(item, dict) and item.get("exec_type") in CHANGES and item.get("order_id"):
                log.bind(order_id=str(item["order_id"]), exec_type=str(item["exec_type"])).info(
                    "order change pushed by executions")
                self._on_change(str(item["order_id"]), str(item["exec_type"]))
            if fill is not None:
                log.bind(order_id=fill.order_id, pair=fill.pair, amount=str(fill.amount),
                         remaining=str(fill.remaining)).info("fill pushed by executions")
                self._on_fill(fill)
