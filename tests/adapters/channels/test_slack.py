"""Slack through the real slack-bolt App (Flask adapter) and slack_sdk WebClient vs the loopback fake."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from flask import Flask
from loguru import logger as log

from adapters.channels import slack
from adapters.channels.ports import ChannelConfigError
from adapters.channels.settings import ChannelSettings
from adapters.channels.slack import SlackChannel
from tests.adapters.channels.conftest import OWNER_SLACK, SLACK_SECRET, build_app, without
from tests.fakes.chat_backend import FakeZyn, tiny_png
from tests.fakes.loopback_http import Call
from tests.fakes.slack_api import FakeSlackAPI, event_body, sign, slash_command_body


def post(app: Flask, body: str, content_type: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    headers = sign(SLACK_SECRET, body) if headers is None else headers
    resp = app.test_client().post("/slack/events", data=body, content_type=content_type, headers=headers)
    return resp.status_code, resp.get_data(as_text=True)


def command(app: Flask, user: str, text: str, channel: str = "C0GENERAL") -> int:
    return post(app, slash_command_body(user, text, channel), "application/x-www-form-urlencoded")[0]


def event(app: Flask, ev: dict[str, Any], event_id: str) -> int:
    return post(app, event_body(ev, event_id), "application/json")[0]


def posted(api: FakeSlackAPI, needle: str, count: int = 1) -> list[Call]:
    return api.wait_for("/chat.postMessage", lambda c: needle in json.dumps(c.params), count=count)


def test_slash_command_confirm_then_yes(app: Flask, zyn: FakeZyn, slack_api: FakeSlackAPI) -> None:
    assert command(app, OWNER_SLACK, "buy 0.01 BTC") == 200
    confirm = posted(slack_api, "Confirm order")[0].params
    assert confirm["channel"] == "C0GENERAL"
    actions = [b for b in confirm["blocks"] if b["type"] == "actions"][0]
    assert [e["value"] for e in actions["elements"]] == ["yes", "no"]
    assert zyn.dispatcher.actions == []
    assert command(app, OWNER_SLACK, "yes") == 200
    posted(slack_api, "Filled: buy 0.01 BTC")
    assert zyn.dispatcher.actions == [("slack", OWNER_SLACK, "buy 0.01 BTC")]
    assert slack_api.calls_to("/auth.test"), "bolt calls auth.test once on the first request"


def test_button_press_confirms(app: Flask, zyn: FakeZyn, slack_api: FakeSlackAPI) -> None:
    command(app, OWNER_SLACK, "buy 0.02 ETH")
    posted(slack_api, "Confirm order")
    payload = {
        "type": "block_actions",
        "user": {"id": OWNER_SLACK},
        "team": {"id": "T0TEAM"},
        "api_app_id": "A0APP",
        "channel": {"id": "D0JIMMY"},
        "trigger_id": "1.2",
        "container": {"type": "message", "message_ts": "1.1"},
        "message": {"ts": "1.1", "text": "x"},
        "actions": [
            {
                "type": "button",
                "action_id": "zyn_reply_yes",
                "block_id": "zyn_confirm",
                "value": "yes",
                "action_ts": "1.3",
            }
        ],
    }
    from urllib.parse import urlencode

    status, _ = post(app, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")
    assert status == 200
    posted(slack_api, "Filled: buy 0.02 ETH")
    assert zyn.dispatcher.actions == [("slack", OWNER_SLACK, "buy 0.02 ETH")]


def test_mention_and_dm(app: Flask, slack_api: FakeSlackAPI) -> None:
    mention = {
        "type": "app_mention",
        "user": OWNER_SLACK,
        "text": "<@U0ZYNBOT> status",
        "ts": "1.0",
        "channel": "C0GENERAL",
        "event_ts": "1.0",
    }
    assert event(app, mention, "Ev1") == 200
    reply = posted(slack_api, "All good")[0].params
    assert reply["channel"] == "C0GENERAL" and "*BTC/USD*: 0.01 @ 61000 stop 59000 tp 65000" in reply["text"]
    dm = {
        "type": "message",
        "channel_type": "im",
        "user": OWNER_SLACK,
        "text": "status",
        "ts": "2.0",
        "channel": "D0JIMMY",
        "event_ts": "2.0",
    }
    assert event(app, dm, "Ev2") == 200
    assert posted(slack_api, "D0JIMMY")[0].params["channel"] == "D0JIMMY"


def test_own_and_channel_messages_are_ignored(app: Flask, zyn: FakeZyn) -> None:
    own = {
        "type": "message",
        "channel_type": "im",
        "user": "U0ZYNBOT",
        "bot_id": "B0ZYN",
        "text": "hi",
        "ts": "3.0",
        "channel": "D0JIMMY",
        "event_ts": "3.0",
    }
    public = {
        "type": "message",
        "channel_type": "channel",
        "user": OWNER_SLACK,
        "text": "status",
        "ts": "4.0",
        "channel": "C0GENERAL",
        "event_ts": "4.0",
    }
    assert event(app, own, "Ev3") == 200
    assert event(app, public, "Ev4") == 200
    time.sleep(0.3)
    assert zyn.dispatcher.seen == []


def test_replayed_event_acts_once(app: Flask, zyn: FakeZyn, slack_api: FakeSlackAPI) -> None:
    dm = {
        "type": "message",
        "channel_type": "im",
        "user": OWNER_SLACK,
        "text": "status",
        "ts": "5.0",
        "channel": "D0JIMMY",
        "event_ts": "5.0",
    }
    assert event(app, dm, "EvSAME") == 200
    assert event(app, dm, "EvSAME") == 200
    posted(slack_api, "All good")
    time.sleep(0.3)
    assert len(zyn.dispatcher.seen) == 1


def test_stranger_refused(app: Flask, zyn: FakeZyn, slack_api: FakeSlackAPI) -> None:
    assert command(app, "U0MALLORY", "buy 1 BTC") == 200
    assert "owner" in posted(slack_api, "owner")[0].params["text"]
    assert command(app, "U0MALLORY", "yes") == 200
    posted(slack_api, "owner", count=2)
    assert zyn.dispatcher.actions == []


@pytest.mark.parametrize("case", ["bad", "stale", "missing"])
def test_bad_or_stale_signature_is_401(app: Flask, zyn: FakeZyn, case: str) -> None:
    body = slash_command_body(OWNER_SLACK, "status")
    headers = {
        "bad": sign("not-the-secret", body),
        "stale": sign(SLACK_SECRET, body, ts=int(time.time()) - 6 * 60),
        "missing": {},
    }[case]
    status, _ = post(app, body, "application/x-www-form-urlencoded", headers)
    assert status == 401
    time.sleep(0.2)
    assert zyn.dispatcher.seen == []


def test_url_verification(app: Flask) -> None:
    body = json.dumps({"token": "t", "challenge": "c-123", "type": "url_verification"})
    status, text = post(app, body, "application/json")
    assert status == 200 and "c-123" in text


def test_chart_uploaded_to_the_dm(app: Flask, slack_api: FakeSlackAPI) -> None:
    assert command(app, OWNER_SLACK, "chart", channel="D0JIMMY") == 200
    done = slack_api.wait_for("/files.completeUploadExternal")[0].params
    assert done["channel_id"] == "D0JIMMY"
    assert any(data.startswith(b"\x89PNG") for data in slack_api.uploads.values())


def test_reply_falls_back_to_dm_when_not_in_channel(app: Flask, slack_api: FakeSlackAPI) -> None:
    slack_api.not_joined.add("C0SECRET")
    assert command(app, OWNER_SLACK, "status", channel="C0SECRET") == 200
    first, retry = posted(slack_api, "All good", count=2)
    assert (first.params["channel"], retry.params["channel"]) == ("C0SECRET", OWNER_SLACK)


def test_send_alert_dm_with_chart(channels: ChannelSettings, slack_api: FakeSlackAPI) -> None:
    ts = SlackChannel(channels).send("Stop hit: BTC/USD -1.2 R <!channel>", image_png=tiny_png())
    assert ts
    msg = slack_api.posts()[-1]
    assert msg["channel"] == OWNER_SLACK
    assert "&lt;!channel&gt;" in msg["text"]  # no @channel injection through alert text
    assert slack_api.wait_for("/files.completeUploadExternal")[0].params["channel_id"] == "D0JIMMY"


def test_configuration_rules(channels: ChannelSettings, zyn: FakeZyn) -> None:
    with pytest.raises(ChannelConfigError, match="SLACK_ALLOWED_USER_IDS"):
        SlackChannel(without(channels, slack_allowed_user_ids=()))
    with pytest.raises(ChannelConfigError, match="both"):
        slack.slack_configured(without(channels, slack_signing_secret=""))
    zyn.settings = zyn.settings.__class__(
        channels=without(channels, slack_bot_token="", slack_signing_secret="")
    )
    resp = build_app(zyn).test_client().post("/slack/events", data="{}")
    assert resp.status_code == 404


def test_send_raises_on_slack_error_so_the_notifier_can_isolate_it(channels: ChannelSettings) -> None:
    from slack_sdk.errors import SlackApiError

    with pytest.raises(SlackApiError, match="invalid_auth"):
        SlackChannel(without(channels, slack_bot_token="xoxb-revoked")).send("kill-switch tripped")


@pytest.mark.parametrize("body", ["x", "{", "[1]", '{"type": 5}', "payload=%7Bnot-json", "\xff\x00"])
@pytest.mark.parametrize("signed", [False, True])
def test_malformed_body_is_refused_without_a_traceback(
    app: Flask, zyn: FakeZyn, body: str, signed: bool
) -> None:
    lines: list[str] = []
    sink = log.add(lambda m: lines.append(str(m)), level="DEBUG", format="{level} {message}")
    try:
        headers = sign(SLACK_SECRET, body) if signed else {}
        status, text = post(app, body, "application/json", headers)
    finally:
        log.remove(sink)
    assert status in (400, 404) if signed else status == 401  # 404: bolt's "unhandled request"
    assert "Traceback" not in text and not [ln for ln in lines if "Traceback" in ln]
    assert len([ln for ln in lines if "slack:" in ln]) == (0 if status == 404 else 1)
    assert zyn.dispatcher.seen == []
