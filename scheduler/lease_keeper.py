"""Keeps this process's lease on the money alive, from the moment it is taken.

Why a thread of its own: the lease must be renewed while the process is still building (loading
candles, probing Kraken) and while a long job runs; the scheduler's per-job check alone would let
it lapse.

Two different ways a renewal fails, handled differently (issue 19 point 3):
- Another process holds the lease (the database answered "no"): `on_lost` is called once; the
  owner must stop acting at once and start over (as a standby).
- The database does not answer (locked, stopped, unreachable): that is a storage outage, not a
  lost lease. The owner keeps serving (/healthz says 503 from the storage state) and keeps
  retrying; every order send is refused meanwhile by the lease fence, which needs the database.
  When storage answers again the renewal re-takes the lease only if no other process took it
  (else `on_lost`). If nothing has answered for `outage_exit_s`, `on_give_up` is called once so
  the process exits for its supervisor: never alive and unreachable. A second thread watches that
  clock, because one renewal can itself wait a long time on a locked database (SQLite's busy
  timeout is 30 s).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from loguru import logger

from scheduler.lock import SchedulerLock


class LeaseKeeper:
    def __init__(
        self,
        lock: SchedulerLock,
        on_lost: Callable[[], None] | None = None,
        outage_exit_s: float | None = None,
        on_give_up: Callable[[float], None] | None = None,
    ) -> None:
        self._lock, self._on_lost = lock, on_lost
        self._outage_exit_s, self._on_give_up = outage_exit_s, on_give_up
        self._stop = threading.Event()
        self._last_ok = time.monotonic()  # when the database last confirmed the lease
        self._out = False  # a renewal failed and none has worked since
        self._thread = threading.Thread(target=self._loop, name="zyn-lease", daemon=True)
        self._watch = threading.Thread(target=self._watch_outage, name="zyn-lease-outage", daemon=True)

    def start(self) -> LeaseKeeper:
        self._thread.start()
        if self._outage_exit_s is not None and self._on_give_up is not None:
            self._watch.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in (self._thread, self._watch):
            if thread.is_alive() and threading.current_thread() is not thread:
                thread.join(timeout=5)

    def storage_out_s(self) -> float:
        """Seconds since the database last confirmed the lease (0 while renewals work)."""
        return time.monotonic() - self._last_ok if self._out else 0.0

    def _loop(self) -> None:
        log = logger.bind(holder=self._lock.holder)
        while not self._stop.wait(self._lock.renew_every_s):
            try:
                held = self._lock.acquire()
            except Exception as exc:  # storage outage: keep serving, keep retrying (the fence stops orders)
                if not self._out:
                    log.warning("lease renewal failed ({}): storage unreachable; money actions are refused "
                                "until it answers", type(exc).__name__)
                self._out = True
                continue
            if self._stop.is_set():
                return
            if not held:
                log.error("lost the lease on the money: another process holds it; stopping")
                if self._on_lost is not None:
                    self._on_lost()
                return
            if self._out:
                log.warning("storage answers again after {:.0f} s; lease held, resuming",
                            time.monotonic() - self._last_ok)
            self._out, self._last_ok = False, time.monotonic()

    def _watch_outage(self) -> None:
        assert self._outage_exit_s is not None and self._on_give_up is not None  # noqa: S101 - start() checks
        limit = self._outage_exit_s
        while not self._stop.wait(min(1.0, max(0.1, limit / 10))):
            silent = time.monotonic() - self._last_ok
            if silent >= limit:
                self._on_give_up(silent)
                return
