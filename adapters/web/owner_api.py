"""`/owner/v1/*`: how other `zyn` processes on this machine act through the owner of the money.

Only the lease holder serves these; a process that is not (or no longer) the owner answers 409 so
the client looks the owner up again. Callers must come from loopback and carry the per-install
token in the `X-Zyn-Owner-Token` header (a token in a URL ends up in logs and shell history, so a
`?token=` is never looked at). The routes get plain callables from the composition root, so this
adapter knows nothing of the dispatcher's internals.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from loguru import logger

from adapters.channels.ports import is_loopback

TOKEN_HEADER = "X-Zyn-Owner-Token"  # noqa: S105 - a header name, not a secret
MAX_TEXT = 4096
MAX_USER = 64
CHANNELS = frozenset({"cli", "web", "slack", "sms", "telegram"})


@dataclass(frozen=True)
class OwnerActions:
    token: str
    is_owner: Callable[[], bool]
    dispatch: Callable[[str, str, str], dict[str, Any]]  # (channel, user, text) -> wire reply
    status: Callable[[], dict[str, Any]]
    learn: Callable[[], dict[str, Any]]


def make_blueprint(actions: OwnerActions) -> Blueprint:
    bp = Blueprint("owner_api", __name__)

    @bp.before_request
    def guard() -> ResponseReturnValue | None:
        if not is_loopback(request.remote_addr):
            return _error("the owner API serves loopback only", 403)
        given = request.headers.get(TOKEN_HEADER, "")
        if not given or not hmac.compare_digest(given.encode(), actions.token.encode()):
            logger.bind(route=request.path).warning("owner API: missing or wrong token")
            return _error("missing or wrong owner token", 401)
        if not actions.is_owner():
            return _error("this process does not own trading (any more)", 409)
        return None

    @bp.post("/owner/v1/dispatch")
    def dispatch() -> ResponseReturnValue:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _error('body must be JSON like {"channel": "cli", "user": "owner", "text": "status"}', 400)
        channel, user, text = body.get("channel"), body.get("user"), body.get("text")
        refused = request_mistake(channel, user, text)
        if refused is not None:
            return _error(refused, 400)
        return jsonify({"reply": actions.dispatch(str(channel), str(user), str(text))})  # checked: all str

    @bp.get("/owner/v1/status")
    def status() -> ResponseReturnValue:
        return jsonify(actions.status())

    @bp.post("/owner/v1/learn")
    def learn() -> ResponseReturnValue:
        return jsonify(actions.learn())

    return bp


def request_mistake(channel: object, user: object, text: object) -> str | None:
    """Why a dispatch request is refused before anything is done, or None. The CLI asks the same
    question before it sends, so a user mistake is one line and exit 2 (issue 19.9)."""
    if channel not in CHANNELS or not isinstance(user, str) or not user or len(user) > MAX_USER:
        return f"channel must be one of cli, web, slack, sms, telegram and user a short id (1-{MAX_USER} characters)"
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        return f"the message must be non-empty text of at most {MAX_TEXT} characters"
    return None


def _error(message: str, code: int) -> ResponseReturnValue:
    return jsonify({"error": message}), code
