"""Check a Slack request before slack-bolt sees it: signature on the raw body first, then shape.

slack-bolt parses the body before it verifies the signature, so an unsigned `-d x` with a JSON
content type raised inside bolt (HTTP 500 and a traceback). Here the raw bytes are verified with
slack_sdk's SignatureVerifier (HMAC of `v0:{ts}:{body}`, at most 5 minutes old): anything
unsigned is refused with 401 before a byte is parsed. A correctly signed body bolt could not
parse into an object (only Slack could have sent it, so this is a bug or a test) gets 400.
Each refusal is one log line.
"""

from __future__ import annotations

import json
from typing import Any, Protocol
from urllib.parse import parse_qsl

from loguru import logger as log
from slack_sdk.signature import SignatureVerifier


class HeaderLookup(Protocol):
    """Flask's case-insensitive `request.headers` (or a plain dict in tests)."""

    def get(self, key: str) -> str | None: ...


def refusal(secret: str, body: bytes, headers: HeaderLookup) -> tuple[int, str] | None:
    """None when bolt may handle the request, else (status, one-line reason)."""
    ts = headers.get("X-Slack-Request-Timestamp") or ""
    signature = headers.get("X-Slack-Signature") or ""
    signed = bool(ts and signature and ts.isascii() and ts.isdigit() and len(ts) <= 12)
    if not signed or not SignatureVerifier(secret).is_valid(body, ts, signature):
        log.bind(bytes=len(body)).warning("slack: refused a request without a valid signature")
        return 401, "invalid request signature"
    if not _parses(body, headers.get("Content-Type") or ""):
        log.bind(bytes=len(body)).warning("slack: refused a signed request whose body is not a Slack payload")
        return 400, "malformed body"
    return None


def _parses(body: bytes, content_type: str) -> bool:
    """True when the body is what bolt parses into a dict (JSON object, form, or form+payload)."""
    try:
        text = body.decode("utf-8")
        if not text:
            return True
        if content_type.split(";")[0].strip() == "application/json" or text.startswith("{"):
            return isinstance(json.loads(text), dict)
        form = dict(parse_qsl(text, keep_blank_values=True))
        if "payload" in text:
            payload = form.get("payload")
            return payload is None or isinstance(_loads(payload), dict)
        return True
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return False


def _loads(text: str) -> Any:
    return json.loads(text)
