"""Multi-timeframe confirmation (feature `mtf`), exactly as pinned in DESIGN.md.

An entry signal at the close of candle t counts only if, for every confirming timeframe H, the
last *completed* UTC-aligned H bucket closed above the SMA20 of the last 20 completed bucket
closes. A bucket is completed when t's close time (t.ts + trading timeframe) has reached the
bucket's end; its close is the close of its last candle. Fewer than 20 completed buckets: no
entry. Only candles up to t are read, so no later candle can change the verdict (no look-ahead).
"""

from __future__ import annotations

from collections.abc import Sequence

from core.domain import Candle, UserError
from core.markets.timeframes import timeframe_ms

SMA_PERIOD = 20
DEFAULT_CONFIRMING = ("4h", "1d")


def confirming_timeframes(trading_tf: str, configured: Sequence[str] = ()) -> tuple[str, ...]:
    """The confirming timeframes: `configured` (checked), else 4h and 1d where above `trading_tf`."""
    base = timeframe_ms(trading_tf)
    if not configured:
        return tuple(h for h in DEFAULT_CONFIRMING if timeframe_ms(h) > base)
    for h in configured:
        width = timeframe_ms(h)
        if width <= base or width % base:
            raise UserError(
                f"ZYN_MTF_TIMEFRAMES: {h} must be a multiple of the trading timeframe {trading_tf} and above it"
            )
    return tuple(configured)


def completed_closes(candles: Sequence[Candle], end: int, tf_ms: int, h_ms: int, need: int) -> list[float]:
    """Closes of the last `need` completed H buckets at the close of candles[end], oldest first.

    Walks back from `end` only as far as needed (a backtest calls this on every entry signal).
    """
    close_time = candles[end].ts + tf_ms
    out: list[float] = []
    current: int | None = None
    for i in range(end, -1, -1):
        c = candles[i]
        start = c.ts - c.ts % h_ms
        if start == current:
            continue
        current = start
        if start + h_ms > close_time:
            continue  # the bucket t is in has not ended yet
        out.append(c.close)  # walking backwards: the first candle met is the bucket's last
        if len(out) == need:
            break
    out.reverse()
    return out


def check(candles: Sequence[Candle], end: int, trading_tf: str, confirming: Sequence[str]) -> str | None:
    """None if the signal at candles[end] is confirmed, else the reason it is not.

    The reason names the first timeframe that fails, e.g. "4h close below its SMA20".
    """
    tf_ms = timeframe_ms(trading_tf)
    for h in confirming:
        closes = completed_closes(candles, end, tf_ms, timeframe_ms(h), SMA_PERIOD)
        if len(closes) < SMA_PERIOD:
            return f"{h}: only {len(closes)} completed candles, {SMA_PERIOD} needed for its SMA20"
        sma = sum(closes) / SMA_PERIOD
        if not closes[-1] > sma:
            return f"{h} close below its SMA20 ({closes[-1]:.6g} <= {sma:.6g})"
    return None


def history_needed(trading_tf: str, confirming: Sequence[str]) -> int:
    """Trading-timeframe candles the autopilot must fetch so the longest H has 20 completed buckets."""
    if not confirming:
        return 0
    longest = max(timeframe_ms(h) for h in confirming)
    return (SMA_PERIOD + 2) * longest // timeframe_ms(trading_tf)
