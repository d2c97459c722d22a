"""Kraken public endpoints of the sim: Time, SystemStatus, Assets, AssetPairs, Ticker, OHLC, Depth,
Trades (a tape synthesised from the candles: `adapters.sim_exchange.trades`).

Why these shapes: they are what ccxt's kraken class reads in `load_markets`, `fetch_ticker`,
`fetch_ohlcv` and `fetch_order_book` (see docs OUTSIDE.md); results are keyed by Kraken's pair
ids (XXBTZUSD) whatever name the client asked with, as Kraken does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

from adapters.sim_exchange.context import KrakenError, SimContext, kraken_error
from adapters.sim_exchange.kraken_format import (
    asset_code,
    asset_entry,
    num,
    ohlc_row,
    pair_entry,
    ticker_entry,
)
from adapters.sim_exchange.trades import trades
from core.domain import Ticker, ZynError

Handler = Callable[[SimContext, dict[str, str]], Any]
INTERVALS = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)


def time_(ctx: SimContext, params: dict[str, str]) -> dict[str, Any]:
    now = ctx.clock.now()
    return {"unixtime": ctx.clock.now_ms() // 1000, "rfc1123": format_datetime(now, usegmt=True)}


def system_status(ctx: SimContext, params: dict[str, str]) -> dict[str, Any]:
    now = datetime.fromtimestamp(ctx.clock.now_ms() / 1000, tz=UTC)
    return {"status": "online", "timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ")}


def assets(ctx: SimContext, params: dict[str, str]) -> dict[str, Any]:
    names: set[str] = set()
    for m in ctx.markets.values():
        names.update((m.base, m.quote))
    out = {asset_code(n): asset_entry(n) for n in sorted(names)}
    wanted = {a.strip().upper() for a in params.get("asset", "").split(",") if a.strip()}
    if wanted:
        out = {k: v for k, v in out.items() if k in wanted or v["altname"] in wanted}
        if not out:
            raise KrakenError("EQuery:Unknown asset")
    return out


def asset_pairs(ctx: SimContext, params: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in ctx.pairs_arg(params):
        m = ctx.market(pair)
        out[m.exchange_id] = pair_entry(m, ctx.exchange.fee_rate(pair))
    return out


def ticker(ctx: SimContext, params: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    now = ctx.clock.now_ms()
    for pair in ctx.pairs_arg(params):
        m = ctx.market(pair)
        t = _ticker(ctx, pair)
        if t is None:
            continue  # no price yet: Kraken would not list a pair without trades either
        out[m.exchange_id] = ticker_entry(t, ctx.candles.last_day(pair, now), m.pair_decimals)
    if not out and params.get("pair"):
        raise KrakenError("EService:Unavailable")
    return out


def _ticker(ctx: SimContext, pair: str) -> Ticker | None:
    try:
        return ctx.exchange.fetch_ticker(pair)
    except ZynError:
        return None


def ohlc(ctx: SimContext, params: dict[str, str]) -> dict[str, Any]:
    pair = ctx.pair(params.get("pair", ""))
    m = ctx.market(pair)
    try:
        interval = int(params.get("interval", "1"))
        since = int(float(params["since"])) * 1000 if params.get("since") else None
    except ValueError:
        raise KrakenError("EGeneral:Invalid arguments") from None
    if interval not in INTERVALS:
        raise KrakenError("EGeneral:Invalid arguments")
    try:
        rows, last = ctx.candles.ohlc(pair, interval * 60_000, since, ctx.clock.now_ms())
    except ValueError:
        raise KrakenError("EGeneral:Invalid arguments:interval") from None
    return {m.exchange_id: [ohlc_row(c, m.pair_decimals) for c in rows], "last": last // 1000}


def depth(ctx: SimContext, params: dict[str, str]) -> dict[str, Any]:
    """A synthetic book around the last price (the paper engine has no depth of its own)."""
    pair = ctx.pair(params.get("pair", ""))
    m = ctx.market(pair)
    try:
        count = max(1, min(500, int(params.get("count", "10"))))
    except ValueError:
        raise KrakenError("EGeneral:Invalid arguments:count") from None
    t = _ticker(ctx, pair)
    if t is None:
        raise KrakenError("EService:Unavailable")
    ts = ctx.clock.now_ms() // 1000
    step = max(t.last * Decimal("0.0001"), Decimal(1).scaleb(-m.pair_decimals))
    asks = [[num(t.ask + step * i, m.pair_decimals), "1.000", ts] for i in range(count)]
    bids = [[num(t.bid - step * i, m.pair_decimals), "1.000", ts] for i in range(count)]
    return {m.exchange_id: {"asks": asks, "bids": bids}}


PUBLIC: dict[str, Handler] = {
    "Time": time_,
    "SystemStatus": system_status,
    "Assets": assets,
    "AssetPairs": asset_pairs,
    "Ticker": ticker,
    "OHLC": ohlc,
    "Depth": depth,
    "Trades": trades,
}

__all__ = ["PUBLIC", "Handler", "kraken_error"]
