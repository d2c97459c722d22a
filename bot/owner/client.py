"""A client process talking to the owner of the money (`zyn chat`, `zyn shell`, `zyn status`,
`zyn learn`, a standby `zyn run`'s web page).

Plain HTTP on loopback to the owner's `/owner/v1/*` routes (`adapters.web.owner_api`), with the
per-install token in a header — never in the URL. Orders can take a while on a slow exchange, so
a dispatch waits up to `timeout_s`; a connection that cannot be made at all is `OwnerUnreachable`
(the caller re-reads who owns the money and tries again or says so in one line).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from bot.conversation.envelope import Envelope, Reply
from bot.owner.wire import reply_from_wire
from core.domain import UserError

TOKEN_HEADER = "X-Zyn-Owner-Token"  # noqa: S105 - a header name, not a secret


class OwnerUnreachable(Exception):
    """No usable answer from the owner's endpoint.

    `retry_safe`: the owner certainly did nothing (connection refused, or it answered that it is
    not the owner any more), so the request may be sent again to whoever owns the money now. A
    timeout or a server error is not retry-safe: an order may have gone out."""

    def __init__(self, message: str, retry_safe: bool = False) -> None:
        super().__init__(message)
        self.retry_safe = retry_safe


class OwnerClient:
    def __init__(self, url: str, token: str, timeout_s: float = 180.0) -> None:
        self._url, self._token, self._timeout = url.rstrip("/"), token, timeout_s

    def dispatch(self, env: Envelope) -> Reply:
        body = self._call("POST", "/owner/v1/dispatch", {"channel": env.channel, "user": env.user_id,
                                                          "text": env.text})
        try:
            return reply_from_wire(body.get("reply"))
        except ValueError as exc:
            raise OwnerUnreachable(str(exc)) from None

    def status(self) -> dict[str, Any]:
        return self._call("GET", "/owner/v1/status", None)

    def learn(self) -> dict[str, Any]:
        return self._call("POST", "/owner/v1/learn", {})

    def _call(self, method: str, path: str, payload: dict[str, Any] | None) -> dict[str, Any]:
        data = json.dumps(payload).encode() if payload is not None else None
        req = urllib.request.Request(f"{self._url}{path}", data=data, method=method)  # noqa: S310 - loopback http
        req.add_header(TOKEN_HEADER, self._token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self._timeout) as resp:  # noqa: S310
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            if exc.code in (400, 413, 415):  # refused before anything was done: the caller's mistake
                raise UserError(f"{_error_text(exc)}; nothing was done") from None
            raise OwnerUnreachable(_error_text(exc), retry_safe=exc.code == 409) from None
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            reason = getattr(exc, "reason", exc)
            refused = isinstance(reason, ConnectionRefusedError)
            raise OwnerUnreachable(f"no answer from the running Zyn at {self._url} ({type(reason).__name__})",
                                   retry_safe=refused) from None
        try:
            body = json.loads(raw)
        except ValueError:
            raise OwnerUnreachable("the running Zyn answered something that is not JSON") from None
        if not isinstance(body, dict):
            raise OwnerUnreachable("the running Zyn answered something that is not a JSON object")
        return body


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read())
        message = body.get("error") if isinstance(body, dict) else None
    except ValueError:
        message = None
    return f"the running Zyn answered HTTP {exc.code}: {message or exc.reason}"
