"""A standby `zyn run` (another process owns the money): what its /healthz reports, the watch
on the lease, and the restart into a fresh `zyn run` once the owner is gone.

Why a restart instead of a takeover in place: the fresh process takes the lease, loads the
books from the database and reconciles exactly once — the same path as a normal start.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from loguru import logger
from sqlalchemy.engine import Engine

from bot.owner.forwarding import OwnerLookup
from bot.owner.ownership import current_owner
from core.telemetry.kv import KeyValueStore


def standby_health(lookup: OwnerLookup, mode: str) -> dict[str, Any]:
    """ok while an owner holds the lease (this process forwards to it), else not ok."""
    owner = lookup.owner()
    return {"ok": owner is not None, "role": "standby", "mode": mode,
            "owner": {"alive": owner is not None, "serving": bool(owner and owner.url)}}


class StandbyWatcher:
    """Polls the lease; calls `on_free` once when no process owns the money any more."""

    def __init__(self, db: Engine, kv: KeyValueStore, every_s: float, on_free: Callable[[], None]) -> None:
        self._db, self._kv, self._every, self._on_free = db, kv, every_s, on_free
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="zyn-standby", daemon=True)

    def start(self) -> StandbyWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            try:
                free = current_owner(self._db, self._kv) is None
            except Exception as exc:  # the database is shared with the owner: keep watching
                logger.warning("standby: cannot read the lease: {}", type(exc).__name__)
                continue
            if free:
                logger.info("the owner is gone; this process takes over trading")
                self._stop.set()
                self._on_free()
                return


def restart_process(argv: list[str]) -> None:
    """Become a fresh `zyn run` with the same arguments and environment (same pid)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "bot", *argv])  # noqa: S606 - our own command line
