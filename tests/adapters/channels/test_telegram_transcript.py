"""A conversation on Telegram through the real SDK and the real stack: settings, a standing
instruction the autopilot obeys on real candles, a manual order in dollars, `why`, and the
fill's alert held during quiet hours and delivered as the morning digest.

The test prints the transcript (run with -s to see it); it
is the closing note's example.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session, col, select

from adapters.channels.telegram import TelegramChannel
from bot.alerts.alert_digest import DeferredAlerts
from bot.settings import load_settings
from core.telemetry.models import DecisionRow, MessageRow
from tests.adapters.channels.conftest import OWNER_CHAT
from tests.conftest import shared_data
from tests.fakes.telegram_api import FakeTelegramAPI, html_to_text, quick_poll

DATA = shared_data() / "kraken"
DAY = 86_400_000
RULE = "standing rule: stop trading ETH"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not DATA.is_dir():
        pytest.skip(f"shared candles not found at {DATA} (set ZYN_SHARED_DATA)")
    from bot.wiring.app import build_zyn

    tg = FakeTelegramAPI().start()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('zyn-transcript')}/zyn.db",
        "PAPER_FEED": "replay",
        "PAPER_DATA": str(DATA),
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_URL": tg.url,
        "TELEGRAM_ALLOWED_CHAT_IDS": str(OWNER_CHAT),
        "ZYN_EVIDENCE": "off",  # the autopilot's own entries are part of the transcript (no shadow)
    }
    zyn = build_zyn(quick_poll(load_settings(env)))
    zyn.replay.step(zyn.replay.start_ms() + 3 * DAY)
    telegram: TelegramChannel = zyn.channels["telegram"]
    telegram.start()
    try:
        yield {"zyn": zyn, "tg": tg, "lines": []}
    finally:
        zyn.close()
        tg.stop()


def chat(world: dict[str, Any], text: str) -> str:
    """Send `text` as the owner; return what Telegram shows of the bot's answer. Alerts that
    arrive meanwhile (the fill of an order) go into the transcript as alerts, not as the answer."""
    tg: FakeTelegramAPI = world["tg"]
    zyn = world["zyn"]

    def mine(c: Any) -> bool:
        return c.params.get("chat_id") == str(OWNER_CHAT)

    zyn.notifier.flush()
    seen = len([c for c in tg.calls_to("/sendMessage") if mine(c)])
    tg.push_message(OWNER_CHAT, text)
    world["lines"].append(f"jimmy: {text}")
    wanted = seen + 1
    while True:
        calls = tg.wait_for("/sendMessage", mine, count=wanted)
        zyn.notifier.flush()
        with Session(zyn.db) as s:
            alerts = {m.text for m in s.exec(select(MessageRow).where(MessageRow.user_id == "alerts"))}
        shown = [html_to_text(str(c.params["text"])) for c in calls[seen:wanted]]
        assert not any(error for _, error in shown), shown
        answers = [t for t, _ in shown if t not in alerts]
        if answers:
            break
        wanted += 1
    world["lines"] += [f"  zyn (alert): {t}" for t, _ in shown if t in alerts]
    world["lines"] += [*(f"  zyn: {line}" for line in answers[0].splitlines()), ""]
    return answers[0]


def test_settings_a_rule_obeyed_and_why_on_telegram(world: dict[str, Any]) -> None:
    zyn = world["zyn"]
    assert "Risk per trade set to 0.5 %" in chat(world, "set risk 0.5%")
    assert "must be between 0.5 % and 10 %" in chat(world, "set daily loss 20%")
    assert "Daily loss limit set to 2 %" in chat(world, "set daily loss 2%")
    assert "Rule 1 kept: no new ETH/USD trades" in chat(world, "stop trading ETH")
    assert "no new trades on Saturdays and Sundays" in chat(world, "remember that I don't want to trade on weekends")
    settings = {line.split("  ")[0]: line.split()[-2] for line in chat(world, "settings").splitlines() if "  " in line}
    assert settings["Risk per trade"] == "0.5" and settings["Daily loss limit"] == "2"
    assert "1: stop trading ETH" in chat(world, "rules")

    skip: DecisionRow | None = None
    for _ in range(90):  # real candles until the autopilot meets an ETH signal it must skip
        zyn.replay.step(zyn.clock.now_ms() + DAY)
        with Session(zyn.db) as s:
            skip = s.exec(
                select(DecisionRow).where(DecisionRow.pair == "ETH/USD", DecisionRow.reason == RULE)
            ).first()
            entered = s.exec(
                select(DecisionRow).where(DecisionRow.pair == "ETH/USD", col(DecisionRow.action) == "enter")
            ).all()
        assert entered == []
        if skip is not None:
            break
    assert skip is not None and skip.action == "skip"
    assert f"skip — {RULE}" in chat(world, "why didn't you buy ETH?")

    price = chat(world, "price BTC")
    assert price.startswith("BTC/USD is at ") and price.split()[3].count(".") == 1
    assert len(price.split()[3].split(".")[1]) == 1  # Kraken's BTC/USD price decimals: 1
    assert "Quiet hours 22:00-07:00" in chat(world, "set quiet hours 22:00-07:00")  # now: 00:00 UTC
    echo = chat(world, "buy $100 of BTC")
    assert "please confirm" in echo and "Size" in echo
    assert "Still waiting for yes or no" in chat(world, "what's my balance?")
    assert "Bought" in chat(world, "yes")
    held = DeferredAlerts(zyn.db, zyn.clock).waiting()  # the fill's alert was processed: held back
    assert [r.kind for r in held] == ["trade_opened"] and "Bought 0.02474634 BTC/USD" in held[0].text
    why = chat(world, "why did you buy BTC?")
    assert "a manual trade, placed by hand by jimmy on telegram" in why
    tg: FakeTelegramAPI = world["tg"]
    # the reply to `yes` says the same "Bought …" sentence (one formatter) and names the trade;
    # the alert itself (the sentence alone) was held back
    sent = [html_to_text(str(c.params["text"]))[0] for c in tg.calls_to("/sendMessage")]
    assert not [t for t in sent if held[0].text in t and "Trade #" not in t]

    zyn.replay.step(zyn.clock.now_ms() + 8 * 3_600_000)  # 08:00 UTC: quiet hours are over
    zyn.notifier.release_deferred()  # what the scheduler's alert_digest job does every minute
    digest = tg.wait_for("/sendMessage", lambda c: "While you were in quiet hours" in str(c.params["text"]))
    shown = html_to_text(str(digest[0].params["text"]))[0]
    assert len(digest) == 1 and held[0].text in shown
    world["lines"] += [f"  zyn (alert, 08:00 UTC): {line}" for line in shown.splitlines()]
    assert DeferredAlerts(zyn.db, zyn.clock).waiting() == []

    transcript = "\n".join(world["lines"])
    print("\n--- Telegram transcript ---\n" + transcript)
