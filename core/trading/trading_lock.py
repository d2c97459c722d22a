"""The trading lock and the account's version: who may act, and whether a reading is still current.

Why its own object: every money action (chat, autopilot, watcher, scheduler, the executions
socket) takes ONE re-entrant lock so two actions never interleave, and every action that may change
orders, positions or balances bumps `version` as it leaves. Exchange reads happen before the lock
(issue 18); whoever read compares the version once it holds the lock, and reads again under it
when an action landed in between. `TradingService` and its sync share this one object.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

R = TypeVar("R")
T = TypeVar("T")


class TradingLock:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.version = 0

    @contextmanager
    def changing(self) -> Iterator[None]:
        """The lock around an action that may change the account; bumps `version` as it ends."""
        with self.lock:
            try:
                yield
            finally:
                self.version += 1

    def read_then_act(self, read: Callable[[], R], act: Callable[[R], T]) -> T:
        """Read without the lock, then decide and send under it; a reading an action made stale
        meanwhile (the version moved between the read and the lock) is read again under it."""
        seen = self.version
        reading = read()
        with self.lock:
            if self.version != seen:
                reading = read()
            return act(reading)
