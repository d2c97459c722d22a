"""A daemon thread that asks the database `SELECT 1` every few seconds (zyn run only).

Why: `/healthz` must answer at once even while the database is locked or hung, so it reads the
in-memory `StorageHealth`; this thread is the only one that waits on the database for it, and
the time of its last answer shows how fresh that state is.
"""

from __future__ import annotations

import threading

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
            self._health.probe(self._db)
            if self._stop.wait(self._every):
                return
