"""Long table replies (status, positions, stats) from the real dispatcher reach Telegram, Slack and
SMS through their real SDKs with every value whole: no cell cut at 24 characters (the old Slack
code block) or at a message limit. The fakes enforce each API's own limits (4096 characters,
3000 per Slack section, 50 blocks)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # noqa: S405 - parsing our own TwiML in tests
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session

from adapters.channels import sms
from adapters.channels.render import sms_segments, to_gsm
from adapters.channels.settings import ChannelSettings
from adapters.channels.slack import SlackChannel
from adapters.channels.telegram import TelegramChannel
from bot.conversation.envelope import Envelope, Reply
from bot.conversation.intents import IntentClassifier
from bot.conversation.offline_engine import OfflineEngine
from bot.conversation.services import Services
from bot.dispatch.dispatcher import Dispatcher
from core.clock import SimClock
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import TradeRow
from tests.adapters.channels.conftest import OWNER_CHAT, OWNER_PHONE, OWNER_SLACK, SLACK_SECRET
from tests.fakes.services import T0, FakeBacktester, FakeLearner, FakeMarket, FakeStatus, FakeTrading
from tests.fakes.slack_api import FakeSlackAPI, sign, slash_command_body
from tests.fakes.telegram_api import FakeTelegramAPI, html_to_text
from tests.fakes.twilio_api import sign as twilio_sign

PAIRS = ["BTC/USD", "ETH/USD", "SOL/USD", "XRP/USD", "LTC/USD", "ADA/USD", "DOT/USD"]
PAUSED = "kill-switch tripped at 14:00 UTC: equity fell 3.2 % below yesterday's close"


def _position(i: int, pair: str) -> dict[str, Any]:
    return {
        "pair": pair,
        "amount": 0.12345678 + i,
        "entry_price": 61234.5 + i,
        "mark_price": 62600.25 + i,
        "unrealized_pnl": -1234.56 - i,
        "stop_price": 59000.0 + i,
        "take_profit_price": 65432.1 + i,
    }


def _plant_trades(db: Any) -> None:
    rows = []
    for n, pair in enumerate(PAIRS):
        for i in range(12 + n):
            won = i % 3 != 0
            entry = int(datetime(2024, 5, 1 + i % 20, 10, tzinfo=UTC).timestamp() * 1000)
            rows.append(
                TradeRow(pair=pair, source="paper", status="closed", entry_ms=entry, exit_ms=entry + 3_600_000,
                         amount=0.01, entry_price=100.0, exit_price=110.0 if won else 95.0, initial_risk=10.0,
                         pnl=20.0 if won else -10.0, r_multiple=2.0 if won else -1.0,
                         exit_reason="target" if won else "stop")
            )
    with Session(db) as s:
        s.add_all(rows)
        s.commit()


@pytest.fixture
def dispatcher(tmp_path: Path) -> Dispatcher:
    db = make_engine(f"sqlite:///{tmp_path}/long.db")
    _plant_trades(db)
    status = FakeStatus()
    status.snap["positions"] = [_position(i, p) for i, p in enumerate(PAIRS)]
    status.snap["autopilot"] = {"running": True, "paused_reason": PAUSED}
    services = Services(trading=FakeTrading(), status=status, learner=FakeLearner(), backtester=FakeBacktester(),
                        market=FakeMarket(), pairs=tuple(PAIRS))
    allow = {"telegram": {str(OWNER_CHAT)}, "slack": {OWNER_SLACK}, "sms": {OWNER_PHONE}, "web": {"*"}}
    engine = OfflineEngine(IntentClassifier([("status", "status"), ("help", "help")]))
    return Dispatcher(services, KeyValueStore(db), db, SimClock(T0), allow, "jimmy", engine)


def values(reply: Reply) -> list[str]:
    """Every cell and text line of a reply, as a reader must find it."""
    found = [c for row in reply.rows for c in row if c] + [line for line in reply.text.splitlines() if line]
    return [c for c in found if c.strip()]


def missing(reply: Reply, shown: str, normal: Callable[[str], str] = str) -> list[str]:
    flat = " ".join(shown.split())
    return [v for v in values(reply) if " ".join(normal(v).split()) not in flat]


def _blocks(raw: Any) -> list[dict[str, Any]]:
    return list(json.loads(raw) if isinstance(raw, str) else raw)


COMMANDS = ["status", "positions", "stats pair"]


def test_the_replies_are_long_enough_to_have_been_cut(dispatcher: Dispatcher) -> None:
    status, positions, stats = (dispatcher.handle(Envelope("web", "owner", c)) for c in COMMANDS)
    assert max(len(c) for row in status.rows for c in row) > 24  # the old Slack cut
    for table in (positions, stats):  # wider than a phone: a code block would wrap or cut
        assert table.columns and sum(max(len(c) for c in col) for col in zip(*table.rows, strict=True)) > 40
    assert len(positions.rows) == len(PAIRS) and len(stats.rows) == len(PAIRS) + 1


@pytest.fixture
def telegram(channels: ChannelSettings, dispatcher: Dispatcher) -> Iterator[TelegramChannel]:
    channel = TelegramChannel(channels, dispatcher, poll_timeout_s=1)
    channel.start()
    yield channel
    channel.stop()


@pytest.mark.parametrize("command", COMMANDS)
def test_telegram_shows_every_value(
    command: str, telegram: TelegramChannel, telegram_api: FakeTelegramAPI, dispatcher: Dispatcher
) -> None:
    expected = dispatcher.handle(Envelope("web", "owner", command))
    telegram_api.push_message(OWNER_CHAT, command)
    first = telegram_api.wait_for("/sendMessage")[0]
    title = html_to_text(str(first.params["text"]))[0].splitlines()[0]
    assert title == expected.title
    shown = ""
    for _ in range(20):  # a long reply arrives as several messages: wait until every value is in
        calls = telegram_api.calls_to("/sendMessage")
        texts = [html_to_text(str(c.params["text"])) for c in calls]
        assert not any(error for _, error in texts)
        shown = "\n".join(t for t, _ in texts)
        if not missing(expected, shown):
            break
        telegram_api.wait_for("/sendMessage", count=len(calls) + 1)
    assert missing(expected, shown) == []
    assert "…" not in shown


@pytest.mark.parametrize("command", COMMANDS)
def test_slack_shows_every_value(
    command: str, channels: ChannelSettings, slack_api: FakeSlackAPI, dispatcher: Dispatcher
) -> None:
    expected = dispatcher.handle(Envelope("web", "owner", command))
    app = Flask("zyn-long")
    app.register_blueprint(SlackChannel(channels, dispatcher).blueprint())
    body = slash_command_body(OWNER_SLACK, command)
    resp = app.test_client().post("/slack/events", data=body, headers=sign(SLACK_SECRET, body),
                                  content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 200
    shown = ""
    for count in range(1, 20):
        posts = slack_api.wait_for("/chat.postMessage", count=count)
        blocks = [b for p in posts for b in _blocks(p.params["blocks"])]
        sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
        shown = "\n".join(sections).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        shown = shown.replace("```", "").replace("*", "")
        if not missing(expected, shown):
            break
    assert missing(expected, shown) == []
    assert "…" not in shown


@pytest.mark.parametrize("command", COMMANDS)
def test_sms_shows_every_value(command: str, channels: ChannelSettings, dispatcher: Dispatcher) -> None:
    expected = dispatcher.handle(Envelope("web", "owner", command))
    app = Flask("zyn-long")
    app.register_blueprint(sms.sms_blueprint(dispatcher, channels))
    form = {"MessageSid": f"SM{abs(hash(command)):032d}"[:34], "From": OWNER_PHONE, "To": "+15559990000",
            "Body": command}
    headers = {"X-Twilio-Signature": twilio_sign(channels.twilio_auth_token, "http://localhost/sms", form)}
    resp = app.test_client().post("/sms", data=form, headers=headers)
    root = ET.fromstring(resp.get_data(as_text=True))  # noqa: S314 - our own TwiML
    texts = [m.text or "" for m in root.iter("Message")]
    assert texts and all(sms_segments(t) <= 3 for t in texts)
    assert missing(expected, "\n".join(texts), to_gsm) == []  # GSM-7 look-alikes: "–" is sent as "-"
