"""The web chat's sign-in: what the cookie holds, when it is `Secure`, and how guessing is slowed.

Why (issue 19.9, an outside probe): the cookie held `WEB_CHAT_TOKEN` itself, so anything that
could read a cookie jar (a backup, a shared profile) learned the token that also works as the
API's Bearer credential; it lacked `Secure` behind a TLS-terminating proxy (Flask sees http);
and 300 wrong tokens in 4.6 s were followed by the right one being accepted.

- The cookie holds `session_value(token)`: an HMAC of a fixed label keyed by the token. It proves
  the browser signed in, it cannot be turned back into the token, and it changes when the token
  does (every browser is signed out).
- `Secure` when the request is https, or a proxy says so with `X-Forwarded-Proto: https`.
- `SignInThrottle`: per client address, after `free` wrong tokens every further attempt waits an
  exponentially growing lockout (1 s, 2 s, 4 s, ... at most 15 minutes), during which even the
  right token is answered 429; a correct sign-in clears the count. Wrong Bearer tokens on the API
  count the same way, so the API is no way around it. One log line per refusal.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from loguru import logger as log

SESSION_LABEL = b"zyn web chat session v1"
NOSNIFF = {"X-Content-Type-Options": "nosniff"}


def session_value(token: str) -> str:
    """What the sign-in cookie stores: derived from the token, never the token itself."""
    return hmac.new(token.encode(), SESSION_LABEL, hashlib.sha256).hexdigest()


def cookie_ok(token: str, cookie: str) -> bool:
    return bool(token and cookie) and hmac.compare_digest(cookie.encode(), session_value(token).encode())


def is_https(is_secure: bool, forwarded_proto: str | None) -> bool:
    """https seen by Flask, or by the proxy in front of it (the first hop it names)."""
    first = (forwarded_proto or "").split(",")[0].strip().lower()
    return is_secure or first == "https"


@dataclass
class _Client:
    failures: int = 0
    locked_until: float = 0.0


class SignInThrottle:
    """Wrong-token counting per client; thread-safe (waitress serves from 8 threads)."""

    def __init__(self, free: int = 5, max_lock_s: float = 900.0, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.max_lock_s, self.max_clients = free, max_lock_s, max_clients
        self._clock = clock
        self._clients: dict[str, _Client] = {}
        self._lock = threading.Lock()

    def wait_s(self, client: str) -> float:
        """Seconds this client must wait before its next attempt counts (0: it may try now)."""
        with self._lock:
            state = self._clients.get(client)
            return max(0.0, state.locked_until - self._clock()) if state else 0.0

    def failed(self, client: str) -> None:
        with self._lock:
            if client not in self._clients and len(self._clients) >= self.max_clients:
                self._forget_unlocked()
            state = self._clients.setdefault(client, _Client())
            state.failures += 1
            over = state.failures - self.free
            if over > 0:
                state.locked_until = self._clock() + min(self.max_lock_s, 2.0 ** (over - 1))
            failures = state.failures
        log.bind(client=client, failures=failures).warning("web: wrong token")

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)

    def _forget_unlocked(self) -> None:
        """Bound the memory a flood of addresses can take: drop clients that are not locked out."""
        now = self._clock()
        for key in [k for k, v in self._clients.items() if v.locked_until <= now]:
            del self._clients[key]
