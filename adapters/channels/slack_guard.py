"""Check a Slack request before slack-bolt sees it: signature on the raw body first, then shape.

slack-bolt parses the body before it verifies the signature, so an unsigned `-d x` with a JSON
content type raised inside bolt (HTTP 500 and a traceback). Here the raw bytes are verified first
(HMAC-SHA256 of `v0:{ts}:{body}` over the BYTES, at most 5 minutes old): anything unsigned is
refused with 401 before a byte is decoded. slack_sdk's SignatureVerifier is not used because it
decodes the body as UTF-8 before hashing, so a stranger's non-UTF-8 body raised
UnicodeDecodeError (500, issue 19.7). A correctly signed body that is not UTF-8, not an object,
or not the shape bolt's middleware reads (an event that is a string: AttributeError in bolt) gets
400. Each refusal is one log line. Whatever still slips past and makes bolt raise is answered
400 by `bolt_error` (the App's error handler), so this route never answers 5xx.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, Protocol
from urllib.parse import parse_qsl

from loguru import logger as log

MAX_AGE_S = 5 * 60  # Slack's replay window


class HeaderLookup(Protocol):
    """Flask's case-insensitive `request.headers` (or a plain dict in tests)."""

    def get(self, key: str) -> str | None: ...


def refusal(secret: str, body: bytes, headers: HeaderLookup) -> tuple[int, str] | None:
    """None when bolt may handle the request, else (status, one-line reason)."""
    ts = headers.get("X-Slack-Request-Timestamp") or ""
    signature = headers.get("X-Slack-Signature") or ""
    if not valid_signature(secret, body, ts, signature):
        log.bind(bytes=len(body)).warning("slack: refused a request without a valid signature")
        return 401, "invalid request signature"
    if not _parses(body, headers.get("Content-Type") or ""):
        log.bind(bytes=len(body)).warning("slack: refused a signed request whose body is not a Slack payload")
        return 400, "malformed body"
    return None


def valid_signature(secret: str, body: bytes, ts: str, signature: str, now: float | None = None) -> bool:
    """Slack's v0 signature over the raw bytes, compared in constant time; fresh timestamps only."""
    if not (secret and ts and signature and ts.isascii() and ts.isdigit() and len(ts) <= 12):
        return False
    if abs((time.time() if now is None else now) - int(ts)) > MAX_AGE_S:
        return False
    base = b"v0:" + ts.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return signature.isascii() and hmac.compare_digest(expected, signature)


def _parses(body: bytes, content_type: str) -> bool:
    """True when the body is what bolt parses into a dict (JSON object, form, or form+payload)
    and the parts bolt reads before any listener have the types it expects."""
    try:
        text = body.decode("utf-8")
        if not text:
            return True
        if content_type.split(";")[0].strip() == "application/json" or text.startswith("{"):
            return _well_formed(json.loads(text))
        form = dict(parse_qsl(text, keep_blank_values=True))
        if "payload" in text:
            payload = form.get("payload")
            return payload is None or _well_formed(json.loads(payload))
        return True
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return False


# fields bolt's built-in middleware and matchers read as objects (dict) or lists of objects
_OBJECTS = ("event", "user", "team", "channel", "view", "container", "message", "enterprise", "state")
_LISTS = ("actions", "authorizations")
_INTERACTIVE = ("block_actions", "interactive_message", "view_submission", "view_closed", "shortcut",
                "message_action", "block_suggestion")


def _well_formed(data: Any) -> bool:
    """A Slack payload: an object whose nested parts are the kinds bolt expects (a string where an
    object belongs made bolt raise AttributeError/TypeError: HTTP 500)."""
    if not isinstance(data, dict) or not isinstance(data.get("type", ""), str):
        return False
    for key in _OBJECTS:
        value = data.get(key)
        if value is not None and not isinstance(value, dict) and not (key in ("user", "team", "channel")
                                                                     and isinstance(value, str)):
            return False
    for key in _LISTS:
        value = data.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
            return False
    kind = data.get("type")
    if kind == "url_verification" and not isinstance(data.get("challenge"), str):
        return False
    if kind in _INTERACTIVE and not isinstance(data.get("user"), dict):
        return False  # a button press names its presser as an object: a string user is no Slack payload
    event = data.get("event")
    if kind == "event_callback" and not (isinstance(event, dict) and isinstance(event.get("type"), str)):
        return False
    if isinstance(event, dict):  # `user`/`channel` are objects in user_change or channel_created events
        texts = all(isinstance(event.get(k, ""), str) for k in ("type", "text", "channel_type"))
        return texts and all(isinstance(event.get(k, ""), (str, dict)) for k in ("user", "channel"))
    return True


def bolt_error(error: Exception) -> Any:
    """The bolt App's error handler: a signed request that still made bolt (or a listener before its
    ack) raise is answered 400 with one log line, never bolt's 500."""
    from slack_bolt import BoltResponse  # lazy: slack_bolt loads only when used

    log.bind(error=type(error).__name__, detail=str(error)[:200]).warning(
        "slack: refused a signed request bolt could not handle")
    return BoltResponse(status=400, body="malformed body\n")
