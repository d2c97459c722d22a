"""The conversation audit log written off the request path, through a write-ahead journal (issue 20.1).

Why: committing each chat message's rows before the reply (even group-committed) put a database
transaction on every request's path: ~15 % of a `status` request's CPU and most of its tail at
200 requests/s. Why not a plain in-memory queue: a crash would lose the messages in it, and the
audit log is a security record.

How: `write` appends the row as one JSON line to this process's current journal segment (one
`write(2)` on an O_APPEND file: once it returns, the line survives the process being killed) and
queues it; a writer thread commits the queued rows every `flush_s` (or sooner when `batch` rows
wait) in ONE transaction, then deletes the segment. Each batch is its own segment, and the
transaction also records the segment's number under `chat_journal:<process>` in `kv`, so a
segment is never stored twice, even when the process dies between the commit and the delete.
The queue is bounded: past `bound` rows a writer waits for the commit (back-pressure, never
loss). `close` commits what is left. A process holds an exclusive `flock` on its own lock file
for its whole life; whoever starts next replays the segments of every process whose lock is free
(killed), then removes them. Several processes on one database each keep their own segments.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from loguru import logger
from sqlalchemy import delete, insert
from sqlalchemy.engine import Connection, Engine

from core.telemetry.models import KeyValueRow, MessageRow

MARK_PREFIX = "chat_journal:"
SEGMENT_SUFFIX = ".jsonl"
LOCK_SUFFIX = ".lock"


def _mark(conn: Connection, proc: str, seq: int) -> None:
    """In the rows' transaction: segment `seq` of `proc` is stored (a replay skips it)."""
    key = MARK_PREFIX + proc
    conn.execute(delete(KeyValueRow.__table__).where(KeyValueRow.__table__.c.key == key))  # type: ignore[attr-defined]
    conn.execute(insert(KeyValueRow.__table__).values(  # type: ignore[attr-defined]
        key=key, value=str(seq), updated_ms=int(time.time() * 1000)))


def _store(engine: Engine, proc: str, seq: int | None, rows: list[dict[str, Any]]) -> None:
    """The rows and (unless `seq` is None) the mark of their segment, in one transaction."""
    with engine.begin() as conn:
        if rows:
            conn.execute(insert(MessageRow.__table__), rows)  # type: ignore[attr-defined]
        if seq is not None:
            _mark(conn, proc, seq)


def _forget_mark(engine: Engine, proc: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(KeyValueRow.__table__).where(  # type: ignore[attr-defined]
            KeyValueRow.__table__.c.key == MARK_PREFIX + proc))  # type: ignore[attr-defined]


def _stored_upto(engine: Engine, proc: str) -> int:
    table = KeyValueRow.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        value = conn.execute(table.select().with_only_columns(table.c.value).where(
            table.c.key == MARK_PREFIX + proc)).scalar_one_or_none()
    return int(value) if value is not None and str(value).isdigit() else -1


def _read_segment(path: Path) -> list[dict[str, Any]]:
    """Every whole line; a torn last line (killed inside `write`) was never acknowledged."""
    rows: list[dict[str, Any]] = []
    for line in path.read_bytes().splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            logger.bind(segment=path.name).warning("chat journal: skipped a torn line")
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def _split(name: str) -> tuple[str, int] | None:
    """`<proc>.<seq>.jsonl` -> (proc, seq)."""
    stem = name[: -len(SEGMENT_SUFFIX)]
    proc, _, seq = stem.rpartition(".")
    return (proc, int(seq)) if proc and seq.isdigit() else None


def replay(engine: Engine, directory: Path, own: str = "") -> int:
    """Store the segments left by processes that died (their lock is free); returns the rows stored."""
    segments: dict[str, list[tuple[int, Path]]] = {}
    for path in directory.glob(f"*{SEGMENT_SUFFIX}"):
        parts = _split(path.name)
        if parts is not None and parts[0] != own:
            segments.setdefault(parts[0], []).append((parts[1], path))
    procs = set(segments) | {p.name[: -len(LOCK_SUFFIX)] for p in directory.glob(f"*{LOCK_SUFFIX}")} - {own}
    stored = 0
    for proc in sorted(procs):
        lock = _try_lock(directory / f"{proc}{LOCK_SUFFIX}")
        if lock is None:
            continue  # alive: its own writer stores its segments
        try:
            done = _stored_upto(engine, proc)
            for seq, path in sorted(segments.get(proc, [])):
                if seq > done:
                    rows = _read_segment(path)
                    _store(engine, proc, seq, rows)
                    stored += len(rows)
                path.unlink(missing_ok=True)
            _forget_mark(engine, proc)
            (directory / f"{proc}{LOCK_SUFFIX}").unlink(missing_ok=True)
        finally:
            os.close(lock)
    if stored:
        logger.bind(rows=stored).info("chat journal: replayed the messages a stopped process had not stored")
    return stored


