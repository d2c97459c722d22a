"""Telegram -> dispatcher -> paper exchange -> notifier -> Telegram + SMS, all real, on real candles.

Why: each piece has its own tests, but the promise to the owner is the whole path — he types an
order in Telegram, presses "yes", the paper exchange fills it with a stop resting on the book,
and he hears about the fill and the exit on every channel. Built by the real composition root
(`build_zyn`, PAPER_FEED=replay on ../shared/data/kraken), the real python-telegram-bot poller
long-polling a loopback Bot API, and the real twilio REST client against a loopback Twilio.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import Session, col, select

from adapters.channels.telegram import TelegramChannel
from bot.conversation.envelope import Envelope
from bot.settings import load_settings
from bot.wiring.app import Zyn
from core.telemetry.models import TradeRow
from tests.adapters.channels.conftest import OWNER_CHAT, OWNER_PHONE, STRANGER_CHAT
from tests.conftest import shared_data
from tests.fakes.loopback_http import Call
from tests.fakes.telegram_api import FakeTelegramAPI, html_to_text, quick_poll
from tests.fakes.twilio_api import FakeTwilioAPI

DATA = shared_data() / "kraken"
DAY = 86_400_000
PAIR = "BTC/USD"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The real stack with Telegram polling and SMS alerts, replay advanced so prices exist."""
    if not DATA.is_dir():
        pytest.skip(f"shared candles not found at {DATA} (set ZYN_SHARED_DATA)")
    from bot.wiring.app import build_zyn

    tg, tw = FakeTelegramAPI().start(), FakeTwilioAPI().start()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path_factory.mktemp('zyn-e2e')}/zyn.db",
        "PAPER_FEED": "replay",
        "PAPER_DATA": str(DATA),
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_URL": tg.url,
        "TELEGRAM_ALLOWED_CHAT_IDS": str(OWNER_CHAT),
        "TWILIO_ACCOUNT_SID": tw.account_sid,
        "TWILIO_AUTH_TOKEN": tw.auth_token,
        "TWILIO_FROM_NUMBER": "+15559990000",
        "TWILIO_API_URL": tw.url,
        "SMS_ALLOWED_NUMBERS": OWNER_PHONE,
        "SMS_ALERT_TO": OWNER_PHONE,
    }
    zyn = build_zyn(quick_poll(load_settings(env)))
    zyn.replay.step(zyn.replay.start_ms() + 3 * DAY)  # prices for both pairs, too early for the autopilot
    telegram: TelegramChannel = zyn.channels["telegram"]
    telegram.start()
    try:
        yield {"zyn": zyn, "tg": tg, "twilio": tw}
    finally:
        zyn.close()
        tg.stop()
        tw.stop()


# --- helpers -------------------------------------------------------------------------------------


def balances(zyn: Zyn) -> dict[str, Decimal]:
    return {k: v for k, v in zyn.exchange.fetch_balances().total.items() if v}


def shown(c: Call) -> str:
    """The text the user sees for a sendMessage call (HTML parsed as Telegram does)."""
    return html_to_text(str(c.params.get("text", "")))[0]


def to_chat(chat: int, contains: str = "", buttons: bool | None = None) -> Any:
    """Predicate: a sendMessage to `chat` whose visible text contains `contains` (buttons or not)."""

    def pred(c: Call) -> bool:
        if c.params.get("chat_id") != str(chat) or contains not in shown(c):
            return False
        return buttons is None or ("reply_markup" in c.params) == buttons

    return pred


def say(tg: FakeTelegramAPI, chat: int, text: str, expect: str = "", buttons: bool | None = None) -> Call:
    """Send a Telegram message as `chat` and return the bot's next matching sendMessage."""
    pred = to_chat(chat, expect, buttons)
    seen = len([c for c in tg.calls_to("/sendMessage") if pred(c)])
    tg.push_message(chat, text)
    return tg.wait_for("/sendMessage", pred, count=seen + 1)[-1]


def press(tg: FakeTelegramAPI, chat: int, message_id: int, data: str) -> str:
    """Press an inline button; returns the text the confirmation message was edited to."""
    edits = len(tg.calls_to("/editMessageText"))
    qid = tg.push_callback(chat, message_id, data)
    tg.wait_for("/answerCallbackQuery", lambda c: c.params.get("callback_query_id") == qid)
    tg.wait_for("/editMessageText", count=edits + 1)
    return str(tg.message(chat, message_id)["text"])


def echo_buttons(call: Call) -> list[str]:
    markup = json.loads(call.params["reply_markup"])
    return [b["callback_data"] for row in markup["inline_keyboard"] for b in row]


def stop_below_market(zyn: Zyn, fraction: float = 0.01) -> int:
    return int(float(zyn.exchange.fetch_ticker(PAIR).last) * (1 - fraction))


def pending(zyn: Zyn, chat: int) -> Any:
    return zyn.dispatcher.confirmations.peek(Envelope("telegram", str(chat), ""))


def sms_with(tw: FakeTwilioAPI, *parts: str) -> Call:
    """Wait for an outbound SMS alert to the owner whose body contains every part."""
    return tw.wait_for(
        "/Messages.json",
        lambda c: c.params.get("To") == OWNER_PHONE and all(p in c.params.get("Body", "") for p in parts),
    )[-1]


def manual_trade(zyn: Zyn) -> TradeRow:
    with Session(zyn.db) as s:
        rows = s.exec(select(TradeRow).where(TradeRow.pair == PAIR).order_by(col(TradeRow.id))).all()
    ours = [r for r in rows if r.amount == Decimal("0.01")]  # exact: money columns are decimals
    assert ours, f"no 0.01 {PAIR} trade in the journal: {rows}"
    return ours[-1]


