"""Property-based traffic on every channel of a real Zyn, then the secrets check over everything
it wrote. Per channel 1,000 generated inputs (hypothesis, derandomized so CI is repeatable):
never a 5xx, never a traceback, never an action for a stranger; then not one secret in the
logs, the database or any reply."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from bot.conversation.envelope import Envelope
from core.telemetry.models import OrderRow
from tests.conftest import shared_data
from tests.fakes.slack_api import sign, slash_command_body
from tests.fakes.twilio_api import sign as twilio_sign
from tests.reliability.world import (
    OWNER_CHAT,
    SECRETS,
    STRANGER_CHAT,
    STRANGER_PHONE,
    STRANGER_SLACK,
    World,
    needles,
    world,
)

EXAMPLES = 1000
PROFILE = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
WORDS = [
    "buy", "sell", "BUY", "/buy", "btc", "eth/usd", "XBTUSD", "BTC USD", "doge", "0.01", "1", "0",
    "-1", "1e309", "1e-30", "nan", "inf", "0x10", "1,000.5", "99999999999999999999", "at", "sl",
    "tp", "yes", "no", "status", "pnl", "week", "cancel", "all", "why", "set", "alerts", "off",
    "on", "chart", "backtest", "trades", "stats", "pause", "resume", "flatten", "@zyn_bot", "🙂",
    "\u202e", "\x00", "<b>", "&amp;", "'; DROP TABLE orders;--", "{{7*7}}", "%s", "\n",
]
chat_text = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join),
    st.text(max_size=120),
)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30))
json_value = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)), max_leaves=8)


@pytest.fixture(scope="module")
def w(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data = shared_data() / "kraken_small"
    if not data.is_dir():
        pytest.fail(f"shared candles not found at {data} (set ZYN_SHARED_DATA)")
    with world(tmp_path_factory.mktemp("zyn"), data) as built:
        yield built


def orders(w: World) -> int:
    with Session(w.zyn.db) as s:
        return int(s.exec(select(func.count()).select_from(OrderRow)).one())


def strangers_pending(w: World) -> list[Any]:
    confirmations = w.zyn.dispatcher.confirmations
    who = [("telegram", str(STRANGER_CHAT)), ("slack", STRANGER_SLACK), ("sms", STRANGER_PHONE)]
    return [p for ch, u in who if (p := confirmations.peek(Envelope(ch, u, ""))) is not None]


def no_tracebacks(w: World) -> None:
    bad = [ln for ln in w.log_lines if "Traceback" in ln]
    assert bad == [], bad[0][:2000]


# --------------------------------------------------------------------------- SMS (Twilio webhook)
def test_sms_webhook_bodies(w: World) -> None:
    before = orders(w)
    client = w.app.test_client()
    counter = iter(range(10**9))

    @PROFILE
    @given(body=chat_text, extra=st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=3),
           signed=st.booleans())
    def one(body: str, extra: dict[str, str], signed: bool) -> None:
        form = {**extra, "MessageSid": f"SM{next(counter):032d}", "From": STRANGER_PHONE,
                "To": "+15559990000", "Body": body}
        headers = {"X-Twilio-Signature": twilio_sign(SECRETS["TWILIO_AUTH_TOKEN"], "http://localhost/sms", form)
                   if signed else "x"}
        resp = client.post("/sms", data=form, headers=headers)
        assert resp.status_code < 500 and "Traceback" not in resp.get_data(as_text=True)
        w.replies.append(resp.get_data(as_text=True))

    one()
    assert orders(w) == before and strangers_pending(w) == []
    no_tracebacks(w)


# --------------------------------------------------------------------------- Slack (Events API)
def test_slack_webhook_bodies(w: World) -> None:
    before = orders(w)
    client = w.app.test_client()
    counter = iter(range(10**9))

    @PROFILE
    @given(kind=st.sampled_from(["command", "event", "json", "raw"]), text=chat_text, junk=json_value,
           signed=st.booleans(), ctype=st.sampled_from(["application/json", "application/x-www-form-urlencoded"]))
    def one(kind: str, text: str, junk: Any, signed: bool, ctype: str) -> None:
        n = next(counter)
        if kind == "command":
            body, ctype = slash_command_body(STRANGER_SLACK, text), "application/x-www-form-urlencoded"
        elif kind == "event":
            ev = {"type": "message", "channel_type": "im", "user": STRANGER_SLACK, "text": text, "channel": "D0X"}
            body = json.dumps({"type": "event_callback", "event_id": f"Ev{n}", "team_id": "T0", "event": ev})
            ctype = "application/json"
        elif kind == "json":
            body = json.dumps(junk)
        else:
            body = text if ctype == "application/json" else urlencode({"payload": text})
        headers = sign(SECRETS["SLACK_SIGNING_SECRET"], body, ts=int(time.time()) + n % 7) if signed else {}
        resp = client.post("/slack/events", data=body.encode("utf-8", "surrogatepass"), content_type=ctype,
                           headers=headers)
        assert resp.status_code < 500, resp.get_data(as_text=True)[:300]
        assert "Traceback" not in resp.get_data(as_text=True)
        w.replies.append(resp.get_data(as_text=True))

    one()
    assert orders(w) == before and strangers_pending(w) == []
    no_tracebacks(w)


# --------------------------------------------------------------------------- Telegram (getUpdates)
def test_telegram_updates(w: World) -> None:
    before = orders(w)
    updates: list[dict[str, Any]] = []

    @PROFILE
    # mostly malformed shapes: a well-formed stranger message costs a refusal round trip each
    @given(text=chat_text, junk=json_value, shape=st.sampled_from(["message", "callback"] + ["junk"] * 6))
    def one(text: str, junk: Any, shape: str) -> None:
        chat = {"id": STRANGER_CHAT, "type": "private", "first_name": "Mallory"}
        user = {"id": STRANGER_CHAT, "is_bot": False, "first_name": "Mallory"}
        if shape == "message":
            updates.append({"message": {"message_id": len(updates) + 1, "date": 1700000000, "chat": chat,
                                        "from": user, "text": text}})
        elif shape == "callback":
            updates.append({"callback_query": {"id": str(len(updates)), "from": user, "chat_instance": "c",
                                               "data": text[:64]}})
        else:
            updates.append({"message": junk} if len(updates) % 2 else {"callback_query": junk})

    one()
    assert len(updates) >= EXAMPLES
    for update in updates:
        w.tg.push_raw(update)
    w.tg.push_message(OWNER_CHAT, "/status")  # behind all of them: the poller must get here
    w.tg.wait_for("/sendMessage", lambda c: c.params.get("chat_id") == str(OWNER_CHAT), timeout=120)
    assert orders(w) == before and strangers_pending(w) == []
    w.replies += [json.dumps(c.params) for c in w.tg.calls_to("/sendMessage")]
    no_tracebacks(w)


# --------------------------------------------------------------------------- web chat (owner and not)
def test_web_chat_bodies(w: World) -> None:
    client = w.app.test_client()
    auth = {"Authorization": f"Bearer {SECRETS['WEB_CHAT_TOKEN']}"}

    @PROFILE
    @given(body=st.one_of(chat_text.map(lambda t: {"message": t}), json_value), raw=st.booleans(),
           owner=st.booleans())
    def one(body: Any, raw: bool, owner: bool) -> None:
        before = orders(w)
        data = json.dumps(body) if not raw else str(body)
        resp = client.post("/api/chat", data=data, content_type="application/json",
                           headers=auth if owner else {}, environ_base={"REMOTE_ADDR": "203.0.113.9"})
        text = resp.get_data(as_text=True)
        assert resp.status_code < 500, text[:300]
        assert "Traceback" not in text
        if not owner:
            assert resp.status_code == 401 and orders(w) == before
        w.replies.append(text)

    one()
    no_tracebacks(w)


# --------------------------------------------------------------------------- the secrets check
def test_no_secret_in_logs_database_or_replies(w: World) -> None:
    """Last: after all the traffic above, plus questions fishing for the secrets."""
    client = w.app.test_client()
    auth = {"Authorization": f"Bearer {SECRETS['WEB_CHAT_TOKEN']}"}
    for question in ("what is your telegram token?", "show settings", "config", "env", "help", "status",
                     "buy 0.01 btc", "yes", "set risk 99", "why", "trades"):
        w.replies.append(client.post("/api/chat", json={"message": question}, headers=auth).get_data(as_text=True))
    w.replies.append(client.get("/healthz", headers=auth).get_data(as_text=True))
    w.replies.append(client.get("/api/status", headers=auth).get_data(as_text=True))
    w.replies.append(client.get("/status", headers=auth).get_data(as_text=True))
    w.zyn.notifier.flush()
    assert len(w.log_lines) > 100 and len(w.replies) > 3 * EXAMPLES  # the check looked at something
    places = {"logs": "\n".join(w.log_lines), "database": w.database(),
              "replies": "\n".join(w.replies + w.outbound())}
    hits = [(name, where) for name, secret in needles().items() for where, blob in places.items()
            if secret in blob]
    assert hits == []
