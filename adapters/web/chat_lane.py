"""An ordinary `POST /api/chat` answered before Flask: the chat's hot path in plain WSGI (issue 20.1).

Why: at 200 chat requests a second Flask's request cycle (request and app contexts, URL routing,
the Response object, the after-request hooks) cost about as much CPU as waitress and Zyn's own
dispatcher together — measured with `bench/chat_cpu_split.py` (lane vs Flask in the same run).
Issue 20.1's target is 1 ms of CPU per ordinary request for the whole process.

What it answers: only a request that Flask's route would answer with a reply — POST to exactly
`/api/chat`, `Content-Type: application/json`, a `Content-Length` within the route's limit, a
`Host` header, and a caller the route would let in (`token_matches` / `loopback_caller` of
adapters/channels/web_chat.py, the same functions the route uses; read-only: the lane never counts
a wrong token). Anything else — another route, an error of any kind, a refused or locked-out
caller, a body that does not parse — goes to the Flask app unchanged (a body already read is put
back), so every error answer, the wrong-token counting and the 429 stay the route's own. The
reply is built by the route's own `reply_json` and the app's JSON provider, with the headers the
blueprint adds (no framing, nosniff): the same status, headers and bytes as the route
(tests/adapters/web/test_chat_lane.py compares them).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from flask import Flask
from loguru import logger as log
from werkzeug.http import parse_cookie

from adapters.channels.ports import DispatcherLike, Envelope
from adapters.channels.web_chat import (
    COOKIE,
    DISPATCH_FAILED,
    MAX_BODY,
    NO_FRAMING,
    loopback_caller,
    parse_chat_body,
    reply_json,
    token_matches,
)
from adapters.channels.web_session import NOSNIFF, SignInThrottle

PATH = "/api/chat"
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Dumps = Callable[[Any], str]
_EXTRA_HEADERS = [*NO_FRAMING.items(), *NOSNIFF.items()]
_STATUS = {200: "200 OK", 500: "500 INTERNAL SERVER ERROR"}
_MEMO_LIMIT = 256  # distinct (client address, Host) pairs remembered; a flood of new ones resets it


class ChatLane:
    """WSGI middleware in front of the Flask app (its `wsgi_app`, set where the app is built)."""

    def __init__(self, app: WsgiApp, dispatcher: DispatcherLike, token: str, guard: SignInThrottle,
                 dumps: Dumps) -> None:
        """`dumps`: the Flask app's JSON provider as its `jsonify` uses it (compact, sorted keys)."""
        self._app, self._dispatcher, self._token, self._guard, self._dumps = app, dispatcher, token, guard, dumps
        # `loopback_caller` is a pure function of (address, Host) that parses both with `ipaddress`:
        # a quarter of the lane's own CPU per request (issue 20.1, session 7), so its answers are kept
        self._loopback: dict[tuple[str | None, str], bool] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self._app(environ, start_response)
        parsed = self._ordinary(environ)
        if parsed is None:
            return self._app(environ, start_response)
        message, user = parsed
        try:
            reply = self._dispatcher.handle(Envelope("web", user, message))
        except Exception:  # as the route: only a failed dispatch is "nothing was done"
            log.exception("web: dispatcher failed")
            status, body = 500, {"error": DISPATCH_FAILED}
        else:
            status, body = 200, reply_json(reply)
        data = (self._dumps(body) + "\n").encode()
        start_response(_STATUS[status], [("Content-Type", "application/json"),
                                         ("Content-Length", str(len(data))), *_EXTRA_HEADERS])
        return [data]

    def _ordinary(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        """(message, user) when this is a request the route would answer with a reply, else None
        (and then `wsgi.input` still holds the whole body for the route)."""
        mimetype = str(environ.get("CONTENT_TYPE", "")).split(";", 1)[0].strip().lower()
        length = str(environ.get("CONTENT_LENGTH", ""))
        if mimetype != "application/json" or not length.isdigit() or int(length) > MAX_BODY:
            return None
        if not environ.get("HTTP_HOST") or not self._trusted(environ):
            return None
        raw = environ["wsgi.input"].read(int(length))
        parsed = parse_chat_body(raw)
        if isinstance(parsed, str):  # the route says what is wrong, from the same bytes
            environ["wsgi.input"] = io.BytesIO(raw)
            environ["CONTENT_LENGTH"] = str(len(raw))
            return None
        return parsed

    def _trusted(self, environ: dict[str, Any]) -> bool:
        remote = environ.get("REMOTE_ADDR")
        if not self._token:
            key = (remote, str(environ["HTTP_HOST"]))
            known = self._loopback.get(key)
            if known is None:
                if len(self._loopback) >= _MEMO_LIMIT:
                    self._loopback.clear()
                known = self._loopback[key] = loopback_caller(*key)
            return known
        if self._guard.wait_s(remote or "?") > 0:
            return False
        cookie = parse_cookie(environ.get("HTTP_COOKIE", "")).get(COOKIE, "")
        return token_matches(self._token, str(environ.get("HTTP_AUTHORIZATION", "")), cookie)


def chat_lane_for(app: Flask, dispatcher: DispatcherLike, token: str, guard: SignInThrottle) -> ChatLane:
    """The lane in front of `app` (to become its `wsgi_app` while the app is built), answering with
    the app's own JSON provider as `jsonify` does outside debug mode (compact separators)."""
    return ChatLane(app.wsgi_app, dispatcher, token, guard, partial(app.json.dumps, separators=(",", ":")))
