"""SMS: signed Twilio webhooks into the Flask app, outbound alerts via twilio.rest vs the fake REST API."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own TwiML in tests

import pytest
from flask import Flask
from twilio.base.exceptions import TwilioRestException

from adapters.channels.ports import ChannelConfigError
from adapters.channels.render import sms_segments
from adapters.channels.settings import ChannelSettings
from adapters.channels.sms import SmsChannel, sms_configured
from tests.adapters.channels.conftest import OWNER_PHONE, build_app, without
from tests.fakes.chat_backend import FakeZyn
from tests.fakes.twilio_api import FakeTwilioAPI, sign

LOCAL_URL = "http://localhost/sms"
_sids = iter(range(1, 10_000))


def params(sender: str, body: str, sid: str | None = None) -> dict[str, str]:
    return {
        "MessageSid": sid or f"SM{next(_sids):032d}",
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+15559990000",
        "Body": body,
        "NumMedia": "0",
    }


def webhook(
    app: Flask, form: dict[str, str], token: str | None, url: str = LOCAL_URL, path: str = "/sms"
) -> tuple[int, str]:
    headers = {"X-Twilio-Signature": sign(token, url, form)} if token else {}
    resp = app.test_client().post(path, data=form, headers=headers)
    return resp.status_code, resp.get_data(as_text=True)


def message_text(twiml: str) -> str:
    root = ET.fromstring(twiml)  # noqa: S314 - our own TwiML
    assert root.tag == "Response"
    return "".join(m.text or "" for m in root.iter("Message"))


def test_signed_webhook_gets_twiml_reply(app: Flask, channels: ChannelSettings) -> None:
    status, body = webhook(app, params(OWNER_PHONE, "status"), channels.twilio_auth_token)
    assert status == 200
    text = message_text(body)
    assert text.startswith("Status\nAll good") and "BTC/USD" in text


def test_confirmation_flow_over_sms(app: Flask, zyn: FakeZyn, channels: ChannelSettings) -> None:
    token = channels.twilio_auth_token
    assert "yes" in message_text(webhook(app, params(OWNER_PHONE, "buy 0.01 BTC"), token)[1]).lower()
    assert zyn.dispatcher.actions == []
    assert "Filled" in message_text(webhook(app, params(OWNER_PHONE, "YES"), token)[1])
    assert zyn.dispatcher.actions == [("sms", OWNER_PHONE, "buy 0.01 BTC")]


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_unsigned_or_badly_signed_is_403(app: Flask, zyn: FakeZyn, token: str | None) -> None:
    status, _ = webhook(app, params(OWNER_PHONE, "buy 1 BTC"), token)
    assert status == 403
    assert zyn.dispatcher.seen == []


def test_tampered_body_is_403(app: Flask, zyn: FakeZyn, channels: ChannelSettings) -> None:
    form = params(OWNER_PHONE, "status")
    headers = {"X-Twilio-Signature": sign(channels.twilio_auth_token, LOCAL_URL, form)}
    resp = app.test_client().post("/sms", data={**form, "Body": "flatten"}, headers=headers)
    assert resp.status_code == 403 and zyn.dispatcher.seen == []


def test_public_url_is_what_is_verified(zyn: FakeZyn, channels: ChannelSettings) -> None:
    public = without(channels, public_url="https://zyn.example.net")
    zyn.settings = zyn.settings.__class__(channels=public)
    app = build_app(zyn)
    token = channels.twilio_auth_token
    assert webhook(app, params(OWNER_PHONE, "status"), token, url="https://zyn.example.net/sms")[0] == 200
    assert webhook(app, params(OWNER_PHONE, "status"), token, url=LOCAL_URL)[0] == 403


def test_replayed_message_sid_is_200_without_action(
    app: Flask, zyn: FakeZyn, channels: ChannelSettings
) -> None:
    form = params(OWNER_PHONE, "buy 0.01 BTC", sid="SM" + "7" * 32)
    first = webhook(app, form, channels.twilio_auth_token)
    replay = webhook(app, form, channels.twilio_auth_token)
    assert first[0] == replay[0] == 200
    assert message_text(first[1]) and message_text(replay[1]) == ""
    assert len(zyn.dispatcher.seen) == 1


def test_stranger_refused(app: Flask, zyn: FakeZyn, channels: ChannelSettings) -> None:
    token = channels.twilio_auth_token
    assert "owner" in message_text(webhook(app, params("+19998887777", "buy 1 BTC"), token)[1])
    webhook(app, params("+19998887777", "yes"), token)
    assert zyn.dispatcher.actions == []


def test_long_reply_stays_within_three_segments(app: Flask, channels: ChannelSettings) -> None:
    status, body = webhook(app, params(OWNER_PHONE, "x" * 1500), channels.twilio_auth_token)
    text = message_text(body)
    assert status == 200 and sms_segments(text) <= 3


def test_dispatcher_failure_is_one_line(app: Flask, channels: ChannelSettings) -> None:
    status, body = webhook(app, params(OWNER_PHONE, "boom"), channels.twilio_auth_token)
    assert status == 200 and message_text(body) == "Sorry, something went wrong; nothing was done."


def test_alert_goes_through_twilio_rest_with_basic_auth(
    channels: ChannelSettings, twilio_api: FakeTwilioAPI
) -> None:
    sid = SmsChannel(channels).send("Stop hit on BTC/USD: -12.40 USD " + "é" * 300)
    assert sid.startswith("SM")
    call = twilio_api.calls[-1]
    assert call.path == f"/2010-04-01/Accounts/{channels.twilio_account_sid}/Messages.json"
    assert call.headers["Authorization"].startswith("Basic ")
    sent = twilio_api.sent[-1]
    assert (sent["to"], sent["from"]) == (OWNER_PHONE, channels.twilio_from_number)
    assert sms_segments(sent["body"]) <= 3


def test_a_long_digest_goes_as_a_few_whole_texts(channels: ChannelSettings, twilio_api: FakeTwilioAPI) -> None:
    lines = [f"- Sat 23:{i:02d}: Bought 0.0{i} BTC/USD at 61,000.0; stop 59,000.0, target 65,000.0" for i in range(12)]
    head = "While you were in quiet hours (22:00-07:00) I held back 12 alert(s):"
    SmsChannel(channels).send("\n".join([head, *lines]))
    bodies = [m["body"] for m in twilio_api.sent]
    assert 1 < len(bodies) <= 3 and all(sms_segments(b) <= 3 for b in bodies)
    sent = [line for b in bodies for line in b.splitlines()]
    assert all(line in sent for line in lines)  # every alert line whole, none cut


def test_alert_with_wrong_credentials_raises(channels: ChannelSettings) -> None:
    with pytest.raises(TwilioRestException) as info:
        SmsChannel(without(channels, twilio_auth_token="nope")).send("x")
    assert info.value.status == 401


def test_configuration_rules(channels: ChannelSettings, zyn: FakeZyn) -> None:
    with pytest.raises(ChannelConfigError, match="SMS_ALLOWED_NUMBERS"):
        sms_configured(without(channels, sms_allowed_numbers=()))
    off = without(channels, twilio_account_sid="", twilio_auth_token="")
    assert not SmsChannel(off).enabled and SmsChannel(off).send("x") == ""
    zyn.settings = zyn.settings.__class__(channels=off)
    assert build_app(zyn).test_client().post("/sms", data={}).status_code == 404