def _try_lock(path: Path) -> int | None:
    """An fd holding the exclusive lock on `path`, or None when a live process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


class JournaledAuditLog:
    """`write` returns once the row is in the journal; the database has it within `flush_s`."""

    def __init__(self, engine: Engine, directory: Path, *, flush_s: float = 0.05, batch: int = 500,
                 bound: int = 10_000) -> None:
        self._engine, self._dir = engine, directory
        self._flush_s, self._batch, self._bound = flush_s, batch, bound
        directory.mkdir(parents=True, exist_ok=True)
        self._proc = f"{os.getpid()}-{time.time_ns()}"
        lock = _try_lock(directory / f"{self._proc}{LOCK_SUFFIX}")
        if lock is None:  # a fresh name nobody else can hold
            raise RuntimeError("chat journal: could not lock this process's journal")
        self._lock_fd = lock
        try:
            replay(engine, directory, own=self._proc)
        except Exception as exc:  # noqa: BLE001 - the files stay for the next start; chat must still start
            logger.bind(folder=str(directory)).error("chat journal: replay failed ({}); kept for the next start",
                                                     type(exc).__name__)
        self._cond = threading.Condition()
        self._seq = 0
        self._fd = self._open(self._seq)
        self._pending: list[dict[str, Any]] = []
        self._failed: list[tuple[int, list[dict[str, Any]]]] = []  # batches the database refused, retried
        self._appended = self._committed = 0
        self._closing = self._urgent = False
        self._first_at = 0.0  # when the oldest queued row was written (monotonic s)
        self._thread = threading.Thread(target=self._run, name="zyn-chat-journal", daemon=True)
        self._thread.start()

    # -- request path -------------------------------------------------------------------------
    def write(self, row: dict[str, Any]) -> None:
        line = (json.dumps(row, separators=(",", ":")) + "\n").encode()
        with self._cond:
            while len(self._pending) >= self._bound and not self._closing:
                self._cond.wait(1.0)  # the writer is behind: wait for it rather than grow
            if self._closing:  # a late request after close: stored directly
                _store(self._engine, self._proc, None, [row])
                return
            os.write(self._fd, line)
            self._pending.append(row)
            self._appended += 1
            if len(self._pending) == 1:
                self._first_at = time.monotonic()
                self._cond.notify_all()  # starts the writer's clock
            elif len(self._pending) >= self._batch:
                self._cond.notify_all()

    def flush(self, timeout_s: float = 10.0) -> None:
        """Return once every row written before the call is in the database (or `timeout_s`):
        before something reads the conversation back (the agent's memory, `forget`)."""
        end = time.monotonic() + timeout_s
        with self._cond:
            target = self._appended
            self._urgent = True
            self._cond.notify_all()
            while self._committed < target and self._thread.is_alive():
                left = end - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(left)

    def close(self) -> None:
        """Commit everything left, then let go of this process's journal."""
        with self._cond:
            if self._closing:
                return
            self._closing = True
            self._cond.notify_all()
        self._thread.join(30)
        if self._failed:  # the database refused them: they stay on disk for the next start
            logger.bind(batches=len(self._failed)).error("chat journal: rows kept on disk for the next start")
        else:
            try:
                _forget_mark(self._engine, self._proc)
            except Exception as exc:  # noqa: BLE001 - a stale mark is harmless (replay removes it)
                logger.warning("chat journal: mark not removed ({})", type(exc).__name__)
        try:
            os.unlink(self._segment(self._seq))
            if not self._failed:
                os.unlink(self._dir / f"{self._proc}{LOCK_SUFFIX}")
        except OSError:
            pass
        os.close(self._lock_fd)

    # -- writer thread ------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                self._wait_for_batch()
                closing, self._urgent = self._closing, False
                batch, seq = self._pending, self._seq
                if batch:
                    self._pending = []
                    os.close(self._fd)
                    self._seq += 1
                    self._fd = self._open(self._seq)
                self._cond.notify_all()  # writers waiting on the bound
            if batch:
                self._failed.append((seq, batch))
            self._commit_failed()
            if closing:
                with self._cond:
                    if not self._pending:
                        os.close(self._fd)
                        return

    def _wait_for_batch(self) -> None:
        """Under the condition: until the oldest queued row is `flush_s` old, `batch` rows wait,
        a flush is asked for, or the log closes (or, with failed batches to retry, `flush_s`)."""
        while not (self._closing or self._urgent or len(self._pending) >= self._batch):
            if not self._pending:
                if self._failed:
                    self._cond.wait(self._flush_s)
                    return
                self._cond.wait()
                continue
            left = self._first_at + self._flush_s - time.monotonic()
            if left <= 0:
                return
            self._cond.wait(left)

    def _commit_failed(self) -> None:
        while self._failed:
            seq, rows = self._failed[0]
            try:
                _store(self._engine, self._proc, seq, rows)
            except Exception as exc:  # the database is down: keep them (on disk too), try again
                logger.bind(rows=len(rows)).error("chat journal: could not store messages ({})", type(exc).__name__)
                time.sleep(min(1.0, self._flush_s * 10))
                return
            self._failed.pop(0)
            try:
                os.unlink(self._segment(seq))
            except OSError:
                pass
            with self._cond:
                self._committed += len(rows)
                self._cond.notify_all()

    def _segment(self, seq: int) -> Path:
        return self._dir / f"{self._proc}.{seq:08d}{SEGMENT_SUFFIX}"

    def _open(self, seq: int) -> int:
        return os.open(self._segment(seq), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