def step_until_closed(zyn: Zyn, trade_id: int, max_days: int = 30) -> TradeRow:
    """Walk the replay a day at a time until the trade's stop or target takes it out."""
    now = zyn.clock.now_ms()
    for day in range(1, max_days + 1):
        zyn.replay.step(now + day * DAY)
        with Session(zyn.db) as s:
            row = s.get(TradeRow, trade_id)
        if row is not None and row.status == "closed":
            return row
    raise AssertionError(f"trade {trade_id} still open after {max_days} replay days")


# --- tests ---------------------------------------------------------------------------------------


def test_stranger_yes_confirms_nothing(world: dict[str, Any]) -> None:
    zyn, tg = world["zyn"], world["tg"]
    before, orders = balances(zyn), zyn.exchange.fetch_open_orders()
    echo = say(tg, OWNER_CHAT, f"buy 0.01 {PAIR} sl {stop_below_market(zyn)}", "confirm", buttons=True)
    assert echo_buttons(echo) == ["yes", "no"]

    refusal = say(tg, STRANGER_CHAT, "yes", "allow-list")
    assert "reply_markup" not in refusal.params
    forged = tg.find_message(STRANGER_CHAT, "allow-list")  # a forged button press from the stranger
    assert "allow-list" in press(tg, STRANGER_CHAT, forged, "yes")

    assert balances(zyn) == before and zyn.exchange.fetch_open_orders() == orders
    assert pending(zyn, OWNER_CHAT) is not None  # the owner's order still waits for *his* yes
    assert pending(zyn, STRANGER_CHAT) is None
    say(tg, OWNER_CHAT, "no", "nothing was done")
    assert pending(zyn, OWNER_CHAT) is None and balances(zyn) == before


def test_order_echo_without_yes_leaves_the_paper_account_untouched(world: dict[str, Any]) -> None:
    zyn, tg = world["zyn"], world["tg"]
    before, orders = balances(zyn), zyn.exchange.fetch_open_orders()
    echo = say(tg, OWNER_CHAT, f"buy 0.01 {PAIR} sl {stop_below_market(zyn)}", "confirm", buttons=True)
    assert "0.01" in shown(echo) and "stop" in shown(echo)
    other = say(tg, OWNER_CHAT, "/balance", "USD")  # other traffic in between runs nothing either...
    assert "Still waiting for yes or no" in other.params["text"]
    assert balances(zyn) == before and zyn.exchange.fetch_open_orders() == orders
    assert pending(zyn, OWNER_CHAT) is not None  # ...and the order still waits for yes or no
    say(tg, OWNER_CHAT, "no", "nothing was done")
    assert pending(zyn, OWNER_CHAT) is None

    stale = tg.find_message(OWNER_CHAT, "confirm")
    assert "nothing waiting" in press(tg, OWNER_CHAT, stale, "yes")  # its old button is dead
    assert balances(zyn) == before and zyn.exchange.fetch_open_orders() == orders


def test_buy_confirm_fill_alerts_then_exit_alert(world: dict[str, Any]) -> None:
    zyn, tg, tw = world["zyn"], world["tg"], world["twilio"]
    before, stop = balances(zyn), stop_below_market(zyn)
    echo = say(tg, OWNER_CHAT, f"buy 0.01 {PAIR} sl {stop}", "confirm", buttons=True)
    assert balances(zyn) == before  # the echo alone does nothing

    outcome = press(tg, OWNER_CHAT, tg.find_message(OWNER_CHAT, "confirm"), echo_buttons(echo)[0])
    assert "Bought" in outcome and PAIR in outcome
    after = balances(zyn)
    assert after["BTC"] == before.get("BTC", Decimal(0)) + Decimal("0.01")
    assert after["USD"] < before["USD"]
    stops = [o for o in zyn.exchange.fetch_open_orders(PAIR) if o.type == "stop-loss"]
    assert [(o.side, o.amount, o.price) for o in stops] == [("sell", Decimal("0.01"), Decimal(stop))]

    # the fill alert fans out: Telegram (to the allowed chat) and SMS (via the Twilio REST API)
    tg.wait_for("/sendMessage", to_chat(OWNER_CHAT, "Bought 0.01", buttons=False))
    assert "stop" in sms_with(tw, "Bought", PAIR).params["Body"]

    assert not [c for c in tg.calls_to("/sendMessage") if to_chat(STRANGER_CHAT, "Bought")(c)]

    trade = manual_trade(zyn)
    assert trade.id is not None and trade.status == "open" and trade.stop_price == Decimal(stop)
    assert trade.stop_order_id == stops[0].id
    closed = step_until_closed(zyn, trade.id)  # 1 % below market: the candles take the stop first
    assert closed.exit_reason == "stop" and closed.pnl is not None and closed.pnl < 0
    stop_order = zyn.exchange.fetch_order(stops[0].id)
    assert stop_order.status == "closed" and stop_order.filled == Decimal("0.01")  # filled on the exchange

    pnl = f"P&L {closed.pnl:+.2f}"  # the stop_hit alert, with P&L, on both channels
    alert = shown(tg.wait_for("/sendMessage", to_chat(OWNER_CHAT, pnl))[-1])
    assert f"Sold 0.01 {PAIR}" in alert and "(stop)" in alert
    sms_with(tw, "Sold", PAIR, "(stop)", pnl)
