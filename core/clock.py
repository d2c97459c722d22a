"""Clocks: the only place that reads the wall clock. Replay and tests use SimClock."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class RealClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_ms() / 1000, tz=UTC)


class SimClock:
    """Simulated time. `speed` simulated seconds pass per real second when `tick_real` is used."""

    def __init__(self, start_ms: int, speed: float = 1.0) -> None:
        self._now = start_ms
        self.speed = speed
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            return self._now

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_ms() / 1000, tz=UTC)

    def set(self, ms: int) -> None:
        with self._lock:
            self._now = max(self._now, ms)

    def advance(self, ms: int) -> int:
        with self._lock:
            self._now += max(0, ms)
            return self._now

    def tick_real(self, real_seconds: float) -> int:
        """Advance by real_seconds x speed (used by the replay job)."""
        return self.advance(int(real_seconds * self.speed * 1000))
