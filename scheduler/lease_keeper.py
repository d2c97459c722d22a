"""Keeps this process's lease on the money alive, from the moment it is taken.

Why a thread of its own: the lease must be renewed while the process is still building (loading
candles, probing Kraken) and while a long job runs; the scheduler's per-job check alone would let
it lapse. When a renewal fails (another process took over after this one stalled, or the database
is gone) `on_lost` is called once: the owner must stop acting at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from loguru import logger

from scheduler.lock import SchedulerLock


class LeaseKeeper:
    def __init__(self, lock: SchedulerLock, on_lost: Callable[[], None] | None = None) -> None:
        self._lock, self._on_lost = lock, on_lost
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="zyn-lease", daemon=True)

    def start(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self._lock.renew_every_s):
            try:
                held = self._lock.acquire()
            except Exception as exc:  # a database hiccup: try again until the lease runs out
                logger.bind(holder=self._lock.holder).warning("lease renewal failed: {}", type(exc).__name__)
                held = self._lock.still_valid_locally()
            if not held:
                logger.bind(holder=self._lock.holder).error("lost the lease on the money; stopping")
                if self._on_lost is not None:
                    self._on_lost()
                return
