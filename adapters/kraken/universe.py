"""Kraken's pair list with 24h figures for the universe: AssetPairs + ONE batched Ticker call.

Why `fetch_tickers()` without symbols: ccxt then sends `GET /0/public/Ticker` with no `pair`,
and Kraken answers every pair in one response — one call instead of one per pair, well inside
the public rate limit. ccxt maps Kraken's `a`/`b` (best ask/bid of the book) to ask/bid and
`v[1]` (24h volume in the base currency) to baseVolume. Calls go through the exchange's guard
(retries + circuit breaker) when there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from adapters.kraken.guard import own_decimal_context
from adapters.kraken.mapping import market_from_ccxt
from core.markets.universe import PairStats

T = TypeVar("T")
Read = Callable[[str, Callable[[], Any]], Any]


def _direct(name: str, fn: Callable[[], T]) -> T:
    del name
    return own_decimal_context(fn)()


def _num(value: object) -> float | None:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return out if out == out else None


class KrakenUniverseSource:
    def __init__(self, client: Any, read: Read | None = None) -> None:
        self._client, self._read = client, read or _direct

    def pair_stats(self) -> list[PairStats]:
        markets: dict[str, Any] = self._read("universe_markets", lambda: self._client.load_markets(reload=True))
        tickers: dict[str, Any] = self._read("universe_tickers", lambda: self._client.fetch_tickers())
        out: list[PairStats] = []
        for symbol, m in markets.items():
            if not m.get("spot", True):
                continue
            market = market_from_ccxt(m)
            t = tickers.get(symbol) or {}
            status = str((m.get("info") or {}).get("status") or "online")
            out.append(PairStats(
                pair=market.pair, quote=market.quote, online=bool(m.get("active", True)) and status == "online",
                last=_num(t.get("last")), bid=_num(t.get("bid")), ask=_num(t.get("ask")),
                volume_base_24h=_num(t.get("baseVolume")),
            ))
        return out
