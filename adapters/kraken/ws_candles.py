"""Candles from Kraken's WebSocket v2 `ohlc` channel, closed by the clock, checked against REST.

Why this shape (docs.kraken.com, Spot WebSocket v2 `ohlc`): every update carries the running
candle of its interval as it is so far (`interval_begin`, open/high/low/close, volume, `trades`),
on every trade, with NO "closed" flag. So:
- a candle is closed when its interval has ended by the clock. The stream CONFIRMS it once a
  message stamped at or after the end has arrived (one connection delivers in order, so every
  trade of the interval came before it); until then its last trades may still be on the wire;
- updates may come twice or out of order (a socket fault, a reconnect's snapshot): a bar keeps
  the state with the latest (`timestamp`, `trades`), so a stale copy never rolls it back;
- an interval with no update at all (no trade, or the socket was down), or one the stream has not
  confirmed when it is asked for, is a gap: it is repaired ONCE from REST OHLC, so it is booked
  exactly as Kraken's REST OHLC books it (a row, or none);
- history older than the stream is seeded from REST once; REST is the authority for every
  interval it has already closed (`rest_to`).
No I/O here: `adapters.kraken.stream_feed` asks REST and feeds the socket's messages in.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loguru import logger

from core.domain import Candle
from core.markets.timeframes import bucket_start

log = logger.bind(component="kraken_ws")


def parse_rfc3339_ms(text: str) -> int:
    """'2023-10-04T16:25:00.000000Z' (nanoseconds allowed) -> Unix ms."""
    raw = text.strip().rstrip("Z")
    head, _, frac = raw.partition(".")
    base = datetime.fromisoformat(head + "+00:00")
    return int(base.timestamp()) * 1000 + int((frac + "000")[:3] or 0)


@dataclass
class _Bar:
    candle: Candle
    version: tuple[int, int, float]  # (update timestamp ms, trades, volume): later wins


@dataclass
class Series:
    """One pair at one interval."""

    interval_ms: int
    bars: dict[int, _Bar] = field(default_factory=dict)
    rest_to: int | None = None  # every interval starting before this is as REST booked it
    repaired: set[int] = field(default_factory=set)  # gap intervals already asked of REST
    served_to: int = 0  # end of the newest interval handed out as closed


class StreamCandles:
    """Thread-safe store: the socket thread writes, the autopilot reads."""

    def __init__(self) -> None:
        self._series: dict[tuple[str, int], Series] = {}
        self._server_ms = 0  # the latest `timestamp` the stream has shown
        self.messages = 0  # ohlc messages applied (duplicates included)
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ from the socket
    def apply(self, message: dict[str, Any]) -> int:
        """An `ohlc` snapshot or update; returns how many bars changed."""
        stamp = message.get("timestamp")
        msg_ms = parse_rfc3339_ms(stamp) if isinstance(stamp, str) else 0
        changed = 0
        with self._lock:
            self.messages += 1
            self._server_ms = max(self._server_ms, msg_ms)
            for item in message.get("data") or []:
                changed += self._apply_item(item, msg_ms)
        return changed

    def _apply_item(self, item: dict[str, Any], msg_ms: int) -> int:
        try:
            pair, minutes = str(item["symbol"]), int(item["interval"])
            start = parse_rfc3339_ms(str(item["interval_begin"]))
            candle = Candle(ts=start, open=float(item["open"]), high=float(item["high"]),
                            low=float(item["low"]), close=float(item["close"]), volume=float(item["volume"]))
            item_ms = parse_rfc3339_ms(str(item["timestamp"])) if item.get("timestamp") else msg_ms
            version = (item_ms, int(item.get("trades") or 0), candle.volume)
        except (KeyError, TypeError, ValueError) as exc:
            log.bind(error=type(exc).__name__).warning("ohlc item skipped: {}", exc)
            return 0
        s = self._series.get((pair, minutes))
        if s is None:
            return 0  # not subscribed by us (or already dropped)
        if s.rest_to is not None and start + s.interval_ms <= s.rest_to:
            return 0  # REST already booked this interval
        old = s.bars.get(start)
        if old is not None and old.version >= version:
            return 0  # a duplicate, or an older state arriving late
        if start + s.interval_ms <= s.served_to and old is not None and old.candle != candle:
            log.bind(pair=pair, interval=minutes, ts=start).warning("late ohlc update after the candle closed")
        s.bars[start] = _Bar(candle, version)
        return 1

    def latest(self, pair: str, interval_ms: int) -> Candle | None:
        """The newest bar (closed or forming) of a series."""
        with self._lock:
            s = self._series.get((pair, interval_ms // 60_000))
            if s is None or not s.bars:
                return None
            return s.bars[max(s.bars)].candle

    def server_ms(self) -> int:
        with self._lock:
            return self._server_ms

    # ------------------------------------------------------------------ from REST
    def track(self, pair: str, interval_ms: int) -> bool:
        """Start keeping `pair` at this interval; True when it is new (subscribe it)."""
        key = (pair, interval_ms // 60_000)
        with self._lock:
            if key in self._series:
                return False
            self._series[key] = Series(interval_ms)
            return True

    def seeded(self, pair: str, interval_ms: int) -> bool:
        with self._lock:
            s = self._series.get((pair, interval_ms // 60_000))
            return s is not None and s.rest_to is not None

    def book_rest(self, pair: str, interval_ms: int, closed: list[Candle], fetched_at_ms: int) -> None:
        """REST's closed candles as of `fetched_at_ms`: they replace the stream's for those intervals."""
        with self._lock:
            s = self._series.get((pair, interval_ms // 60_000))
            if s is None:
                return
            rest_to = bucket_start(fetched_at_ms, interval_ms)
            for start in [t for t in s.bars if t < rest_to]:
                del s.bars[start]
            for c in closed:
                if c.ts < rest_to:
                    s.bars[c.ts] = _Bar(c, (fetched_at_ms, 1 << 30, c.volume))
            s.rest_to = max(rest_to, s.rest_to or 0)

    # ------------------------------------------------------------------ reading
    def gaps(self, pair: str, interval_ms: int, now_ms: int) -> list[int]:
        """Closed intervals after REST's that the stream has not confirmed and REST was not asked
        about yet: no bar at all, or no message stamped at or after the interval's end yet."""
        end = bucket_start(now_ms, interval_ms)
        with self._lock:
            s = self._series.get((pair, interval_ms // 60_000))
            if s is None or s.rest_to is None:
                return []
            server = self._server_ms
            return [t for t in range(s.rest_to, end, interval_ms)
                    if (t not in s.bars or t + interval_ms > server) and t not in s.repaired]

    def mark_repaired(self, pair: str, interval_ms: int, starts: list[int]) -> None:
        with self._lock:
            s = self._series.get((pair, interval_ms // 60_000))
            if s is not None:
                s.repaired.update(starts)

    def closed(self, pair: str, interval_ms: int, now_ms: int, limit: int) -> list[Candle]:
        """Up to `limit` closed candles, oldest first (ask `gaps` first and repair them)."""
        end = bucket_start(now_ms, interval_ms)
        with self._lock:
            s = self._series.get((pair, interval_ms // 60_000))
            if s is None:
                return []
            out = [s.bars[t].candle for t in sorted(s.bars) if t + interval_ms <= end]
            if out:
                s.served_to = max(s.served_to, out[-1].ts + interval_ms)
        return out[-limit:] if limit > 0 else []

    def forget_before(self, keep: int = 1_000) -> None:
        """Bound memory: keep the newest `keep` bars of each series."""
        with self._lock:
            for s in self._series.values():
                if len(s.bars) > keep:
                    for t in sorted(s.bars)[:-keep]:
                        del s.bars[t]

    def subscriptions(self) -> dict[int, list[str]]:
        """interval minutes -> pairs (what to subscribe after a reconnect)."""
        out: dict[int, list[str]] = {}
        with self._lock:
            for pair, minutes in self._series:
                out.setdefault(minutes, []).append(pair)
        return out
