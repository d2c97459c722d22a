"""The conversation audit log's writer: group commit with one Core INSERT per batch.

Why: two ORM sessions and two commits per chat message were half the CPU of a `status` request
(5 of ~10 ms), one after another behind a lock, so 200 requests/s queued. Each caller still
returns only after its row is committed (a crash loses nothing), but whoever holds the writer
lock commits every row queued meanwhile in one transaction: concurrent requests share commits.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from core.telemetry.models import MessageRow


@dataclass
class _Slot:
    row: dict[str, Any]
    done: bool = False
    error: BaseException | None = None


class AuditSink(Protocol):
    """Where the dispatcher stores each message: this group commit, or the write-ahead journal
    (`bot.conversation.chat_journal`, issue 20.1) that takes the commit off the request path."""

    def write(self, row: dict[str, Any]) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = threading.Lock()  # one committing thread at a time (SQLite has one writer)
        self._queue_lock = threading.Lock()
        self._pending: list[_Slot] = []

    def write(self, row: dict[str, Any]) -> None:
        """Store one MessageRow's values; returns once committed (by this thread or another)."""
        slot = _Slot(row)
        with self._queue_lock:
            self._pending.append(slot)
        with self._writer:
            if not slot.done:
                with self._queue_lock:
                    batch, self._pending = self._pending, []
                self._commit(batch)
        if slot.error is not None:
            raise slot.error

    def flush(self) -> None:
        """Nothing to do: `write` returns only once its row is committed."""

    def close(self) -> None:
        """Nothing held."""

    def _commit(self, batch: list[_Slot]) -> None:
        error: BaseException | None = None
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(MessageRow.__table__), [s.row for s in batch])  # type: ignore[attr-defined]
        except Exception as exc:  # every waiter of the batch learns it failed
            error = exc
        for s in batch:
            s.error, s.done = error, True
