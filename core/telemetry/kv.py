"""Durable small state (preferences, pending confirmations, autopilot state) in the `kv` table.

The owner's settings (`core.telemetry.kv_cache.SHARED_PREFIXES`) are served from memory until
any process changes one (issue 20.1); every other key is read from the table each time."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from core.clock import RealClock
from core.ports import Clock
from core.telemetry.kv_cache import VERSION_KEY, SharedKeyCache, is_shared
from core.telemetry.models import KeyValueRow


class KeyValueStore:
    def __init__(self, db: Engine, clock: Clock | None = None) -> None:
        self._db = db
        self._clock: Clock = clock or RealClock()  # updated_ms is bookkeeping: wall time unless told
        self._shared = SharedKeyCache(db, lambda: self._read(VERSION_KEY))

    def get(self, key: str, default: str | None = None) -> str | None:
        value = self._shared.lookup(key, self._read) if is_shared(key) else self._read(key)
        return value if value is not None else default

    def request(self) -> AbstractContextManager[None]:
        """The held settings checked for another process's change once for this request, at its
        first read, instead of at every read (issue 20.1): `with kv.request(): ...` around one message."""
        return self._shared.request()

    def _read(self, key: str) -> str | None:
        done, value = self._shared.read(key)  # SQLite: the change probe's own connection, no engine
        if done:
            return value
        # elsewhere a Core SELECT, not an ORM session: a chat request reads several keys, and the session's
        # identity-map machinery cost ~1 ms per read (a third of a `status` request's CPU)
        with self._db.connect() as conn:
            stmt = select(col(KeyValueRow.value)).where(col(KeyValueRow.key) == key)
            found: str | None = conn.execute(stmt).scalar_one_or_none()
        return found

    def set(self, key: str, value: str) -> None:
        with Session(self._db) as s:
            row = s.get(KeyValueRow, key)
            now = self._clock.now_ms()
            if row is None:
                s.add(KeyValueRow(key=key, value=value, updated_ms=now))
            else:
                row.value, row.updated_ms = value, now
                s.add(row)
            if is_shared(key):
                self._bump(s, now)
            s.commit()
        if is_shared(key):
            self._shared.forget()

    def delete(self, key: str) -> None:
        with Session(self._db) as s:
            row = s.get(KeyValueRow, key)
            if row is not None:
                s.delete(row)
                if is_shared(key):
                    self._bump(s, self._clock.now_ms())
                s.commit()
        if is_shared(key):
            self._shared.forget()

    @staticmethod
    def _bump(s: Session, now: int) -> None:
        """Move `kv:version` in the writer's transaction, so every reader drops its held settings."""
        row = s.get(KeyValueRow, VERSION_KEY)
        if row is None:
            s.add(KeyValueRow(key=VERSION_KEY, value="1", updated_ms=now))
        else:
            row.value, row.updated_ms = str(int(row.value or "0") + 1), now
            s.add(row)

    def close(self) -> None:
        """Let go of the change probe's own connection."""
        self._shared.close()

    def get_json(self, key: str, default: Any = None) -> Any:
        raw = self.get(key)
        if raw is None:
            return default
        try:
            return json.loads(raw)
        except ValueError:
            return default

    def set_json(self, key: str, value: Any) -> None:
        self.set(key, json.dumps(value, sort_keys=True, default=str))

    def keys(self, prefix: str) -> list[str]:
        from sqlmodel import col, select  # lazy: sqlmodel loads only when used

        with Session(self._db) as s:
            rows = s.exec(select(KeyValueRow.key).where(col(KeyValueRow.key).startswith(prefix))).all()
            return list(rows)
