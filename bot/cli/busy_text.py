"""What a terminal command says when it could not reach the money in time (issue 19.9).

Why: during a takeover (the owner killed, a standby restarting itself as the new owner) the CLI
said "another zyn command (zyn shell or zyn chat) is using the account" although none was. The
lease row names its holder as `host:pid:nonce`, so on the same machine the CLI can tell a holder
that is gone (its lease simply has not run out yet) from one that is alive but not answering yet.
Only words are decided here; the waiting itself is `bot.cli.session`'s.
"""

from __future__ import annotations

import os
import socket


def holder_pid(holder: str, host: str | None = None) -> int | None:
    """The pid in a `host:pid:nonce` or `host:pid:start:nonce` holder id (scheduler/lock.py) when it
    is on this machine, else None (a host name has no colon)."""
    parts = holder.split(":")
    if len(parts) < 3 or not parts[1].isdigit():
        return None
    return int(parts[1]) if parts[0] == (host if host is not None else socket.gethostname()) else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def busy_message(holder: str | None, has_endpoint: bool, lease_s: float, host: str | None = None) -> str:
    """One line naming what actually holds the account."""
    if holder is None:
        return "could not take the account in time (its previous owner was releasing it); try again"
    pid = holder_pid(holder, host)
    if pid is not None and not pid_alive(pid):
        return (f"the previous owner of the account (pid {pid}) has stopped without releasing it; its lease "
                f"runs out within {lease_s:g} s — try again then")
    who = f"pid {pid}" if pid is not None else ":".join(holder.split(":")[:2])
    if has_endpoint:
        return (f"the running Zyn ({who}) is not answering — it may be stopping or handing over to a standby; "
                "try again in a moment")
    return (f"another process ({who}) holds the account and takes no requests yet — a zyn run starting or "
            "taking over, or a zyn chat/shell; try again when it is done")
