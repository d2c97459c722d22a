"""A daemon thread that asks the database `SELECT 1` every few seconds (zyn run only).

Why: `/healthz` must answer at once even while the database is locked or hung, so it reads the
in-memory `StorageHealth`; this thread is the only one that waits on the database for it, and
the time of its last answer shows how fresh that state is.
It also checks that the SQLite files can still be opened for writing (issue 19.6): a database
made read-only under a running Zyn (`chattr +i`, a filesystem remounted read-only) ended in a
SIGBUS with no log and no alert; seen here first, it fails like a full disk (entries halted,
the owner told once, /healthz 503) before a write runs into it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from sqlalchemy.engine import Engine

from core.telemetry.storage_health import StorageHealth


class StorageProber:
    def __init__(self, health: StorageHealth, db: Engine, every_s: float = 5.0) -> None:
        self._health, self._db, self._every = health, db, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="zyn-storage-probe", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            self.probe_once()
            if self._stop.wait(self._every):
                return

    def probe_once(self) -> None:
        """One round: the database answers, and its files can still be written."""
        self._health.probe(self._db)
        refused = unwritable(self._db)
        if refused is not None:
            self._health.record_fault(f"the database is read-only ({refused})")


def unwritable(db: Engine) -> str | None:
    """Why a SQLite database's files cannot be opened for writing now, else None (nothing is
    written, nothing opened: access(2) on each file; another database kind: None)."""
    path = db.url.database if db.url.get_backend_name() == "sqlite" else None
    if not path or path == ":memory:":
        return None
    for name in (path, f"{path}-wal", f"{path}-shm"):
        if not Path(name).exists():
            continue
        # access(2), never open+close: closing any descriptor of a SQLite file drops every POSIX
        # lock this process holds on it, and the database then fails with "disk I/O error" or
        # "malformed" (seen under a lock, issue 19.3). access(W_OK) sees chattr +i and a read-only
        # mount even as root.
        if not os.access(name, os.W_OK):
            return f"{Path(name).name}: not writable"
    directory = os.path.dirname(os.path.abspath(path))
    if not os.access(directory, os.W_OK):
        return f"{directory}: not writable"
    return None
