"""Honest answers about learning: walk-forward vs random skips, live n and interval, 2-3 sentences."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.conversation.envelope import Reply
from bot.conversation.learning_questions import learning_question
from bot.conversation.parser import parse
from core.learning.switch import save_switch, verdict
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import TradeRow

Say = Callable[..., Reply]
SUMMARY = {"baseline_return": -0.0694, "learned_return": -0.0495, "control_return": -0.0342, "control_seeds": 20,
           "seeds_beaten": 3, "skill": False, "baseline_max_drawdown": 0.12, "learned_max_drawdown": 0.1}


def test_the_three_questions_are_recognised_and_nothing_else() -> None:
    assert learning_question("What have you learned?").args == ("learned",)  # type: ignore[union-attr]
    assert learning_question("is learning helping?").args == ("helping",)  # type: ignore[union-attr]
    assert learning_question("Should I turn learning off?").args == ("off",)  # type: ignore[union-attr]
    assert parse("is the learning actually working")  # routed before free text
    assert learning_question("learn") is None and parse("learn").name == "learn"  # type: ignore[union-attr]
    assert learning_question("buy 0.01 BTC/USD") is None


def _sentences(text: str) -> int:
    return sum(text.count(p) for p in (". ", "? ")) + 1


def _own_trades(db: Engine, rs: list[float]) -> None:
    with Session(db) as s:
        for i, r in enumerate(rs):
            s.add(TradeRow(pair="BTC/USD", source="paper", status="closed", entry_ms=10**12 + i * 10**7,
                           exit_ms=10**12 + i * 10**7 + 5, pnl=r, r_multiple=r, initial_risk=1.0))
        s.commit()


def test_without_a_walk_forward_it_says_it_has_no_evidence(say: Say) -> None:
    reply = say("is learning helping?")
    assert reply.text.startswith("Not measurably.") and "no out-of-sample evidence" in reply.text
    assert _sentences(reply.text) <= 3


def test_helping_cites_walk_forward_random_skips_and_live_interval(say: Say, db: Engine) -> None:
    save_switch(KeyValueStore(db), verdict(SUMMARY, 15, 1058, 603, "V0", 1_764_460_800_000))
    _own_trades(db, [1.0, -1.0, 2.0, -0.5])
    reply = say("is learning helping?")
    t = reply.text
    assert t.startswith("Not measurably.")
    assert "-5.0 %" in t and "-6.9 %" in t and "-3.4 %" in t and "3 of 20 random-skip runs" in t
    assert "4 own closed trades average +0.38R (95 % CI" in t
    assert _sentences(t) <= 3
    off = say("should I turn learning off?")
    assert off.text.startswith("It is already off") and "plain strategy" in off.text
    learned = say("what have you learned?")
    assert "too few to learn" in learned.text and "random" in learned.text
    assert dict(learned.rows)["learning"] == "off"


def test_when_on_it_says_keep_it_and_why(say: Say, db: Engine) -> None:
    save_switch(KeyValueStore(db), verdict({**SUMMARY, "skill": True, "seeds_beaten": 20, "learned_return": -0.01},
                                           15, 1058, 603, "V0", 1))
    reply = say("should I switch learning off?")
    assert reply.text.startswith("Keep it on") and "20 of 20" in reply.text
    assert say("is learning helping?").text.startswith("Yes, measurably.")


def test_what_have_you_learned_counts_the_trades_closed_since_the_learner_was_trained(say: Say, db: Engine) -> None:
    """Issue 22.9: not "My learner has seen 0 closed trades" beside "own closed trades · 13"."""
    _own_trades(db, [0.5, -1.0] * 6 + [1.0])  # 13 closed, never trained on
    reply = say("what have you learned?")
    assert "My learner was last trained on 0 closed trades" in reply.text
    assert "I now have 13 closed trades of my own" in reply.text
    assert reply.row_dict()["own closed trades"] == "13"
