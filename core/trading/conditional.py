"""The stop the exchange attaches to an entry (Kraken's conditional close), and Zyn's hold on it.

Why: a stop Zyn places after it sees the fill leaves the coins naked from the fill until that
second order lands (seconds on Kraken's REST). An entry sent with a conditional close
(`close[ordertype]=stop-loss`, `close[price]`) makes the exchange place the stop the instant the
entry fills. It is one-triggers-other, not a bracket: each fill of the entry gets its own stop
the size of that fill (Kraken's docs), and once placed each is an ordinary order that Zyn must
still size, cancel on exit and replace. So the money-paths invariant stays Zyn's: when the
entry is bracketed, `settle_stop` looks the exchange's stops up (by the entry's client
reference, which the adapter turns into the `userref` the stops carry) and
- adopts the one stop that covers exactly the position (the usual market entry);
- otherwise (a partial fill gave several, or one of another size) cancels them all, confirmed,
  books anything they sold, and places ONE stop of its own for what is held (resizing);
- finds none (the pair or mode cannot, or the exchange refused it): places its own (fallback).
Never both live: Zyn's own stop is sent only after every exchange-placed one is confirmed gone.
Exchanges without the capability (paper) get no `close_stop`: Zyn places the stop as before.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol, runtime_checkable

from loguru import logger

from core.domain import Order
from core.ports import Exchange

CONDITIONAL_KEY = "conditional_stop"  # EntryPlan.meta: the price the entry's close was sent with


@runtime_checkable
class ConditionalCloseExchange(Protocol):
    """The optional exchange capability (the Kraken adapter has it; the paper exchange does not)."""

    def supports_conditional_close(self, pair: str) -> bool: ...

    def conditional_stops(self, client_ref: str) -> list[Order]: ...


def capable(exchange: Exchange, pair: str) -> ConditionalCloseExchange | None:
    if isinstance(exchange, ConditionalCloseExchange) and exchange.supports_conditional_close(pair):
        return exchange
    return None


def rounded(price: Decimal, decimals: int | None) -> Decimal:
    """The stop price as it is sent: at the pair's price decimals (as `place_stop` rounds)."""
    if decimals is None:
        return price
    return price.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def log_choice(pair: str, trade_id: int, what: str, stops: list[Order]) -> None:
    logger.bind(pair=pair, action="conditional_stop", trade_id=trade_id).info(
        "trade {}: {} ({} exchange-placed stop(s): {})", trade_id, what, len(stops),
        ", ".join(f"{s.id}={s.amount}" for s in stops) or "none",
    )
