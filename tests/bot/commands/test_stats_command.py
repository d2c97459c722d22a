"""`stats` and the free-text questions that reach it, against a real SQLite DB and the real analyzer.

Planted record (paper): 30 BTC/USD trades on Mondays 10:00 UTC (20 won), 24 ETH/USD trades on
Tuesdays 02:00 UTC (6 won), 6 BTC/USD trades on Sundays 14:00 UTC (2 won, a small sample) — 60
trades, 28 won. Plus 50 winning 'bootstrap' SOL/USD backtest trades that must not count.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.conversation.envelope import Reply
from bot.conversation.intents import IntentClassifier
from bot.conversation.offline_engine import stats_command
from bot.conversation.parser import Command, parse
from core.domain import UserError
from core.telemetry.models import DecisionRow, TradeRow

Say = Callable[..., Reply]
DAY = 86_400_000
WEEK = 7 * DAY


def ms(y: int, m: int, d: int, h: int, minute: int = 0) -> int:
    return int(datetime(y, m, d, h, minute, tzinfo=UTC).timestamp() * 1000)


def plant(
    db: Engine, pair: str, first_ms: int, step_ms: int, wins: int, losses: int, source: str = "paper"
) -> None:
    rows = []
    for i in range(wins + losses):
        won = i < wins
        entry = first_ms + i * step_ms
        pnl = 20.0 if won else -10.0
        rows.append(
            TradeRow(
                pair=pair,
                source=source,
                status="closed",
                entry_ms=entry,
                exit_ms=entry + 3_600_000,
                amount=0.01,
                entry_price=60000.0,
                exit_price=62000.0 if won else 59000.0,
                initial_risk=20.0,
                pnl=pnl,
                r_multiple=pnl / 20.0,
                exit_reason="target" if won else "stop",
            )
        )
    with Session(db) as s:
        s.add_all(rows)
        s.commit()


@pytest.fixture
def record(db: Engine) -> Engine:
    plant(db, "BTC/USD", ms(2024, 6, 3, 10), WEEK, 20, 10)  # Mondays, Europe session
    plant(db, "ETH/USD", ms(2024, 6, 4, 2), WEEK, 6, 18)  # Tuesdays 02:00 UTC, Asia session
    plant(db, "BTC/USD", ms(2024, 6, 2, 14), WEEK, 2, 4)  # Sundays: small sample
    plant(db, "SOL/USD", ms(2024, 6, 5, 12), DAY, 50, 0, source="bootstrap")
    with Session(db) as s:  # an open trade is not a result yet
        s.add(TradeRow(pair="BTC/USD", status="open", entry_ms=ms(2024, 6, 2, 3), entry_price=60000.0))
        s.commit()
    return db


OVERALL = "47 % of 60 won and +0.20R overall"


def test_stats_overview_names_sources_best_and_worst(say: Say, record: Engine) -> None:
    reply = say("stats")
    assert reply.kind == "text" and reply.title == "Stats"
    lines = reply.text.splitlines()
    assert lines[0] == "From my 60 closed paper trade(s); 50 backtest (bootstrap) trade(s) not counted."
    assert lines[1] == (
        "Overall: won 28 of 60 (47 %, 95 % CI 35–59 %); expectancy +0.20R; P&L +240.00 USD."
    )
    assert lines[2].startswith("Best with 20+ trades: ") and "won 20 of 30 (67 %, 95 % CI 49–81 %)" in lines[2]
    assert lines[3].startswith("Worst with 20+ trades: ") and "won 6 of 24 (25 %, 95 % CI 12–45 %)" in lines[3]
    assert "SOL" not in reply.text and "Sunday" not in reply.text  # bootstrap excluded; small never "best"


def test_breakdown_table_flags_the_small_sample(say: Say, record: Engine) -> None:
    reply = say("/stats weekday")
    assert reply.title == "Stats by weekday" and reply.columns[:3] == ["Group", "Trades", "Won (95 % CI)"]
    rows = {r[0]: r for r in reply.rows}
    assert rows["Sunday"] == ("Sunday", "6", "33 % (10–70 %)", "+0.00R", "0.00 USD", "small sample")
    assert rows["Monday"] == ("Monday", "30", "67 % (49–81 %)", "+0.50R", "+300.00 USD", "")
    assert rows["Overall"][1:3] == ("60", "47 % (35–59 %)")
    assert "Best with 20+ trades: Monday: won 20 of 30" in reply.text
    assert "Worst with 20+ trades: Tuesday: won 6 of 24" in reply.text


def test_every_dimension_answers(say: Say, record: Engine) -> None:
    for dim in ("pair", "hour", "weekday", "session", "regime", "trend", "exit"):
        reply = say(f"stats {dim}")
        assert reply.kind == "text" and reply.title == f"Stats by {dim}", dim
        assert all(len(r) == 6 for r in reply.rows) and reply.rows[-1][0] == "Overall"
    assert "No regime has 20+ trades yet" in say("stats regime").text  # no ATR stored: all unknown


def test_sunday_question_answers_the_group_as_a_small_sample(say: Say, record: Engine) -> None:
    reply = say("are Sunday trades worth it?")
    assert "On Sundays I won 2 of 6 (33 %, 95 % CI 10–70 %), small sample" in reply.text
    assert OVERALL in reply.text
    assert "small sample (under 20 trades): weak evidence either way" in reply.text
    assert reply.text.endswith("(Same as the command: stats weekday Sunday)")
    assert reply.rows[0][0] == "weekday Sunday" and reply.rows[0][-1] == "small sample"


def test_hour_range_question_cites_n_against_overall(say: Say, record: Engine) -> None:
    reply = say("how do you do between 0 and 4?")
    assert "Between 00:00 and 04:00 UTC I won 6 of 24 (25 %, 95 % CI 12–45 %), expectancy -0.12R" in reply.text
    assert OVERALL in reply.text and "interval includes zero" in reply.text
    assert "stats hour 0-4" in reply.text
    # a range that is not one analyzer bucket is computed from the same trades
    assert "Between 01:00 and 03:00 UTC I won 6 of 24" in say("stats hour 1-3").text
    assert "no closed trades between 04:00 and 08:00 UTC" in say("stats hour 4-8").text


def test_night_weekend_and_session_groups(say: Say, record: Engine) -> None:
    night = say("how do you do at night?")
    assert "At night (22:00–06:00 UTC) I won 6 of 24" in night.text and "stats hour night" in night.text
    weekend = say("are weekend trades worth it?")
    assert "At weekends (Sat–Sun UTC) I won 2 of 6" in weekend.text and "small sample" in weekend.text
    asia = say("how do you do in the Asia session?")
    assert "In the Asia session (00:00–09:00 UTC, overlaps included) I won 6 of 24" in asia.text
    assert "stats session Asia" in asia.text


def test_what_works_best_and_what_does_not(say: Say, record: Engine) -> None:
    best = say("what works best for you?")
    assert best.title == "Stats: best groups" and "stats best" in best.text
    assert "1. " in best.text and "won 20 of 30" in best.text.split("1. ")[1].splitlines()[0]
    worst = say("what doesn't work?")
    assert worst.title == "Stats: worst groups"
    assert "won 6 of 24" in worst.text.split("1. ")[1].splitlines()[0]


def test_which_pair_is_best(say: Say, record: Engine) -> None:
    reply = say("which pair is best?")
    assert reply.title == "Stats by pair" and "(Same as the command: stats pair)" in reply.text
    assert "Best with 20+ trades: BTC/USD: won 22 of 36" in reply.text
    assert "Worst with 20+ trades: ETH/USD: won 6 of 24" in reply.text
    assert "On ETH/USD I won 6 of 24" in say("stats eth").text


def test_reliably_negative_group_is_called_so(say: Say, db: Engine) -> None:
    plant(db, "BTC/USD", ms(2024, 6, 3, 10), WEEK, 20, 10)
    plant(db, "ETH/USD", ms(2024, 6, 4, 2), WEEK, 2, 28)
    reply = say("stats pair ETH/USD")
    assert "On ETH/USD I won 2 of 30" in reply.text and "reliably negative" in reply.text


def test_only_bootstrap_trades_are_used_and_said_so(say: Say, db: Engine) -> None:
    plant(db, "SOL/USD", ms(2024, 6, 5, 12), DAY, 15, 10, source="bootstrap")
    reply = say("stats")
    assert reply.text.startswith("I have no closed paper or live trades yet, so this is from 25 backtest")
    assert "won 15 of 25" in reply.text


def test_no_trades_at_all(say: Say) -> None:
    assert say("stats").text.startswith("I have no closed trades yet")
    assert "no closed trades" in say("are sunday trades worth it?").text.lower()


def test_why_skip_cites_the_record_of_that_hour(say: Say, record: Engine) -> None:
    with Session(record) as s:
        s.add(DecisionRow(ts_ms=ms(2024, 12, 3, 2, 30), pair="ETH/USD", action="skip", reason="learner gate"))
        s.commit()
    reply = say("why didn't you buy ETH last night?")
    assert "skip — learner gate" in reply.text
    assert "My record between 00:00 and 04:00 UTC: won 6 of 24 (25 %, 95 % CI 12–45 %)" in reply.text
    assert OVERALL in reply.text


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("stats", ()),
        ("Stats overall", ()),
        ("statistics pairs", ("pair",)),
        ("stats best", ("best",)),
        ("stats weekday sun", ("weekday", "Sunday")),
        ("stats sundays", ("weekday", "Sunday")),
        ("stats weekend", ("weekday", "weekend")),
        ("stats hour 00-04", ("hour", "0-4")),
        ("stats hours 22:00 to 06:00", ("hour", "22-6")),
        ("stats hour 3", ("hour", "3-4")),
        ("stats session london", ("session", "Europe")),
        ("stats us", ("session", "US")),
        ("stats pair xbtusd", ("pair", "BTC/USD")),
        ("stats regime volatile", ("regime", "high")),
        ("stats exit stop", ("exit", "stop")),
    ],
)
def test_parse_stats(text: str, args: tuple[str, ...]) -> None:
    assert parse(text) == Command("stats", args)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("stats decade", "stats takes pair, hour, weekday"),
        ("stats weekday funday", "'funday' is not a weekday"),
        ("stats hour 25-30", "is not an hour range"),
        ("stats session mars", "is not a session"),
        ("stats best pair", "stats best takes nothing after it"),
    ],
)
def test_parse_stats_errors(text: str, error: str) -> None:
    with pytest.raises(UserError, match=error):
        parse(text)


def test_bad_stats_command_is_one_line(say: Say) -> None:
    reply = say("stats weekday funday")
    assert reply.kind == "error" and "\n" not in reply.text


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("what works best for you?", "stats best"),
        ("what doesn't work?", "stats worst"),
        ("are Sunday trades worth it?", "stats weekday Sunday"),
        ("are weekend trades worth it?", "stats weekday weekend"),
        ("how do you do at night?", "stats hour night"),
        ("how do you do in the Asia session?", "stats session Asia"),
        ("how do you do between 0 and 4?", "stats hour 0-4"),
        ("which pair is best?", "stats pair"),
        ("is ETH your best pair?", "stats pair ETH/USD"),
        ("what's your win rate?", "stats"),
    ],
)
def test_stats_questions_route_to_stats(text: str, command: str, say: Say) -> None:
    assert say(text).text != "" and stats_command(text) == command
    assert "Same as the command: stats" in say(text).text


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("why didn't you buy ETH last night?", "why"),
        ("how am I doing this week?", "pnl"),
        ("show me the last trades", "trades"),
        ("how much money do I have", "balance"),
        ("what can you do?", "help"),
    ],
)
def test_other_intents_are_not_taken_over(text: str, intent: str, intent_classifier: IntentClassifier) -> None:
    assert intent_classifier.classify(text).intent == intent
