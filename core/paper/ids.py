"""Kraken-looking order and trade ids (`OQCLML-BW3P3-BUCMWZ`) that never repeat.

The last group encodes a persisted counter, so ids stay unique across restarts; the first
two groups are a hash of a per-database salt, so two paper databases do not share ids and
replays on one database are reproducible.
"""

from __future__ import annotations

import hashlib
import secrets

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def new_salt() -> str:
    """A fresh random salt for a new paper database."""
    return secrets.token_hex(8)


def _base36(value: int, width: int) -> str:
    digits = []
    for _ in range(width):
        value, rem = divmod(value, 36)
        digits.append(_ALNUM[rem])
    return "".join(reversed(digits))


def make_id(prefix: str, salt: str, counter: int) -> str:
    """`prefix` + 5 + '-' + 5 + '-' + 6 uppercase alphanumerics, unique per counter value."""
    digest = hashlib.sha256(f"{salt}:{counter}".encode()).digest()
    head = "".join(_ALNUM[b % 36] for b in digest[:10])
    tail = _base36(counter, 6)
    return f"{prefix}{head[:5]}-{head[5:]}-{tail}"
