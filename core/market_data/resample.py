"""Coarser candles from finer ones (1h -> 4h), aligned to the Unix epoch (so 4h = 00,04,...UTC).

Buckets with no source candle (a trading gap) produce no candle; a trailing bucket whose time
is not over yet is dropped (it is still forming).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import copysign

from core.domain import Candle, UserError
from core.markets.timeframes import bucket_start, timeframe_ms


def resample(candles: Sequence[Candle], source_tf: str, target_tf: str) -> list[Candle]:
    src, dst = timeframe_ms(source_tf), timeframe_ms(target_tf)
    if dst == src:
        return list(candles)
    if dst < src or dst % src:
        raise UserError(f"cannot build {target_tf} candles from {source_tf} candles")
    out: list[Candle] = []
    cur: list[Candle] = []
    cur_start = -1
    for c in candles:
        start = bucket_start(c.ts, dst)
        if start != cur_start and cur:
            out.append(merge_bucket(cur, dst))
            cur = []
        cur_start = start
        cur.append(c)
    if cur and cur[-1].ts + src >= cur_start + dst:
        out.append(merge_bucket(cur, dst))
    return out


def merge_bucket(group: Sequence[Candle], width: int) -> Candle:
    """One coarser candle from consecutive finer ones of the same bucket (replay uses it too).

    A bucket of one candle already aligned to it (1h traded on 1h candles) is that candle itself:
    Candle is frozen, and the copy was most of the soak's live growth (issue 20.5: the replay's history
    held a new Candle, ts int and volume float, 136 bytes, for every closed candle beside the original
    it already holds: ~0.75 MB per simulated day at 240 pairs, where the history is not trimmed before
    day 44). A volume of -0.0 is still copied: the sum makes it 0.0."""
    first = group[0]
    start = bucket_start(first.ts, width)
    if len(group) == 1 and first.ts == start and copysign(1.0, first.volume) > 0:
        return first
    return Candle(
        ts=start,
        open=group[0].open,
        high=max(c.high for c in group),
        low=min(c.low for c in group),
        close=group[-1].close,
        volume=sum(c.volume for c in group),
    )
