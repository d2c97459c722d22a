"""`POST /slack/events` from strangers and broken senders (issue 19.7): never a 5xx.

The signature is checked on the raw bytes first: a bad or missing one is 401 whatever the body
(even bytes that are not UTF-8); a correctly signed body that is not UTF-8 or not the shape of a
Slack payload (e.g. an event that is a string) is 400. Through the real slack-bolt App and Flask's
test client; a small hypothesis fuzz over bodies and headers asserts no 5xx and no dispatch.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from loguru import logger as log

from tests.adapters.channels.conftest import OWNER_SLACK, SLACK_SECRET
from tests.fakes.chat_backend import FakeZyn
from tests.fakes.slack_api import event_body


def sign_bytes(secret: str, body: bytes, ts: int | None = None) -> dict[str, str]:
    """Slack's signature over raw bytes (the fake's `sign` takes text, so it cannot sign non-UTF-8)."""
    stamp = str(int(time.time()) if ts is None else ts)
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def post(app: Flask, body: bytes, headers: dict[str, str], content_type: str = "application/json") -> int:
    lines: list[str] = []
    sink = log.add(lambda m: lines.append(str(m)), level="DEBUG", format="{level} {message} {exception}")
    try:
        resp = app.test_client().post("/slack/events", data=body, content_type=content_type, headers=headers)
    finally:
        log.remove(sink)
    assert not [ln for ln in lines if "Traceback" in ln], lines
    return resp.status_code


NOT_UTF8 = b"\xff\xfe\x00payload=\xc3"


@pytest.mark.parametrize("headers", [{}, {"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=00"},
                                     sign_bytes("not-the-secret", NOT_UTF8)], ids=["missing", "stale", "bad"])
def test_non_utf8_body_without_a_valid_signature_is_401(app: Flask, zyn: FakeZyn, headers: dict[str, str]) -> None:
    assert post(app, NOT_UTF8, headers) == 401
    assert zyn.dispatcher.seen == []


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_signed_non_utf8_body_is_400(app: Flask, zyn: FakeZyn, content_type: str) -> None:
    assert post(app, NOT_UTF8, sign_bytes(SLACK_SECRET, NOT_UTF8), content_type) == 400
    assert zyn.dispatcher.seen == []


@pytest.mark.parametrize("payload", [
    {"type": "event_callback", "event": "x"},
    {"type": "event_callback", "event": ["x"]},
    {"type": "event_callback", "event": {"type": 5}},
    {"type": "event_callback", "event": {"type": "message", "user": ["U1"], "text": "hi"}},
    {"type": "event_callback", "event": {"type": "message", "user": "U1", "text": 3}},
    {"type": "event_callback", "event": {"type": "app_mention", "text": None}},
    {"type": "event_callback", "event": {"type": "message"}, "authorizations": "x"},
    {"type": "block_actions", "actions": "x"},
    {"type": "block_actions", "actions": [5]},
    {"type": "block_actions", "user": "x", "actions": [{"action_id": "zyn_reply_0"}]},
    {"type": "view_submission", "view": "x"},
    {"type": "url_verification"},
    {"type": "url_verification", "challenge": ["c"]},
    {"type": "event_callback", "team_id": 5, "event": {"type": "message", "channel": 7}},
], ids=lambda p: json.dumps(p)[:60])
def test_signed_malformed_payload_is_400(app: Flask, zyn: FakeZyn, payload: dict[str, object]) -> None:
    body = json.dumps(payload).encode()
    assert post(app, body, sign_bytes(SLACK_SECRET, body)) == 400
    assert zyn.dispatcher.seen == []


def test_signed_malformed_button_payload_in_a_form_is_400(app: Flask, zyn: FakeZyn) -> None:
    body = b"payload=" + json.dumps({"type": "block_actions", "actions": "x"}).encode()
    assert post(app, body, sign_bytes(SLACK_SECRET, body), "application/x-www-form-urlencoded") == 400
    assert zyn.dispatcher.seen == []


def test_a_well_formed_signed_event_still_reaches_zyn(app: Flask, zyn: FakeZyn) -> None:
    body = event_body({"type": "message", "channel_type": "im", "user": OWNER_SLACK, "text": "status",
                       "channel": "D0OWNER", "ts": "1.1"}, "Ev-edge-1").encode()
    assert post(app, body, sign_bytes(SLACK_SECRET, body)) == 200
    deadline = time.monotonic() + 5
    while not zyn.dispatcher.seen and time.monotonic() < deadline:
        time.sleep(0.02)
    assert zyn.dispatcher.seen


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["type", "event", "user", "text", "channel", "actions", "payload", "team_id",
                         "event_id", "command", "challenge", "view", "channel_type", "ts"]), inner, max_size=5),
    max_leaves=12,
)
BODIES = st.one_of(
    st.binary(max_size=64),
    JSONISH.map(lambda v: json.dumps(v).encode()),
    JSONISH.map(lambda v: b"payload=" + json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(["command", "text", "user_id", "channel_id", "payload", "ssl_check"]),
                    st.text(max_size=8), max_size=4).map(
        lambda d: "&".join(f"{k}={v}" for k, v in d.items()).encode()),
)
HEADER_MODES = st.sampled_from(["signed", "unsigned", "bad", "junk"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=BODIES, mode=HEADER_MODES,
       content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", ""]),
       junk=st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=12))
def test_fuzzed_requests_never_get_a_5xx(app: Flask, zyn: FakeZyn, body: bytes, mode: str, content_type: str,
                                         junk: str) -> None:
    headers = {
        "signed": sign_bytes(SLACK_SECRET, body),
        "unsigned": {},
        "bad": sign_bytes("wrong", body),
        "junk": {"X-Slack-Request-Timestamp": junk or "x", "X-Slack-Signature": "v0=" + junk},
    }[mode]
    status = post(app, body, headers, content_type)
    assert status < 500
    if mode != "signed":
        assert status == 401
