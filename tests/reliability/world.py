"""A whole Zyn from the composition root with every channel on loopback fakes and a recognisable
secret in every credential, plus everything it wrote: log lines (loguru and std logging),
replies (web JSON, TwiML, what reached the fake Telegram/Slack/Twilio APIs) and the database."""

from __future__ import annotations

import base64
import json
import logging
import sqlite3
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from loguru import logger

from adapters.web.app import create_web_app
from bot.settings import load_settings
from bot.wiring.app import Zyn, build_zyn
from tests.fakes.openai_server import FakeOpenAIServer, text
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI, quick_poll
from tests.fakes.twilio_api import FakeTwilioAPI

OWNER_CHAT, STRANGER_CHAT = 4242, 6666
OWNER_SLACK, STRANGER_SLACK = "U0JIMMY", "U0MALLORY"
OWNER_PHONE, STRANGER_PHONE = "+15550001111", "+19998887777"

SECRETS = {
    "TELEGRAM_BOT_TOKEN": "777000:CANARYtelegramTOKENzyn0001",
    "SLACK_BOT_TOKEN": "xoxb-CANARYslackBOTtoken0002",
    "SLACK_SIGNING_SECRET": "CANARYslackSIGNINGsecret0003",
    "TWILIO_AUTH_TOKEN": "CANARYtwilioAUTHtoken0004",
    "WEB_CHAT_TOKEN": "CANARYwebCHATtoken0005",
    "OPENAI_API_KEY": "sk-CANARYopenaiKEY0006",
    "KRAKEN_API_KEY": "CANARYkrakenAPIkey0007",
    "KRAKEN_API_SECRET": base64.b64encode(b"CANARYkrakenSECRET0008" + bytes(42)).decode(),
}


def needles() -> dict[str, str]:
    """What must never appear: each secret, and the half of the bot token after the colon."""
    out = dict(SECRETS)
    out["TELEGRAM_BOT_TOKEN (secret half)"] = SECRETS["TELEGRAM_BOT_TOKEN"].split(":", 1)[1]
    return out


@dataclass
class World:
    zyn: Zyn
    app: Flask
    tg: FakeTelegramAPI
    slack: FakeSlackAPI
    twilio: FakeTwilioAPI
    llm: FakeOpenAIServer
    db_path: Path
    log_lines: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)

    def outbound(self) -> list[str]:
        """Everything Zyn sent out to the chat APIs (the content, not the URL with the token)."""
        out = [json.dumps(c.params) for c in self.tg.calls if not c.path.endswith("/getUpdates")]
        out += [json.dumps(c.params) for c in self.slack.calls]
        out += [json.dumps(m) for m in self.twilio.sent]
        out += [json.dumps(r.body) for r in self.llm.requests]
        return out

    def database(self) -> str:
        with sqlite3.connect(self.db_path) as conn:
            return "\n".join(conn.iterdump())


class _StdCapture(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.WARNING)  # what an unconfigured root logger would print
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(self.format(record))


@contextmanager
def world(tmp: Path, data: Path, keep_log_lines: int | None = None,
          extra_env: Mapping[str, str] | None = None) -> Iterator[World]:
    """`keep_log_lines`: only the last N log lines are kept (a long soak; default all);
    `extra_env`: more settings (e.g. ZYN_PAIRS), read like the rest through load_settings."""
    tg = FakeTelegramAPI(token=SECRETS["TELEGRAM_BOT_TOKEN"]).start()
    slack = FakeSlackAPI(token=SECRETS["SLACK_BOT_TOKEN"]).start()
    twilio = FakeTwilioAPI(auth_token=SECRETS["TWILIO_AUTH_TOKEN"]).start()
    llm = FakeOpenAIServer().start()
    llm.script(*[text("I can only help with your trading here.")] * 6000)
    lines: Any = [] if keep_log_lines is None else deque(maxlen=keep_log_lines)
    sink = logger.add(lambda m: lines.append(str(m)), level="DEBUG", diagnose=False,
                      format="{time} {level} {name}:{function} {message} | {extra}\n{exception}")
    std = _StdCapture(lines)
    logging.getLogger().addHandler(std)
    env = {
        "DATABASE_URL": f"sqlite:///{tmp}/zyn.db", "PAPER_FEED": "replay", "PAPER_DATA": str(data),
        "TELEGRAM_API_URL": tg.url, "TELEGRAM_ALLOWED_CHAT_IDS": str(OWNER_CHAT),
        "SLACK_API_URL": slack.api_url, "SLACK_ALLOWED_USER_IDS": OWNER_SLACK,
        "TWILIO_ACCOUNT_SID": twilio.account_sid, "TWILIO_FROM_NUMBER": "+15559990000",
        "TWILIO_API_URL": twilio.url, "SMS_ALLOWED_NUMBERS": OWNER_PHONE, "SMS_ALERT_TO": OWNER_PHONE,
        "OPENAI_BASE_URL": llm.base_url, **SECRETS, **(extra_env or {}),
    }
    zyn = build_zyn(quick_poll(load_settings(env)))
    telegram: Any = zyn.channels["telegram"]
    telegram.start()
    try:
        yield World(zyn, create_web_app(zyn), tg, slack, twilio, llm, tmp / "zyn.db", lines)
    finally:
        zyn.close()
        for fake in (tg, slack, twilio):
            fake.stop()
        llm.stop()
        logger.remove(sink)
        logging.getLogger().removeHandler(std)
