"""Every channel in front of the real composition root (bot.wiring.app.build_zyn, paper mode, replay data).

Proves the channel adapters and the real dispatcher fit: the owner gets answers, a stranger on
every channel is refused and nothing runs (no pending confirmation is created). The full
buy -> yes -> fill -> alert run against the paper exchange builds on these fixtures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from adapters.channels.telegram import TelegramChannel
from adapters.web.app import create_web_app
from bot.settings import load_settings
from tests.adapters.channels.conftest import OWNER_CHAT, OWNER_PHONE, OWNER_SLACK, SLACK_SECRET, STRANGER_CHAT
from tests.conftest import shared_data
from tests.fakes.slack_api import FakeSlackAPI, sign, slash_command_body
from tests.fakes.telegram_api import FakeTelegramAPI, quick_poll
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.fakes.twilio_api import sign as twilio_sign

DATA = shared_data() / "kraken_small"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not DATA.is_dir():
        pytest.skip(f"shared candles not found at {DATA} (set ZYN_SHARED_DATA)")
    from bot.wiring.app import build_zyn

    tg, sl, tw = FakeTelegramAPI().start(), FakeSlackAPI().start(), FakeTwilioAPI().start()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('zyn')}/zyn.db",
        "PAPER_FEED": "replay",
        "PAPER_DATA": str(DATA),
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_URL": tg.url,
        "TELEGRAM_ALLOWED_CHAT_IDS": str(OWNER_CHAT),
        "SLACK_BOT_TOKEN": sl.token,
        "SLACK_SIGNING_SECRET": SLACK_SECRET,
        "SLACK_API_URL": sl.api_url,
        "SLACK_ALLOWED_USER_IDS": OWNER_SLACK,
        "TWILIO_ACCOUNT_SID": tw.account_sid,
        "TWILIO_AUTH_TOKEN": tw.auth_token,
        "TWILIO_FROM_NUMBER": "+15559990000",
        "TWILIO_API_URL": tw.url,
        "SMS_ALLOWED_NUMBERS": OWNER_PHONE,
        "SMS_ALERT_TO": OWNER_PHONE,
    }
    zyn = build_zyn(quick_poll(load_settings(env)))
    telegram: TelegramChannel = zyn.channels["telegram"]
    telegram.start()
    try:
        yield {"zyn": zyn, "app": create_web_app(zyn), "tg": tg, "slack": sl, "twilio": tw}
    finally:
        zyn.close()
        for fake in (tg, sl, tw):
            fake.stop()


def pending(world: dict[str, Any]) -> list[Any]:
    """Pending confirmations the strangers could have created (must stay empty)."""
    from bot.conversation.envelope import Envelope

    confirmations = world["zyn"].dispatcher.confirmations
    strangers = [("telegram", str(STRANGER_CHAT)), ("slack", "U0MALLORY"), ("sms", "+19998887777")]
    return [p for ch, u in strangers if (p := confirmations.peek(Envelope(ch, u, ""))) is not None]


def sms(app: Flask, sender: str, body: str, sid: str, token: str) -> str:
    form = {"MessageSid": sid, "From": sender, "To": "+15559990000", "Body": body}
    headers = {"X-Twilio-Signature": twilio_sign(token, "http://localhost/sms", form)}
    return app.test_client().post("/sms", data=form, headers=headers).get_data(as_text=True)


def test_stranger_refused_on_every_channel(world: dict[str, Any]) -> None:
    app, tg, sl, tw = world["app"], world["tg"], world["slack"], world["twilio"]
    tg.push_message(STRANGER_CHAT, "buy 0.01 btc")
    refusal = tg.wait_for("/sendMessage", lambda c: c.params["chat_id"] == str(STRANGER_CHAT))[0]
    assert "allow-list" in refusal.params["text"] and "reply_markup" not in refusal.params

    body = slash_command_body("U0MALLORY", "buy 0.01 btc")
    resp = app.test_client().post(
        "/slack/events",
        data=body,
        content_type="application/x-www-form-urlencoded",
        headers=sign(SLACK_SECRET, body),
    )
    assert resp.status_code == 200
    assert "allow-list" in json.dumps(sl.wait_for("/chat.postMessage")[0].params)

    assert "allow-list" in sms(app, "+19998887777", "buy 0.01 btc", "SM" + "1" * 32, tw.auth_token)

    remote = app.test_client().post(
        "/api/chat", json={"message": "buy 0.01 btc"}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert remote.status_code == 403
    assert pending(world) == []


def test_owner_gets_status_on_every_channel(world: dict[str, Any]) -> None:
    app, tg, tw = world["app"], world["tg"], world["twilio"]
    tg.push_message(OWNER_CHAT, "/status")
    msg = tg.wait_for("/sendMessage", lambda c: c.params["chat_id"] == str(OWNER_CHAT))[0]
    assert "Status" in msg.params["text"] and "<b>Mode</b>: paper" in msg.params["text"]
    assert "Paper mode" in sms(app, OWNER_PHONE, "status", "SM" + "2" * 32, tw.auth_token)
    reply = app.test_client().post("/api/chat", json={"message": "status"}).get_json()
    assert reply["title"] == "Status" and "Paper mode" in reply["reply"]
    page = app.test_client().get("/status").get_data(as_text=True)
    assert 'id="positions"' in page and "<svg" in page
