"""A small, thread-safe, time-limited set of ids already seen (webhook replay protection).

Twilio's MessageSid and Slack's event_id identify one delivery; providers retry and attackers
can replay a captured, correctly signed request. Remembering ids for longer than the providers'
retry window (and than Slack's 5-minute timestamp window) makes a replay a no-op.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class ReplayCache:
    """Remembers ids for `ttl_s` seconds, at most `max_items` of them (oldest dropped first)."""

    def __init__(
        self, ttl_s: float = 900.0, max_items: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_s
        self._max = max_items
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        """Record `key`; True if it was not seen within the TTL (so the caller should act)."""
        now = self._clock()
        with self._lock:
            while self._seen:
                oldest, ts = next(iter(self._seen.items()))
                if now - ts < self._ttl and len(self._seen) < self._max:
                    break
                del self._seen[oldest]
            if key in self._seen:
                return False
            self._seen[key] = now
            return True


class DurableReplayCache:
    """Ids remembered in the database, so a replay is refused after a restart too.

    Twilio signatures carry no timestamp: a captured, signed "yes" stays valid forever, so its
    MessageSid must be remembered durably. The primary key makes "first time" one atomic insert.
    """

    def __init__(self, db: Any, prefix: str = "sms:sid:") -> None:
        self._db, self._prefix = db, prefix

    def first_time(self, key: str) -> bool:
        from sqlalchemy.exc import IntegrityError  # lazy: sqlalchemy loads only when used
        from sqlmodel import Session  # lazy: sqlmodel loads only when used

        from core.telemetry.models import KeyValueRow  # lazy: keeps sqlalchemy, sqlmodel out of this import

        try:
            with Session(self._db) as s:
                s.add(KeyValueRow(key=(self._prefix + key)[:250], value="1", updated_ms=int(time.time() * 1000)))
                s.commit()
            return True
        except IntegrityError:
            return False
