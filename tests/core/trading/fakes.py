"""Small in-memory fakes of ports for the trading tests (the exchange itself is the real paper one)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any, TypeVar

from core.domain import (
    Balances,
    Candle,
    ExchangeUnavailable,
    InsufficientFunds,
    Order,
    OrderNotFound,
    OrderOutcomeUnknown,
    OrderRequest,
)
from core.paper.exchange import PaperExchange
from core.trading.bus import EventBus

T = TypeVar("T")


class Heard:
    """What trading published on its bus, in order (the owner's alerts are made of these)."""

    def __init__(self, bus: EventBus, *kinds: type) -> None:
        self.events: list[object] = []
        for kind in kinds or (object,):
            bus.subscribe(kind, self.events.append)

    def of(self, kind: type[T]) -> list[T]:
        return [e for e in self.events if isinstance(e, kind)]


class FlakyExchange:
    """A PaperExchange whose create_order fails transiently.

    `lose_responses`: the order IS placed, then the response is lost (OrderOutcomeUnknown, as the
    adapter raises it when a look-up does not show the order yet).
    `refuse`: the call fails before reaching the exchange. Both count down per matching call.
    """

    name = "flaky"

    def __init__(
        self, inner: PaperExchange, *, lose_responses: int = 0, refuse: int = 0, side: str = ""
    ) -> None:
        self.inner, self.lose_responses, self.refuse, self.side = inner, lose_responses, refuse, side
        self.create_calls = 0

    def create_order(self, request: OrderRequest) -> Order:
        self.create_calls += 1
        if self.side and request.side != self.side:
            return self.inner.create_order(request)
        if self.refuse > 0:
            self.refuse -= 1
            raise ExchangeUnavailable("EService:Unavailable")
        order = self.inner.create_order(request)
        if self.lose_responses > 0:
            self.lose_responses -= 1
            raise OrderOutcomeUnknown("connection reset")
        return order

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class ListFeed:
    """A MarketFeed that serves fixed candles (or none)."""

    def __init__(self, candles: dict[str, list[Candle]] | None = None) -> None:
        self.candles = candles or {}

    def pairs(self) -> Sequence[str]:
        return sorted(self.candles)

    def closed_candles(self, pair: str, timeframe: str, limit: int = 200) -> list[Candle]:
        return self.candles.get(pair, [])[-limit:]

    def last_price(self, pair: str) -> float | None:
        data = self.candles.get(pair)
        return data[-1].close if data else None


class OpenBreaker:
    state = "open"


class PartialFills:
    """A PaperExchange that can fill in part (the paper engine always fills whole orders).

    `buy_part`: the next market buy fills only this amount and stays open (cancel -> canceled
    with that part filled). `partial_stop(id, amount)`: a resting stop sells `amount` now and
    keeps resting for the rest (one part per stop). `coin_fee`: every market buy loses this many
    coins, as if the fee were charged in the base currency. `cancel_down`: cancels that fail.
    No fill listener, so the service checks every stop on each sync.
    """

    name = "partial"
    add_fill_listener = None

    def __init__(self, inner: PaperExchange) -> None:
        self.inner = inner
        self.buy_part: Decimal | None = None
        self.coin_fee = Decimal(0)
        self.cancel_down = 0
        self.views: dict[str, Order] = {}  # partly filled market buys, as reported
        self.rest_of: dict[str, str] = {}  # partly filled stop id -> inner stop holding the rest
        self.parts: dict[str, Order] = {}  # partly filled stop id -> the sell of its part
        self.withheld: dict[str, Decimal] = {}
        self.fill_on_cancel: Decimal | None = None  # a limit part that fills as the cancel arrives

    def create_order(self, request: OrderRequest) -> Order:
        base = request.pair.split("/")[0]
        if request.type == "market" and request.side == "buy" and self.buy_part is not None:
            part, self.buy_part = self.buy_part, None
            done = self.inner.create_order(replace(request, amount=part))
            self.views[done.id] = replace(done, amount=request.amount, status="open", closed_ms=None)
            return self.views[done.id]
        if request.side == "sell" and request.amount > self._free(base):
            raise InsufficientFunds("EOrder:Insufficient funds")
        order = self.inner.create_order(request)
        if request.side == "buy" and request.type == "market" and self.coin_fee:
            self.withheld[base] = self.withheld.get(base, Decimal(0)) + self.coin_fee
        return order

    def partial_stop(self, stop_id: str, amount: Decimal, at: Decimal, after: Decimal) -> None:
        """The stop sells `amount` at `at`, then the price moves back up to `after`."""
        stop = self.inner.fetch_order(stop_id)
        ts = self.inner.fetch_ticker(stop.pair).ts_ms
        self.inner.cancel_order(stop_id)
        self.inner.set_price(stop.pair, at, ts)
        self.parts[stop_id] = self.inner.create_order(OrderRequest(stop.pair, "sell", "market", amount))
        self.inner.set_price(stop.pair, after, ts)
        rest = self.inner.create_order(
            OrderRequest(stop.pair, "sell", "stop-loss", stop.amount - amount, stop.price)
        )
        self.rest_of[stop_id] = rest.id

    def fill_limit(self, order_id: str, amount: Decimal) -> None:
        """The resting limit buy `order_id` fills `amount` more at its price and keeps resting for
        the rest (held as a view; the inner order is canceled); all filled closes it."""
        view = self.views.get(order_id)
        if view is None:
            view = self.inner.fetch_order(order_id)
            self.inner.cancel_order(order_id)
        assert view.price is not None  # noqa: S101 - a limit order
        ticker = self.inner.fetch_ticker(view.pair)
        self.inner.set_price(view.pair, view.price, ticker.ts_ms)
        part = self.inner.create_order(OrderRequest(view.pair, "buy", "market", amount))
        self.inner.set_price(view.pair, ticker.last, ticker.ts_ms)
        filled = view.filled + part.filled
        value = view.filled * (view.average_price or 0) + part.filled * (part.average_price or 0)
        done = filled >= view.amount
        self.views[order_id] = replace(
            view, status="closed" if done else "open", filled=filled, average_price=value / filled,
            fee=view.fee + part.fee, closed_ms=ticker.ts_ms if done else None,
        )

    def fetch_order(self, order_id: str) -> Order:
        if order_id in self.rest_of:
            return self._stop_view(order_id)
        return self.views.get(order_id) or self.inner.fetch_order(order_id)

    def fetch_orders(self, order_ids: Sequence[str]) -> dict[str, Order]:
        return {i: self.fetch_order(i) for i in order_ids if i in self.rest_of or i in self.views
                or i in self.inner.fetch_orders([i])}

    def _stop_view(self, stop_id: str) -> Order:
        part, rest = self.parts[stop_id], self.inner.fetch_order(self.rest_of[stop_id])
        filled = part.filled + rest.filled
        value = part.filled * (part.average_price or 0) + rest.filled * (rest.average_price or 0)
        return replace(
            self.inner.fetch_order(stop_id),
            status=rest.status,
            filled=filled,
            average_price=value / filled,
            fee=part.fee + rest.fee,
            closed_ms=rest.closed_ms,
        )

    def cancel_order(self, order_id: str) -> None:
        if self.cancel_down > 0:
            self.cancel_down -= 1
            raise ExchangeUnavailable("EService:Unavailable")
        view = self.views.get(order_id)
        if view is not None and self.fill_on_cancel is not None:
            part, self.fill_on_cancel = self.fill_on_cancel, None
            self.fill_limit(order_id, part)
            view = self.views[order_id]
        if view is not None:
            if view.status != "open":
                raise OrderNotFound("EOrder:Unknown order")
            self.views[order_id] = replace(view, status="canceled", closed_ms=view.created_ms)
            return
        self.inner.cancel_order(self.rest_of.get(order_id, order_id))

    def find_order_by_client_ref(self, client_ref: str) -> Order | None:
        found = self.inner.find_order_by_client_ref(client_ref)
        return self.fetch_order(found.id) if found is not None else None

    def fetch_open_orders(self, pair: str | None = None) -> list[Order]:
        inner_of = {rest: stop for stop, rest in self.rest_of.items()}
        orders = [self.fetch_order(inner_of.get(o.id, o.id)) for o in self.inner.fetch_open_orders(pair)]
        return orders + [v for v in self.views.values() if v.status == "open"]

    def fetch_balances(self) -> Balances:
        bal = self.inner.fetch_balances()
        less = self.withheld
        return Balances(
            total={a: v - less.get(a, Decimal(0)) for a, v in bal.total.items()},
            free={a: v - less.get(a, Decimal(0)) for a, v in bal.free.items()},
        )

    def _free(self, asset: str) -> Decimal:
        return self.fetch_balances().free.get(asset, Decimal(0))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class Scripted:
    """A PaperExchange with scripted transient failures and a log of what was sent."""

    name = "scripted"

    def __init__(self, inner: PaperExchange) -> None:
        self.inner = inner
        self.sent: list[OrderRequest] = []
        self.fail_create: dict[str, Exception] = {}  # order type -> error after placing (lost answer)
        self.refuse_create: dict[str, list[Exception]] = {}  # order type -> errors before placing
        self.lookup_down = 0
        self.balances_down = 0  # fetch_balances calls that fail (exchange unreachable)

    def create_order(self, request: OrderRequest) -> Order:
        self.sent.append(request)
        refused = self.refuse_create.get(request.type)
        if refused:
            raise refused.pop(0)
        order = self.inner.create_order(request)
        lost = self.fail_create.pop(request.type, None)
        if lost is not None:
            raise lost
        return order

    def find_order_by_client_ref(self, client_ref: str) -> Order | None:
        if self.lookup_down > 0:
            self.lookup_down -= 1
            raise ExchangeUnavailable("EService:Unavailable")
        return self.inner.find_order_by_client_ref(client_ref)

    def fetch_balances(self) -> Balances:
        if self.balances_down > 0:
            self.balances_down -= 1
            raise ExchangeUnavailable("EService:Unavailable")
        return self.inner.fetch_balances()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
