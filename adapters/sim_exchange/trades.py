"""Kraken's public `Trades` endpoint for the sim: a trade tape synthesised from the replayed candles.

Kraken's answer (docs.kraken.com, "Get Recent Trades"): `{"<PAIR ID>": [[price, volume, time,
"b"|"s", "m"|"l", misc, trade_id], ...], "last": "<cursor>"}`, oldest first, at most `count`
(1..1000, default 1000) trades after `since`; `last` is a nanosecond timestamp string, the cursor
a client passes back as `since` to read the next page. `since` may also be plain Unix seconds.

How the tape is made, so that aggregating it gives back exactly the candles it came from: each
candle with volume becomes four trades inside its interval, at 1/8, 3/8, 5/8 and 7/8 of it —
the open, then the low and the high (low first on an up candle, high first on a down one, the
path the paper engine walks), then the close — each a quarter of the volume (the last one takes
the rounding rest), so first = open, max = high, min = low, last = close and the volumes add up
to the candle's. A candle without volume has no trades (Kraken writes no candle for an interval
without trades, so aggregation leaves the same gap). Only candles that have closed on the
replay clock are on the tape: the sim never shows a trade from the future. Trade ids grow in
time order (candle number x 4 + 1..4, so a candle without trades leaves a gap); a buy ("b")
is a trade at or above the one before, a sell below; the open and close are limit ("l")
trades, the extremes market ("m") ones.
"""

from __future__ import annotations

import bisect
from typing import Any

from adapters.sim_exchange.context import KrakenError, SimContext
from adapters.sim_exchange.kraken_format import num
from core.domain import Candle

MAX_COUNT = 1000
PER_CANDLE = 4
NS_PER_MS = 1_000_000
_FRACTIONS = (1, 3, 5, 7)  # eighths of the interval


def trades(ctx: SimContext, params: dict[str, str]) -> dict[str, Any]:
    pair = ctx.pair(params.get("pair", ""))
    m = ctx.market(pair)
    count = _count(params.get("count", ""))
    since_ns = _since_ns(params.get("since", ""))
    rows = ctx.candles.closed_rows(pair, ctx.clock.now_ms())
    tf_ms = ctx.candles.base_tf_ms(pair) or 60_000
    tape = _tape_after(rows, tf_ms, since_ns, count, m.pair_decimals)
    last = tape[-1][0] if tape else (since_ns if since_ns is not None else 0)
    return {m.exchange_id: [row for _, row in tape], "last": str(last)}


def _count(raw: str) -> int:
    if not raw.strip():
        return MAX_COUNT
    try:
        value = int(raw)
    except ValueError:
        raise KrakenError("EGeneral:Invalid arguments:count") from None
    if not 1 <= value <= MAX_COUNT:
        raise KrakenError("EGeneral:Invalid arguments:count")
    return value


def _since_ns(raw: str) -> int | None:
    """Kraken's `since`: the nanosecond cursor from `last`, or Unix seconds (maybe fractional)."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = float(raw) if "." in raw else int(raw)
    except ValueError:
        raise KrakenError("EGeneral:Invalid arguments:since") from None
    if value < 0:
        raise KrakenError("EGeneral:Invalid arguments:since")
    return int(value) if value >= 10**14 else int(value * 1_000_000_000)


def candle_trades(candle: Candle, tf_ms: int) -> list[tuple[int, float, float]]:
    """The four (time ns, price, volume) trades of one candle (see the module docstring)."""
    if candle.volume <= 0:
        return []
    up = candle.close >= candle.open
    prices = (candle.open, candle.low if up else candle.high, candle.high if up else candle.low, candle.close)
    quarter = round(candle.volume / PER_CANDLE, 8)
    volumes = (quarter, quarter, quarter, max(0.0, candle.volume - 3 * quarter))
    return [
        ((candle.ts * NS_PER_MS) + tf_ms * NS_PER_MS * f // 8, p, v)
        for f, p, v in zip(_FRACTIONS, prices, volumes, strict=True)
    ]


def _tape_after(
    rows: list[Candle], tf_ms: int, since_ns: int | None, count: int, decimals: int
) -> list[tuple[int, list[Any]]]:
    """Up to `count` tape rows strictly after `since_ns` (the newest `count` when None)."""
    if since_ns is None:
        start = max(0, len(rows) - count)  # at least `count` trades: each candle has at most 4
    else:
        stamps = [c.ts for c in rows]
        start = max(0, bisect.bisect_right(stamps, since_ns // NS_PER_MS) - 1)
    out: list[tuple[int, list[Any]]] = []
    prev_price = rows[start - 1].close if start > 0 else None
    for i in range(start, len(rows)):
        for k, (t_ns, price, volume) in enumerate(candle_trades(rows[i], tf_ms)):
            side = "b" if prev_price is None or price >= prev_price else "s"
            prev_price = price
            if since_ns is not None and t_ns <= since_ns:
                continue
            kind = "l" if k in (0, PER_CANDLE - 1) else "m"
            row = [num(price, decimals), num(volume, 8), round(t_ns / 1e9, 4), side, kind, "", i * PER_CANDLE + k + 1]
            out.append((t_ns, row))
        if since_ns is not None and len(out) >= count:
            break
    return out[:count] if since_ns is not None else out[-count:]
