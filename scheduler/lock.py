"""Exactly one scheduler per database.

APScheduler has no cross-process locking: two `zyn run` on one database would both trade. The
holder of the `scheduler_lock` row renews a short lease; a second process sees a live lease and
keeps its scheduler (and so its autopilot) off. A crashed holder's lease simply expires.
"""

from __future__ import annotations

import os
import socket
import uuid

from loguru import logger
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.ports import Clock
from core.telemetry.models import SchedulerLockRow


class SchedulerLock:
    def __init__(self, db: Engine, clock: Clock, name: str = "main", lease_s: float = 30) -> None:
        self._db, self._clock, self._name, self._lease_ms = db, clock, name, int(lease_s * 1000)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._valid_until = 0  # when the last successful renewal runs out (this process's view)

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

    def acquire(self) -> bool:
        """Take or renew the lease; False while another live process holds it."""
        now = self._clock.now_ms()
        try:
            with Session(self._db) as s:
                row = s.get(SchedulerLockRow, self._name, with_for_update=True)
                if row is None:
                    s.add(SchedulerLockRow(name=self._name, holder=self.holder, expires_ms=now + self._lease_ms))
                elif row.holder == self.holder or row.expires_ms < now:
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
    of the lease row for other processes (`bot.owner.ownership.current_owner` builds on it)."""
    with Session(db) as s:
        row = s.get(SchedulerLockRow, name)
        return row.holder if row is not None and row.expires_ms >= clock.now_ms() else None
