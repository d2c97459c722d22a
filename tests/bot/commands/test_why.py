"""`why` resolves the pair or trade asked about; manual trades are explained as manual."""

from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.conversation.envelope import Reply
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import DecisionRow, OrderRow, TradeRow
from tests.fakes.services import HOUR, T0

Say = Callable[..., Reply]


@pytest.fixture
def book(db: Engine, kv: KeyValueStore) -> Engine:
    """Trade 1: the autopilot's ETH buy (older); trade 2: a manual BTC buy (newest); trade 3 a
    manual ETH buy without a recorded origin (only its order says manual)."""
    with Session(db) as s:
        d = DecisionRow(ts_ms=T0 - 5 * HOUR, pair="ETH/USD", action="enter", reason="close crossed above SMA20")
        s.add(d)
        s.commit()
        s.refresh(d)
        eth = TradeRow(id=1, pair="ETH/USD", entry_ms=T0 - 5 * HOUR, amount=0.5, entry_price=3001.2, decision_id=d.id)
        s.add(eth)
        s.add(TradeRow(id=2, pair="BTC/USD", entry_ms=T0 - HOUR, amount=0.01, entry_price=61000.0, stop_price=5000.0))
        s.add(TradeRow(id=3, pair="SOL/USD", entry_ms=T0 - 2 * HOUR, amount=1, entry_price=150.0))
        s.add(OrderRow(client_ref="m3", pair="SOL/USD", side="buy", purpose="manual", trade_id=3))
        s.commit()
    kv.set_json("manual:trade:2", {"user_name": "jimmy", "channel": "telegram", "ms": T0 - HOUR})
    return db


def test_why_names_the_pair_asked_about(say: Say, book: Engine) -> None:
    for question in ("why did you buy ETH?", "why ETH/USD", "why eth"):
        reply = say(question)
        assert reply.title == "Why trade #1", question
        assert "by the autopilot, because of close crossed above SMA20" in reply.text


def test_a_manual_trade_is_explained_as_manual(say: Say, book: Engine) -> None:
    reply = say("why 2")
    assert "a manual trade, placed by hand by jimmy on telegram at 2024-06-01 11:00 UTC" in reply.text
    assert "SMA20" not in reply.text and reply.row_dict()["Source"] == "paper, manual"
    assert "placed by hand (a manual order, manual)" in say("why 3").text
    assert say("why").title == "Why trade #2"  # bare why: the newest trade


def test_why_for_a_pair_without_trades(say: Say, book: Engine) -> None:
    assert say("why XRP/USD").text == "No XRP/USD trades or decisions yet, so nothing to explain."


def test_why_a_pair_holding_a_manual_and_an_autopilot_position_names_both(say: Say, db: Engine) -> None:
    """Issue 8.6: two open BTC positions are two positions, each with its own stop and target."""
    with Session(db) as s:
        d = DecisionRow(ts_ms=T0 - HOUR, pair="BTC/USD", action="enter", reason="close crossed above SMA20")
        s.add(d)
        s.commit()
        s.refresh(d)
        s.add(TradeRow(id=7, pair="BTC/USD", entry_ms=T0 - 3 * HOUR, amount=0.01, entry_price=61000.0,
                       stop_price=5000.0, target_price=70000.0,
                       context_json='{"origin": "manual", "placed_by": "jimmy on telegram"}'))
        s.add(TradeRow(id=8, pair="BTC/USD", entry_ms=T0 - HOUR, amount=0.02, entry_price=61500.0,
                       stop_price=60600.0, target_price=63300.0, decision_id=d.id))
        s.commit()
    auto = say("why BTC/USD")
    assert auto.title == "Why trade #8" and "by the autopilot" in auto.text
    assert auto.row_dict()["Stop"] == "60,600.0" and auto.row_dict()["Target"] == "63,300.0"
    assert auto.row_dict()["Also open #7"] == "manual, 0.01 BTC/USD, stop 5,000.0, target 70,000.0"
    manual = say("why 7")
    assert "a manual trade, placed by hand by jimmy on telegram" in manual.text
    assert manual.row_dict()["Stop"] == "5,000.0" and "origin" not in manual.row_dict().get("Context", "")
    assert manual.row_dict()["Also open #8"] == "autopilot, 0.02 BTC/USD, stop 60,600.0, target 63,300.0"


def test_why_reads_one_decision_however_many_there_are(say: Say, db: Engine) -> None:
    """Issue 20.5: `first()` without LIMIT made the ORM build every matching DecisionRow (at 240
    pairs up to 5,760 more a day) to keep one; each `why` is now one row, and still the newest."""
    from sqlalchemy import event

    with Session(db) as s:
        for i in range(50):
            s.add(DecisionRow(ts_ms=T0 - (50 - i) * HOUR, pair="ETH/USD", action="skip", reason=f"skip {i}"))
        s.commit()
    loaded: list[DecisionRow] = []

    def count(target: DecisionRow, _context: object) -> None:
        loaded.append(target)

    event.listen(DecisionRow, "load", count)
    try:
        replies = [say("why"), say("why skip"), say("why skip ETH/USD"), say("why ETH/USD")]
    finally:
        event.remove(DecisionRow, "load", count)
    assert all("skip — skip 49." in r.text for r in replies), [r.text for r in replies]
    assert len(loaded) <= len(replies)
