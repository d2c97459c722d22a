"""Review regressions: a signed Slack request acts once; a malformed timestamp is a 401."""

from __future__ import annotations

import time

import pytest
from flask import Flask

from tests.adapters.channels.conftest import OWNER_SLACK, SLACK_SECRET
from tests.adapters.channels.test_slack import post, posted
from tests.fakes.chat_backend import FakeZyn
from tests.fakes.slack_api import FakeSlackAPI, sign, slash_command_body

FORM = "application/x-www-form-urlencoded"


def test_replayed_slash_command_yes_confirms_nothing(app: Flask, zyn: FakeZyn, slack_api: FakeSlackAPI) -> None:
    # A captured, correctly signed `/zyn yes` replayed inside the 5-minute window (slash commands
    # carry no event_id) must not confirm the owner's next order.
    yes_body = slash_command_body(OWNER_SLACK, "yes")
    captured = sign(SLACK_SECRET, yes_body)
    assert post(app, yes_body, FORM, captured)[0] == 200
    posted(slack_api, "Nothing to confirm")
    assert post(app, slash_command_body(OWNER_SLACK, "buy 0.01 BTC"), FORM)[0] == 200
    posted(slack_api, "Confirm order")
    assert post(app, yes_body, FORM, captured)[0] == 200  # the replay
    time.sleep(0.3)
    assert zyn.dispatcher.actions == []
    assert [e.text for e in zyn.dispatcher.seen] == ["yes", "buy 0.01 BTC"]


@pytest.mark.parametrize("ts", ["abc", "1e9", "9" * 5000, "", "-1"])
def test_malformed_timestamp_is_401(app: Flask, zyn: FakeZyn, ts: str) -> None:
    body = slash_command_body(OWNER_SLACK, "status")
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=00"}
    status, text = post(app, body, FORM, headers)
    assert status == 401 and "\n" == text[-1:] and "Traceback" not in text
    time.sleep(0.2)
    assert zyn.dispatcher.seen == []
