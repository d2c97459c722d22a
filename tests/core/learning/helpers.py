"""Synthetic trade sets for the learning tests."""

from __future__ import annotations

from core.learning.analyzer import TradeRecord

H = 3_600_000
MONDAY = 1_704_067_200_000  # 2024-01-01 00:00 UTC, a Monday


def record(
    entry_ts: int,
    r: float,
    *,
    pair: str = "BTC/USD",
    atr_pct: float = 0.02,
    trend: float = 0.5,
    hold_h: int = 8,
    reason: str = "",
) -> TradeRecord:
    pnl = 100.0 * r
    return TradeRecord(
        pair,
        entry_ts,
        entry_ts + hold_h * H,
        pnl,
        r,
        1.0,
        atr_pct,
        trend,
        reason or ("target" if r > 0 else "stop"),
    )


def planted(n: int = 360) -> list[TradeRecord]:
    """4h entries round the clock: Asia-session entries (00 and 04 UTC) lose, the rest win a bit."""
    asia = [-1.0, -1.0, -0.6, -1.2, -0.7]  # mean -0.9
    other = [2.0, -1.0, 0.5, -0.3, 0.3]  # mean +0.3
    out = []
    for i in range(n):
        ts = MONDAY + i * 4 * H
        hour = (i * 4) % 24
        cycle = asia if hour < 8 else other
        out.append(record(ts, cycle[(i // 6) % 5], atr_pct=0.01 + 0.001 * (i % 7), trend=0.1 * (i % 9)))
    return out


# Five trades: R = +2, -1, +1, -1, +2 ; P&L = 100 x R
SAMPLE = [
    record(MONDAY + i * 24 * H, r, hold_h=4 * (i + 1)) for i, r in enumerate([2.0, -1.0, 1.0, -1.0, 2.0])
]
