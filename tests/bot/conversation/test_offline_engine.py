"""Free text without any key: intents, answers from the status service and telemetry."""

import json
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.conversation.envelope import Reply
from bot.conversation.intents import IntentClassifier
from core.telemetry.models import DecisionRow, TradeRow
from tests.fakes.services import T0, FakeTrading

Say = Callable[..., Reply]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("what's my balance?", "balance"),
        ("how much money do I have", "balance"),
        ("how am I doing this week?", "pnl"),
        ("what's my profit today", "pnl"),
        ("what are my open positions", "positions"),
        ("what am I holding", "positions"),
        ("show me the last trades", "trades"),
        ("why was the last trade taken?", "why"),
        ("why didn't you buy yesterday?", "why"),
        ("what is the autopilot doing?", "autopilot"),
        ("what are you doing right now", "autopilot"),
        ("what can you do?", "help"),
        ("hello there", "greeting"),
        ("do you have open orders", "orders"),
        ("tell me a joke about penguins", None),
        ("asdf qwer", None),
    ],
)
def test_classify(text: str, intent: str | None, intent_classifier: IntentClassifier) -> None:
    guess = intent_classifier.classify(text)
    if intent is None:  # not understood, or at most a question back ("Did you mean ...?")
        assert guess.intent is None or not guess.sure
    else:
        assert guess.intent == intent and guess.sure


def test_balance(say: Say) -> None:
    reply = say("how much money do I have?")
    assert reply.title == "Balances" and ("USD", "9,386.50") in reply.rows


def test_pnl_for_a_period(say: Say) -> None:
    reply = say("how am I doing this week?")
    assert "P&L this week: -4.50 USD" in reply.text and "pnl week" in reply.text
    assert (
        "All time" in say("how am I doing overall").row_dict()
        or "all time" in say("how did I do overall").text
    )


def test_positions_and_trades(say: Say) -> None:
    assert say("what positions do I have open?").rows[0][0] == "BTC/USD"
    reply = say("show my recent trades")
    assert reply.columns[0] == "#" and len(reply.rows) == 3


def test_why_the_last_trade_was_taken(say: Say, db: Engine) -> None:
    with Session(db) as s:
        d = DecisionRow(
            ts_ms=T0 - 4 * 3_600_000,
            pair="BTC/USD",
            action="enter",
            reason="close crossed above SMA20",
            price=61000,
            sma=60500,
            atr=800,
        )
        s.add(d)
        s.commit()
        s.refresh(d)
        s.add(
            TradeRow(
                pair="BTC/USD",
                status="closed",
                entry_ms=T0 - 3 * 3_600_000,
                exit_ms=T0,
                amount=0.01,
                entry_price=61000,
                exit_price=63400,
                stop_price=59800,
                target_price=63400,
                pnl=22.4,
                r_multiple=1.87,
                exit_reason="target",
                decision_id=d.id,
                context_json=json.dumps({"session": "eu"}),
            )
        )
        s.commit()
    reply = say("why did you take the last trade?")
    assert "because of close crossed above SMA20" in reply.text and "target" in reply.text
    assert reply.row_dict()["Stop"] == "59,800.0"


def test_why_a_trade_was_skipped(say: Say, db: Engine) -> None:
    with Session(db) as s:
        s.add(DecisionRow(ts_ms=T0 - 8 * 3_600_000, pair="ETH/USD", action="skip", reason="cool-off"))
        s.add(DecisionRow(ts_ms=T0 - 4 * 3_600_000, pair="ETH/USD", action="skip", reason="below ordermin"))
        s.commit()
    reply = say("why didn't you buy ETH?")
    assert "ETH/USD" in reply.text and "skip — below ordermin" in reply.text


def test_why_with_nothing_yet(say: Say) -> None:
    assert "nothing to explain" in say("why?").text


def test_what_the_autopilot_is_doing(say: Say, db: Engine) -> None:
    with Session(db) as s:
        s.add(DecisionRow(ts_ms=T0 - 8 * 3_600_000, pair="BTC/USD", action="enter", reason="cross up"))
        s.add(DecisionRow(ts_ms=T0 - 4 * 3_600_000, pair="BTC/USD", action="hold", reason="in position"))
        s.add(DecisionRow(ts_ms=T0 - 4 * 3_600_000, pair="ETH/USD", action="skip", reason="no cross"))
        s.commit()
    reply = say("what is the autopilot doing?")
    assert reply.text.startswith("The autopilot is running")
    rows = reply.row_dict()
    assert "hold — in position" in rows["BTC/USD"] and "skip — no cross" in rows["ETH/USD"]


def test_help_and_not_understood(say: Say) -> None:
    assert say("what can you do?").title == "Commands"
    reply = say("tell me a joke about penguins")
    assert reply.text.startswith("Sorry jimmy, I didn't understand") and "help" in reply.text


def test_free_text_never_trades(say: Say, trading: FakeTrading) -> None:
    for text in (
        "sell everything now please",
        "flatten it all!!",
        "buy me some bitcoin",
        "please pause the bot",  # pausing is safe and runs at once; nothing else runs without yes
    ):
        say(text)
    assert [name for name, _ in trading.calls] == ["pause"]
