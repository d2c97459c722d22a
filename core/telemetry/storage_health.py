"""Is the database taking writes? Kept in memory, so asking never waits on the database.

Why: with the disk full or the database read-only, Zyn kept trading blind (fills it could not
journal) while `/healthz` said "database ok" (a `SELECT 1` still works on a full disk), and a
health check that itself queries a locked database waits as long as the lock. So:
- `watch(engine)` hooks SQLAlchemy's `handle_error`: a storage fault (disk full, read-only, I/O
  error, cannot open, connection lost) is recorded the moment any statement hits it. A write's
  commit clears it once the next statement runs (the `commit` event fires before the commit; a
  failing one goes through `handle_error`, which cancels the pending clear), and only when no
  fault was seen for `recover_after_ms`: on a nearly full disk small writes still fit while
  others fail, and the owner should hear "storage failing" once, not every minute.
- `probe()` (the `zyn run` prober thread, every few seconds) records when the database last
  answered at all, so a database that hangs shows as stale without anyone else waiting on it.
  A lost connection (server restarted or gone) is over as soon as a probe answers again: unlike
  a nearly full disk it does not flap, and entries should resume once PostgreSQL is back.
- Every statement's start is kept until it ends: one waiting longer than `stall_ms` (a locked
  SQLite file, a server that stopped answering) makes the snapshot not ok (`/healthz` 503)
  while it waits — read from memory, so the health check never waits with it.
- `fault` is what the trading gate reads: while set, new entries are refused and stops stay.
- `on_change(old, new)` tells the composition root (which notifies the owner) once per change.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from core.ports import Clock

FAULT_WORDS = (
    "disk is full",
    "no space left",
    "readonly database",
    "read-only",
    "disk i/o error",
    "unable to open database",
    "could not extend file",
    "could not write",
    "server closed the connection",
    "connection refused",
    "terminating connection",
)
CONNECTION_WORDS = ("server closed the connection", "connection refused", "terminating connection")
WRITES = ("insert", "update", "delete", "replace")
FORGET_MS = 600_000  # a statement "running" this long is one whose end no event reported


def is_storage_fault(exc: BaseException | None, disconnect: bool = False) -> bool:
    """True for errors that mean the storage itself is failing (not a bug, not a busy lock)."""
    if disconnect:
        return True
    message = str(exc).lower() if exc is not None else ""
    return any(word in message for word in FAULT_WORDS)


class StorageHealth:
    """Thread-safe in-memory storage state for the trading gate, `/healthz` and alerts."""

    def __init__(
        self,
        clock: Clock,
        on_change: Callable[[str | None, str | None], None] | None = None,
        recover_after_ms: int = 60_000,
        stall_ms: int = 5_000,
    ) -> None:
        self._clock = clock
        self._recover_after_ms = recover_after_ms
        self._stall_ms = stall_ms
        self._running: dict[int, int] = {}  # thread -> when its statement started (one at a time each)
        self._connection_lost = False
        self._last_fault_ms = 0
        self._on_change = on_change
        self._lock = threading.Lock()
        self._fault: str | None = None
        self._fault_since_ms: int | None = None
        self._last_answer_ms: int | None = None
        self._probe_error: str | None = None
        self._clear_pending = False

    @property
    def fault(self) -> str | None:
        """One line saying what is wrong with storage, or None when writes work."""
        with self._lock:
            return self._fault

    def snapshot(self) -> dict[str, Any]:
        now = self._clock.now_ms()
        with self._lock:
            for key in [k for k, began in self._running.items() if now - began > FORGET_MS]:
                del self._running[key]  # never ended (an exception no event saw): the prober's staleness covers it
            waiting = now - min(self._running.values()) if self._running else 0
            stalled = waiting > self._stall_ms
            return {
                "ok": self._fault is None and self._probe_error is None and not stalled,
                "fault": self._fault,
                "waiting_ms": waiting,
                "stalled": f"a statement has waited {waiting / 1000:.1f} s (database locked or not answering)"
                if stalled else None,
                "fault_since_ms": self._fault_since_ms,
                "last_answer_ms": self._last_answer_ms,
                "probe_error": self._probe_error,
            }

    def record_fault(self, message: str, connection: bool = False) -> None:
        line = " ".join(message.split())[:200]
        with self._lock:
            old, self._clear_pending = self._fault, False
            self._fault = line
            self._connection_lost = connection and (old is None or self._connection_lost)
            self._last_fault_ms = self._clock.now_ms()
            if old is None:
                self._fault_since_ms = self._clock.now_ms()
        if old is None:
            self._changed(None, line)

    def record_write_ok(self) -> None:
        with self._lock:
            if self._fault is not None and self._clock.now_ms() - self._last_fault_ms < self._recover_after_ms:
                return
            old, self._fault, self._fault_since_ms = self._fault, None, None
            self._connection_lost = False
        if old is not None:
            self._changed(old, None)

    def _changed(self, old: str | None, new: str | None) -> None:
        if self._on_change is not None:
            self._on_change(old, new)

    def watch(self, engine: Engine) -> None:
        """Hook the engine: every statement's storage error and every committed write count."""
        event.listen(engine, "handle_error", self._on_error)
        event.listen(engine, "before_cursor_execute", self._on_start)
        event.listen(engine, "after_cursor_execute", self._on_execute)
        event.listen(engine, "commit", self._on_commit)

    def _on_error(self, context: Any) -> None:
        with self._lock:  # by thread, not cursor: a failed statement's context may carry no cursor
            self._running.pop(threading.get_ident(), None)
        exc = getattr(context, "original_exception", None)
        disconnect = bool(getattr(context, "is_disconnect", False))
        if is_storage_fault(exc, disconnect):
            lost = disconnect or any(word in str(exc).lower() for word in CONNECTION_WORDS)
            self.record_fault(f"{type(exc).__name__}: {exc}", connection=lost)

    def _on_start(self, conn: Any, cursor: Any, *args: Any) -> None:
        with self._lock:
            self._running[threading.get_ident()] = self._clock.now_ms()

    def _on_execute(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        with self._lock:
            self._running.pop(threading.get_ident(), None)
            clear = self._clear_pending and self._fault is not None
            self._clear_pending = False
        if clear:
            self.record_write_ok()
        if statement.lstrip()[:7].lower().startswith(WRITES):
            conn.info["zyn_wrote"] = True

    def _on_commit(self, conn: Any) -> None:
        if conn.info.pop("zyn_wrote", False):
            with self._lock:
                self._clear_pending = self._fault is not None

    def probe(self, engine: Engine) -> None:
        """One `SELECT 1`; records when the database last answered (for staleness)."""
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:  # the state is the report; the prober thread must go on
            with self._lock:
                self._probe_error = f"{type(exc).__name__}: {str(exc)[:160]}"
            return
        with self._lock:
            self._last_answer_ms = self._clock.now_ms()
            self._probe_error = None
            back = self._connection_lost and self._fault is not None
            old = self._fault
            if back:  # the server answers again: a lost connection is over
                self._fault, self._fault_since_ms, self._connection_lost = None, None, False
        if back:
            self._changed(old, None)
