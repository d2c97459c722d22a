"""Timeframe strings (`1m`, `4h`, `1d`) and candle-boundary arithmetic."""

from __future__ import annotations

from core.domain import UserError

_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def timeframe_seconds(tf: str) -> int:
    tf = tf.strip()
    if len(tf) < 2 or tf[-1] not in _UNITS or not tf[:-1].isdigit() or int(tf[:-1]) <= 0:
        raise UserError(f"bad timeframe {tf!r} (use e.g. 1m, 15m, 1h, 4h, 1d)")
    return int(tf[:-1]) * _UNITS[tf[-1]]


def timeframe_ms(tf: str) -> int:
    return timeframe_seconds(tf) * 1000


def bucket_start(ts_ms: int, tf_ms: int) -> int:
    """Open time of the candle of width tf_ms that contains ts_ms (aligned to the Unix epoch)."""
    return ts_ms - ts_ms % tf_ms
