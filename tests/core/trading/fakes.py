"""Small in-memory fakes of ports for the trading tests (the exchange itself is the real paper one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.domain import Candle, Event, ExchangeUnavailable, Order, OrderRequest
from core.paper.exchange import PaperExchange


class RecordingNotifier:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def notify(self, event: Event) -> None:
        self.events.append(event)


class FlakyExchange:
    """A PaperExchange whose create_order fails transiently.

    `lose_responses`: the order IS placed, then the response is lost (ExchangeUnavailable).
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
            raise ExchangeUnavailable("connection reset")
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
