"""The phrasings of issue 22.8 as jimmy wrote them, through the real dispatcher and offline engine
(fake services): each now gets the answer he meant, and money still needs an exact echo and yes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.conversation.envelope import Envelope, Reply
from bot.conversation.intents import IntentClassifier
from bot.conversation.offline_engine import OfflineEngine
from bot.conversation.parser import parse
from bot.conversation.services import Services
from bot.dispatch.dispatcher import Dispatcher
from core.clock import SimClock
from core.domain import ExchangeUnavailable
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import DecisionRow, TradeRow
from tests.bot.conftest import ALLOW
from tests.fakes.services import HOUR, T0, FakeTrading

Say = Callable[..., Reply]
DAY = 24 * HOUR


def test_a_vague_amount_asks_how_much_and_prepares_nothing(say: Say, dispatcher: Dispatcher) -> None:
    reply = say("buy some bitcoin")
    assert reply.text.startswith("How much BTC should I buy, jimmy?") and reply.kind != "confirm"
    assert dispatcher.confirmations.peek(Envelope("telegram", "111", "")) is None
    assert say("could you buy a bit of ethereum").text.startswith("How much ETH should I buy")


def test_half_my_btc_is_half_the_holding_echoed_for_yes(say: Say, trading: FakeTrading) -> None:
    reply = say("sell half my BTC")  # the fake account holds 0.01 BTC
    assert reply.kind == "confirm" and "That is half of your 0.01 BTC." in reply.text
    assert ("Size", "0.005 BTC") in reply.rows and trading.calls == []
    assert say("yes").text and trading.calls[0][1].amount == Decimal("0.005")


@pytest.mark.parametrize(
    ("text", "fraction"),
    [("sell a quarter of my bitcoin", "0.25"), ("sell all my xbt", "1"), ("please sell everything i have in btc", "1"),
     ("sell 10% of my BTC", "0.1"), ("sell 25 percent of my bitcoin", "0.25")],
)
def test_fractions_of_a_holding(text: str, fraction: str) -> None:
    assert parse(text) is not None and parse(text).args == ("BTC/USD", fraction)  # type: ignore[union-attr]


def test_dollars_by_name_are_the_quote_currency() -> None:
    for text in ("buy 100 dollars of btc", "buy 50 bucks of bitcoin"):
        cmd = parse(text)
        assert cmd is not None and cmd.order is not None and cmd.order.pair == "BTC/USD" and cmd.order.quote_amount


def test_number_words_in_a_setting(say: Say) -> None:
    assert parse("set my risk to half a percent").args == ("risk", "0.5%")  # type: ignore[union-attr]
    assert parse("set max position to twenty percent").args == ("max_position", "20%")  # type: ignore[union-attr]
    reply = say("set my risk to half a percent")
    assert reply.kind != "error" and "0.5" in reply.text


def test_pause_until_tomorrow_has_an_end_and_says_who_resumes(say: Say, trading: FakeTrading) -> None:
    reply = say("pause trading until tomorrow")
    midnight = T0 - T0 % DAY + DAY
    assert trading.calls == [("pause_until", (trading.calls[0][1][0], midnight))]
    assert "Paused until 2024-06-02 00:00 UTC" in reply.text and "resume by myself" in reply.text
    say("stop trading for 2 hours")
    assert trading.calls[-1][1][1] == T0 + 2 * HOUR


def test_price_of_ethereum_reads_the_name(say: Say) -> None:
    reply = say("price of ethereum")
    assert "ETH/USD" in reply.text + reply.title and "No price" not in reply.text


def test_is_the_market_open_asks_kraken(services: Services, db: Engine, clock: SimClock,
                                        intent_classifier: IntentClassifier) -> None:
    def answer(services_used: Services) -> str:
        dispatcher = Dispatcher(services_used, KeyValueStore(db), db, clock, ALLOW, "jimmy",
                                OfflineEngine(intent_classifier))
        return dispatcher.handle(Envelope("telegram", "111", "is the market open?")).text

    assert "around the clock" in answer(services) and "not asking Kraken" in answer(services)
    assert "Kraken says it is online" in answer(replace(services, system_status=lambda: "online"))
    assert "maintenance" in answer(replace(services, system_status=lambda: "maintenance"))

    def down() -> str:
        raise ExchangeUnavailable("timeout")

    text = answer(replace(services, system_status=down))
    assert "can't reach Kraken" in text and "flatten" not in text.lower()


def test_the_trend_comes_from_the_last_decision(say: Say, db: Engine) -> None:
    with Session(db) as s:
        s.add(DecisionRow(ts_ms=T0 - 4 * HOUR, pair="BTC/USD", timeframe="4h", action="skip", reason="no cross",
                          price=62000.0, sma=61000.0, atr=900.0))
        s.commit()
    reply = say("what is the trend on BTC")
    rows = reply.row_dict()
    assert "trending up" in reply.text and rows["SMA20"].startswith("61,000.0 (close 1.64% above")
    assert rows["ATR"].startswith("900.0 (1.45%")
    assert "no indicators for ETH/USD" in say("which way is ethereum going?").text


def test_best_and_worst(say: Say) -> None:
    rows = say("what's the biggest loser").row_dict()
    assert rows["Worst trade"] == "#2 ETH/USD -10.00 USD" and rows["Best trade"] == "#3 BTC/USD +30.00 USD"
    assert rows["Best pair"] == "BTC/USD +35.00 USD"


def test_last_week_is_the_seven_days_ending_now(say: Say, db: Engine) -> None:
    with Session(db) as s:
        for days_ago, pnl in ((1, "12.5"), (6.9, "-2.5"), (8, "100")):
            s.add(TradeRow(pair="BTC/USD", status="closed", exit_ms=int(T0 - days_ago * DAY), pnl=Decimal(pnl)))
        s.commit()
    reply = say("how did last week go?")
    assert "+10.00 USD from 2 closed trades" in reply.text and "7 days ending now" in reply.text
    assert reply.text.startswith(say("pnl last week").text)
    assert "from 3 closed trades" in say("what did I make over the past 30 days?").text


@pytest.mark.parametrize(("text", "fragment"), [("thanks!", "You're welcome"), ("good night", "Good night, jimmy")])
def test_small_talk_is_answered_as_small_talk(say: Say, text: str, fragment: str) -> None:
    reply = say(text)
    assert fragment in reply.text and "Try:" not in reply.text


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("show me the equity curve", "chart equity"),
        ("weekly report", "report week"),
        ("what did you do today?", "pnl today"),
        ("why aren't you trading?", "why"),
    ],
)
def test_the_issues_misses_now_run_the_right_command(say: Say, text: str, command: str) -> None:
    assert f"(Same as the command: {command}" in say(text).text


def test_an_innocent_question_is_never_a_money_command(say: Say, dispatcher: Dispatcher) -> None:
    for text in ("cancel culture is weird", "sell me on the idea of dollar cost averaging", "close the window"):
        reply = say(text)
        assert reply.kind != "confirm" and not reply.buttons
        assert dispatcher.confirmations.peek(Envelope("telegram", "111", "")) is None
