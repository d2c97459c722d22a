"""The owner's settings held in memory, re-read only when some process changed them (issue 20.1).

Why: a chat `status` read ~15 `kv` rows (risk, feature flags, rules, preferences, the learning
switch): 27 % of a request's CPU, for values that change a few times a week. Why not a plain
cache: the owner process, `zyn chat` without an owner, `zyn universe` and the standby each write
these keys on their own connections, and the running autopilot must see `set risk 2%` at once.

How: every write of a shared key (the `SHARED_PREFIXES`) also bumps the `kv:version` row in the
same transaction. A reader holds the values it read and the version it read them at. Before
serving from memory it asks whether the database changed at all: on an SQLite file that is
`PRAGMA data_version` on a connection of its own (microseconds, no table read; it moves when any
other connection commits), elsewhere it is the version row itself. Only when the database changed
does it read the version row, and only when that moved does it drop what it holds. So a change
made by any process is seen by the next read in every process, and a quiet database costs one
pragma per read.

Inside a request (`SharedKeyCache.request()`, opened by the dispatcher around one chat message) the
probe runs once, at the request's first read of a held setting, not at each of its ~10 reads
(issue 20.1, session 7): one request sees one consistent set of settings, and a change committed
by any process before a request begins is still seen by that request. A write made by this process
inside the request (`forget()`) makes the next read check again.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine

VERSION_KEY = "kv:version"
# the keys read on every chat request and every tick; the trading/confirmation keys change all
# the time and are not cached (their writers bypass this store)
SHARED_PREFIXES = ("settings:", "features:", "memory:", "pref:", "learning_switch")
_MISSING = object()


def is_shared(key: str) -> bool:
    return key.startswith(SHARED_PREFIXES)


class ChangeProbe:
    """`changed()` is False only when certainly no connection committed since the last call."""

    def __init__(self, db: Engine) -> None:
        self._conn: sqlite3.Connection | None = None
        self._last: int | None = None
        self._lock = threading.Lock()  # one connection, many request threads
        url = db.url
        path = url.database or ""
        if url.get_backend_name() == "sqlite" and path and path != ":memory:" and not path.startswith("file:"):
            try:
                self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
            except sqlite3.Error:
                self._conn = None

    def changed(self) -> bool:
        if self._conn is None:
            return True
        try:
            with self._lock:
                version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return True
        moved, self._last = version != self._last, version
        return moved

    def read_version(self) -> tuple[bool, str | None]:
        """(read?, `kv:version`): runs whenever any commit moved `data_version`."""
        return self.read(VERSION_KEY)

    def read(self, key: str) -> tuple[bool, str | None]:
        """(read?, value of `key` in `kv`) on the probe's own connection: a plain sqlite3 SELECT
        costs a tenth of the engine's (issue 20.1: a chat request reads a few `kv` keys that are
        not held, e.g. the pending confirmation). (False, None) when there is no such connection."""
        if self._conn is None:
            return False, None
        try:
            with self._lock:
                row = self._conn.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return False, None
        return True, None if row is None else str(row[0])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class SharedKeyCache:
    """Values of shared keys as last read, valid while `kv:version` has not moved."""

    def __init__(self, db: Engine, read_version: Callable[[], str | None]) -> None:
        self._probe = ChangeProbe(db)
        self._read_version = read_version
        self._version: str | None | object = _MISSING
        self._values: dict[str, str | None] = {}
        self._generation = 0  # moves whenever the values are dropped; a read begun before keeps out
        self._lock = threading.Lock()
        self._scope = threading.local()  # this thread's open request: depth, and whether it has probed

    @contextmanager
    def request(self) -> Iterator[None]:
        """One change probe for the reads of one request on this thread (nested: the outermost counts)."""
        scope = self._scope
        depth = getattr(scope, "depth", 0)
        scope.depth = depth + 1
        if depth == 0:
            scope.probed = False
        try:
            yield
        finally:
            scope.depth = depth
            if depth == 0:
                scope.probed = False

    def lookup(self, key: str, load: Callable[[str], str | None]) -> str | None:
        scope = self._scope
        in_request = getattr(scope, "depth", 0) > 0
        with self._lock:
            if not (in_request and scope.probed and self._version is not _MISSING):
                self._check()
                if in_request:
                    scope.probed = True
            if key in self._values:
                return self._values[key]
            generation = self._generation
        value = load(key)  # outside the lock: a slow read must not hold up the other threads
        with self._lock:
            if generation == self._generation:  # else a change landed meanwhile: do not keep it
                self._values[key] = value
        return value

    def _check(self) -> None:
        """Drop what is held when `kv:version` moved (read only when the probe saw a commit). Under `_lock`."""
        if self._probe.changed() or self._version is _MISSING:
            read, version = self._probe.read_version()
            if not read:
                version = self._read_version()
            if version != self._version:
                self._drop()
                self._version = version

    def forget(self) -> None:
        """After this process's own write: the next read re-checks the version."""
        with self._lock:
            self._drop()
            self._version = _MISSING

    def close(self) -> None:
        self._probe.close()

    def read(self, key: str) -> tuple[bool, str | None]:
        """A key read on the probe's connection (see `ChangeProbe.read`)."""
        return self._probe.read(key)

    def _drop(self) -> None:
        self._values.clear()
        self._generation += 1
