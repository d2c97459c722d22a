"""Exactly one scheduler per database.

APScheduler has no cross-process locking: two `zyn run` on one database would both trade. The
holder of the `scheduler_lock` row renews a short lease; a second process sees a live lease and
keeps its scheduler (and so its autopilot) off. A crashed holder's lease simply expires.

Two additions (issues 19.4 and 22.5):
- Fencing: `fence()` is asked before every order send and cancel. It is a conditional write
  that the database only accepts while the row still names this process and has not run out,
  so an owner that was frozen (SIGSTOP, a long GC, a stalled disk) and resumed after another
  process took over is refused before it reaches the exchange.
- A holder that is provably dead on this machine (same host; its pid gone, a zombie, or a
  different process start time, i.e. the pid was reused) is taken over at once instead of after
  the lease runs out: `kill -9` of `zyn run` and an immediate restart serve chat within seconds.
  The holder id carries the start time for that: `host:pid:start:nonce`.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from loguru import logger
from sqlalchemy import update
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from core.domain import LeaseLost
from core.ports import Clock
from core.telemetry.models import SchedulerLockRow


def process_start(pid: int) -> str | None:
    """The kernel's start time of `pid` (clock ticks since boot, /proc/PID/stat field 22), or None
    when it cannot be read (no such process, no /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # after "pid (comm)": field 3 is fields[0]
    return fields[19] if len(fields) > 19 else None


def _zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat.rsplit(")", 1)[-1].split()
    return bool(fields) and fields[0] in ("Z", "X")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return not _zombie(pid)


def new_holder() -> str:
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{process_start(pid) or '-'}:{uuid.uuid4().hex[:8]}"


def provably_dead(holder: str) -> bool:
    """True only when the holder ran on THIS host and its process is gone (or the pid now belongs
    to another process). Anything unsure (another host, an unreadable id) is alive."""
    parts = holder.split(":")
    if len(parts) not in (3, 4) or parts[0] != socket.gethostname():
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    if pid == os.getpid():
        return False  # this very process (e.g. re-exec'd): not dead
    if not _pid_alive(pid):
        return True
    start = parts[2] if len(parts) == 4 else "-"
    if start == "-":
        return False
    now = process_start(pid)
    return now is not None and now != start


class SchedulerLock:
    def __init__(self, db: Engine, clock: Clock, name: str = "main", lease_s: float = 30) -> None:
        self._db, self._clock, self._name, self._lease_ms = db, clock, name, int(lease_s * 1000)
        self.holder = new_holder()
        self._valid_until = 0  # when the last successful renewal runs out (this process's view)
        self._unanswered: str | None = None  # why the last renewal got no answer (issue 19.3)

    @property
    def lease_s(self) -> float:
        return self._lease_ms / 1000

    @property
    def renew_every_s(self) -> float:
        """Renew three times per lease, so one slow renewal never lets it lapse."""
        return max(0.2, self.lease_s / 3)

    def still_valid_locally(self) -> bool:
        """Whether the last renewal has not run out yet (used when the database cannot be asked)."""
        return self._clock.now_ms() < self._valid_until

    @property
    def unanswered(self) -> str | None:
        """Why the last renewal got no answer from the database (locked, stopped), else None:
        memory only, so /healthz can say 503 during a storage outage without a query."""
        return self._unanswered

    def acquire(self) -> bool:
        """Take or renew the lease; False while another live process holds it."""
        try:
            held = self._acquire()
        except Exception as exc:
            self._unanswered = f"lease renewal failed: {type(exc).__name__}"
            raise
        self._unanswered = None
        return held

    def _acquire(self) -> bool:
        now = self._clock.now_ms()
        try:
            with self._bounded_wait() as conn, Session(bind=conn) as s:
                row = s.get(SchedulerLockRow, self._name, with_for_update=True)
                if row is None:
                    s.add(SchedulerLockRow(name=self._name, holder=self.holder, expires_ms=now + self._lease_ms))
                elif row.holder == self.holder or row.expires_ms < now or provably_dead(row.holder):
                    if row.holder != self.holder and row.expires_ms >= now:
                        logger.bind(lock=self._name, dead=row.holder).warning(
                            "the lease holder's process is gone (same host); taking the lease over now"
                        )
                    row.holder, row.expires_ms = self.holder, now + self._lease_ms
                    s.add(row)
                else:
                    return False
                s.commit()
                self._valid_until = now + self._lease_ms
                return True
        except IntegrityError:  # another process inserted the row first
            logger.bind(lock=self._name).info("scheduler lock taken by another process")
            return False

    @contextmanager
    def _bounded_wait(self) -> Iterator[Connection]:
        """A connection on which a SQLite lock is waited for at most one renewal interval, not the
        engine's 30 s busy timeout (issue 19.3): a renewal that waits longer proves nothing, and the
        keeper must learn of a storage outage while the lease still runs, not after it."""
        with self._db.connect() as conn:
            raw = conn.connection.dbapi_connection if conn.dialect.name == "sqlite" else None
            if raw is None:
                yield conn
                return
            cur = raw.cursor()
            before = cur.execute("PRAGMA busy_timeout").fetchone()[0]
            cur.execute(f"PRAGMA busy_timeout = {int(self.renew_every_s * 1000)}")
            try:
                yield conn
            finally:
                cur.execute(f"PRAGMA busy_timeout = {int(before)}")
                cur.close()

    def fence(self) -> None:
        """Raise LeaseLost unless the database still says this process holds a live lease.

        A conditional UPDATE, not a read: it takes the row's write lock, so it is ordered against
        a takeover's write; the database rejects it (0 rows) once another process holds the
        lease or it ran out. Called before every order send and cancel."""
        now = self._clock.now_ms()
        try:
            with Session(self._db) as s:
                result = s.execute(
                    update(SchedulerLockRow)
                    .where(col(SchedulerLockRow.name) == self._name)
                    .where(col(SchedulerLockRow.holder) == self.holder)
                    .where(col(SchedulerLockRow.expires_ms) >= now)
                    .values(holder=self.holder)
                )
                s.commit()
                accepted = cast("CursorResult[Any]", result).rowcount == 1
        except Exception as exc:  # noqa: BLE001 - storage gone: no proof of the lease, no order
            logger.bind(lock=self._name).error("lease fence check failed: {}", type(exc).__name__)
            raise LeaseLost(f"cannot confirm this process holds the lease ({type(exc).__name__}); nothing sent") \
                from None
        if not accepted:
            logger.bind(lock=self._name, holder=self.holder).error("lease fence refused an order: not the owner")
            raise LeaseLost("this process no longer holds the lease on the money; nothing sent")

    def release(self) -> None:
        with Session(self._db) as s:
            row = s.get(SchedulerLockRow, self._name)
            if row is not None and row.holder == self.holder:
                s.delete(row)
                s.commit()
        self._valid_until = 0

    def held(self) -> bool:
        with Session(self._db) as s:
            row = s.get(SchedulerLockRow, self._name)
            return row is not None and row.holder == self.holder and row.expires_ms >= self._clock.now_ms()


def live_holder(db: Engine, clock: Clock, name: str = "main") -> str | None:
    """Who holds a live lease on this database (this process or another), or None: the one reading
    of the lease row for other processes (`bot.owner.ownership.current_owner` builds on it).
    A holder provably dead on this host holds nothing (issue 22.5)."""
    with Session(db) as s:
        row = s.get(SchedulerLockRow, name)
        if row is None or row.expires_ms < clock.now_ms() or provably_dead(row.holder):
            return None
        return row.holder
