"""Kraken private-API authentication as the real server does it: key, signature, nonce, rate limit.

Why faithful: the point of the sim is that a client which works here works against Kraken, so it
refuses exactly what Kraken refuses, with Kraken's error strings:
- `API-Key` unknown -> `EAPI:Invalid key`
- `API-Sign` != b64(HMAC-SHA512(b64decode(secret), path + SHA256(nonce + body))) -> `EAPI:Invalid signature`
- nonce missing or not strictly greater than the key's last one -> `EAPI:Invalid nonce`
- more calls than the key's leaky bucket holds -> `EAPI:Rate limit exceeded`
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


def generate_key_pair() -> tuple[str, str]:
    """A fresh (api_key, api_secret) in Kraken's shapes (the secret is base64 of 64 bytes)."""
    key = base64.b64encode(secrets.token_bytes(42)).decode()
    secret = base64.b64encode(secrets.token_bytes(64)).decode()
    return key, secret


def sign(secret: str, url_path: str, nonce: str, body: str) -> str:
    """The API-Sign a client sends for `body` (urlencoded, nonce included) to `url_path`."""
    digest = hashlib.sha256((nonce + body).encode()).digest()
    mac = hmac.new(base64.b64decode(secret), url_path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


def signature_ok(secret: str, url_path: str, nonce: str, body: str, given: str) -> bool:
    try:
        expected = sign(secret, url_path, nonce, body)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(expected, given or "")


@dataclass
class RateLimit:
    """Leaky bucket per key: each private call adds `cost`; the counter drains `decay_per_s`.

    Kraken's starter tier: capacity 15, decay 0.33/s. The sim's default is looser (it is for
    trying clients, not for punishing them); tests set capacity small and decay 0.
    """

    capacity: float = 60.0
    decay_per_s: float = 1.0
    cost: float = 1.0


class NonceBook:
    """Last nonce per key; a nonce must be strictly greater than the previous one."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}
        self._lock = threading.Lock()

    def accept(self, key: str, nonce: str) -> bool:
        try:
            value = int(nonce)
        except (TypeError, ValueError):
            return False
        with self._lock:
            if value <= self._last.get(key, 0):
                return False
            self._last[key] = value
            return True


class RateLimiter:
    """Per-key counters; `limit` is read on every call so tests can change it on a live app."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._level: dict[str, tuple[float, float]] = {}  # key -> (level, at)
        self._lock = threading.Lock()

    def allow(self, key: str, limit: RateLimit | None) -> bool:
        if limit is None:
            return True
        now = self._now()
        with self._lock:
            level, at = self._level.get(key, (0.0, now))
            level = max(0.0, level - (now - at) * limit.decay_per_s)
            if level + limit.cost > limit.capacity:
                self._level[key] = (level, now)
                return False
            self._level[key] = (level + limit.cost, now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._level.clear()
