"""jimmy's plain phrasings through the real channel paths (issue 22.8), in front of the real
composition root in paper mode with live prices from the Kraken sim on loopback:

- Telegram (python-telegram-bot against the fake Bot API): "is the market open?" is answered
  from Kraken's SystemStatus as the sim serves it — and suggests nothing about flattening;
- SMS (the Twilio webhook, signed): "buy some bitcoin" asks how much, nothing is prepared;
- web chat: "pause trading until tomorrow" pauses with an end, `/api/status` shows
  `paused_until`, and when the sim's clock passes it the scheduler's `pause_end` job resumes
  and tells the owner on Telegram.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.channels.telegram import TelegramChannel
from adapters.web.app import create_web_app
from bot.conversation.envelope import Envelope
from bot.settings import load_settings
from bot.wiring.app import build_zyn
from tests.adapters.channels.conftest import OWNER_CHAT, OWNER_PHONE
from tests.bot.wiring.test_app_modes_sim import kraken_sim, paper_env, unthrottle
from tests.fakes.telegram_api import FakeTelegramAPI, quick_poll
from tests.fakes.twilio_api import FakeTwilioAPI
from tests.fakes.twilio_api import sign as twilio_sign

HOUR_MS = 3_600_000


@pytest.fixture
def world(tmp_path: Path, data_dir: Path) -> Iterator[dict[str, Any]]:
    tg, tw = FakeTelegramAPI().start(), FakeTwilioAPI().start()
    with kraken_sim(tmp_path, data_dir) as sim:
        env = {
            **paper_env(tmp_path, sim.url),
            "TELEGRAM_BOT_TOKEN": tg.token,
            "TELEGRAM_API_URL": tg.url,
            "TELEGRAM_ALLOWED_CHAT_IDS": str(OWNER_CHAT),
            "TWILIO_ACCOUNT_SID": tw.account_sid,
            "TWILIO_AUTH_TOKEN": tw.auth_token,
            "TWILIO_FROM_NUMBER": "+15559990000",
            "TWILIO_API_URL": tw.url,
            "SMS_ALLOWED_NUMBERS": OWNER_PHONE,
        }
        zyn = build_zyn(quick_poll(load_settings(env)), clock=sim.sim.clock)
        unthrottle(zyn)
        telegram: TelegramChannel = zyn.channels["telegram"]
        telegram.start()
        try:
            yield {"zyn": zyn, "sim": sim, "app": create_web_app(zyn), "tg": tg, "tw": tw}
        finally:
            zyn.close()
            tg.stop()
            tw.stop()


def _telegram_reply(tg: FakeTelegramAPI, text: str, marker: str) -> str:
    """Send as the owner; the owner's reply that contains `marker` (alerts may come between)."""
    tg.push_message(OWNER_CHAT, text)  # the first message may train the classifier: a generous wait
    msgs = tg.wait_for("/sendMessage", lambda c: c.params["chat_id"] == str(OWNER_CHAT)
                       and marker in str(c.params.get("text")), timeout=90)
    return str(msgs[-1].params["text"])


def _sms(world: dict[str, Any], body: str, sid: str) -> str:
    form = {"MessageSid": sid, "From": OWNER_PHONE, "To": "+15559990000", "Body": body}
    headers = {"X-Twilio-Signature": twilio_sign(world["tw"].auth_token, "http://localhost/sms", form)}
    return str(world["app"].test_client().post("/sms", data=form, headers=headers).get_data(as_text=True))


def test_is_the_market_open_on_telegram_asks_kraken_and_suggests_nothing(world: dict[str, Any]) -> None:
    text = _telegram_reply(world["tg"], "is the market open?", "around the clock")
    assert "around the clock" in text and "online" in text
    assert "flatten" not in text.lower() and "Did you mean" not in text
    assert world["zyn"].dispatcher.confirmations.peek(Envelope("telegram", str(OWNER_CHAT), "")) is None


def test_a_vague_amount_by_sms_asks_how_much_and_prepares_nothing(world: dict[str, Any]) -> None:
    reply = _sms(world, "buy some bitcoin", "SM" + "7" * 32)
    assert "How much BTC should I buy" in reply
    assert world["zyn"].dispatcher.confirmations.peek(Envelope("sms", OWNER_PHONE, "")) is None


def test_the_trend_in_web_chat_is_the_strategys_indicators_on_the_sims_candles(world: dict[str, Any]) -> None:
    reply = world["app"].test_client().post("/api/chat", json={"message": "what is the trend on bitcoin?"}).get_json()
    assert reply["title"] == "Trend BTC/USD" and "SMA20" in reply["reply"] and "ATR" in reply["reply"]
    assert "1d trend (mtf" in reply["reply"]  # the 4h strategy's confirming timeframe, from the sim's candles


def test_a_timed_pause_in_web_chat_ends_by_the_scheduler_and_says_so(world: dict[str, Any]) -> None:
    zyn, sim, client = world["zyn"], world["sim"], world["app"].test_client()
    reply = client.post("/api/chat", json={"message": "pause trading until tomorrow"}).get_json()["reply"]
    assert "Paused until" in reply and "resume by myself" in reply
    now = datetime.fromtimestamp(sim.sim.clock.now_ms() / 1000, tz=UTC)
    midnight = datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)
    status = client.get("/api/status").get_json()
    assert status["paused_until"] == midnight.isoformat().replace("+00:00", "Z")
    assert status["autopilot"]["paused_reason"]

    zyn.scheduler.run_now("pause_end")  # before the end: still paused
    assert client.get("/api/status").get_json()["paused_until"] is not None

    sim.sim.clock.advance(int((midnight - now).total_seconds() * 1000) + 1000)
    zyn.scheduler.run_now("pause_end")
    after = client.get("/api/status").get_json()
    assert after["paused_until"] is None and "paused by the owner" not in str(after["autopilot"]["paused_reason"])
    told = world["tg"].wait_for("/sendMessage", lambda c: "Resumed as planned" in str(c.params.get("text")))
    assert told
