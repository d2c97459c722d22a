"""Who owns the money for a database, and how other processes reach that owner.

Why: two processes acting on one account corrupt it (the paper ledger is loaded into memory,
a live key's nonces collide, reconcile in one process closes the other's fresh trade). So exactly
one process — the holder of the lease row (`scheduler.lock.SchedulerLock`) — places, cancels,
reconciles and books. Every other `zyn` process is a client: it finds the owner's loopback
endpoint here and sends its message there (`bot.owner.client`).

The endpoint is published in the key-value table next to the lease holder's id, so a stale
endpoint of a dead owner is never used: it counts only while the same holder's lease is alive.
The token that authenticates clients is a per-install secret in a file beside the database
(mode 0600): never in a URL, a log line or the database.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.clock import RealClock
from core.domain import UserError

if TYPE_CHECKING:  # a terminal client reads only the token here: no SQLAlchemy import (issue 22.6)
    from sqlalchemy.engine import Engine

    from core.telemetry.kv import KeyValueStore

ENDPOINT_KEY = "owner:endpoint"
LEASE_NAME = "main"


@dataclass(frozen=True)
class OwnerInfo:
    """The live lease holder; `url` is None while it serves no endpoint (a CLI owning briefly)."""

    holder: str
    url: str | None


def current_owner(db: Engine, kv: KeyValueStore) -> OwnerInfo | None:
    """The process that holds a live lease on this database, or None when nobody does."""
    from scheduler.lock import live_holder  # lazy: keeps sqlalchemy, sqlmodel out of this import

    holder = live_holder(db, RealClock(), LEASE_NAME)
    if holder is None:
        return None
    published = kv.get_json(ENDPOINT_KEY) or {}
    url = published.get("url") if isinstance(published, dict) and published.get("holder") == holder else None
    return OwnerInfo(holder, url if isinstance(url, str) else None)


def publish_endpoint(kv: KeyValueStore, holder: str, url: str) -> None:
    kv.set_json(ENDPOINT_KEY, {"holder": holder, "url": url})


def withdraw_endpoint(kv: KeyValueStore, holder: str) -> None:
    published = kv.get_json(ENDPOINT_KEY) or {}
    if isinstance(published, dict) and published.get("holder") == holder:
        kv.delete(ENDPOINT_KEY)


def connect_host(bind_host: str) -> str:
    """Where a local client reaches a server bound to `bind_host` (0.0.0.0 -> 127.0.0.1)."""
    if bind_host in ("", "0.0.0.0", "::", "[::]"):  # noqa: S104 - a bind-all address is mapped, not bound
        return "127.0.0.1"
    return f"[{bind_host}]" if ":" in bind_host and not bind_host.startswith("[") else bind_host


# ---------------------------------------------------------------------------- the token file
def token_path(database_url: str) -> Path:
    """Beside the SQLite file (`var/zyn.db` -> `var/zyn.db.owner-token`); for a server database in
    `var/` under a name derived from the URL, so two databases never share a token."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            return Path(os.path.abspath(path) + ".owner-token")
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return Path("var") / f"owner-{digest}.token"


def ensure_token(database_url: str) -> str:
    """The owner's side: read the token, creating it (0600, atomically) on first use."""
    path = token_path(database_url)
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it a moment ago: use theirs
        return _read(path)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token


def read_token(database_url: str) -> str:
    """The client's side: the owner's token, or a one-line reason why it cannot be read."""
    path = token_path(database_url)
    try:
        return _read(path)
    except FileNotFoundError:
        raise UserError(f"the running Zyn's access token {path} is missing; restart `zyn run`") from None
    except OSError as exc:
        raise UserError(f"cannot read the running Zyn's access token {path}: {exc.strerror}") from None


def _read(path: Path) -> str:
    token = path.read_text().strip()
    if not token:
        raise FileNotFoundError(str(path))
    return token
