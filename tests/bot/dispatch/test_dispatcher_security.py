"""Allow-lists, input hygiene and error containment of the one dispatch path."""

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.conversation.envelope import Envelope, Reply
from bot.conversation.offline_engine import OfflineEngine
from bot.conversation.services import Services
from bot.dispatch.dispatcher import REFUSAL, Dispatcher
from core.clock import SimClock
from core.domain import Event, ExchangeUnavailable, InsufficientFunds
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import ErrorRow, MessageRow, SafetyEventRow
from tests.fakes.services import FakeTrading

Say = Callable[..., Reply]


def _rows(db: Engine, model: type) -> list[Any]:
    with Session(db) as s:
        return list(s.exec(select(model)).all())


@pytest.mark.parametrize(
    ("channel", "user"),
    [("telegram", "999"), ("slack", "U2"), ("sms", "+15559999"), ("discord", "anyone"), ("telegram", "")],
)
def test_stranger_is_refused_nothing_runs_and_event_is_logged(
    say: Say, db: Engine, trading: FakeTrading, channel: str, user: str
) -> None:
    for text in ("buy 0.01 btc", "flatten", "yes", "pause"):
        reply = say(text, channel=channel, user=user)
        assert reply.kind == "refusal"
        assert reply.text == REFUSAL and "jimmy" not in reply.text
    assert trading.calls == []
    events = _rows(db, SafetyEventRow)
    assert len(events) == 4 and {e.kind for e in events} == {"stranger"}
    assert {(e.channel, e.user_id) for e in events} == {(channel, user)}
    assert len(_rows(db, MessageRow)) == 8  # every message in and out is stored, strangers too


def test_stranger_cannot_confirm_owner_order(say: Say, trading: FakeTrading) -> None:
    assert say("buy 0.01 btc").kind == "confirm"
    assert say("yes", user="999").kind == "refusal"
    assert trading.calls == []


def test_cli_is_trusted_and_wildcard_channel(say: Say) -> None:
    assert say("status", channel="cli", user="owner").kind == "text"
    assert say("status", channel="web", user="whoever").kind == "text"


def test_messages_in_and_out_are_stored(say: Say, db: Engine) -> None:
    say("status")
    rows = _rows(db, MessageRow)
    assert [(r.direction, r.channel, r.user_id) for r in rows] == [
        ("in", "telegram", "111"),
        ("out", "telegram", "111"),
    ]
    assert rows[0].text == "status" and "Equity" in rows[1].text


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_message(say: Say, text: str) -> None:
    reply = say(text)
    assert reply.kind == "error" and "empty" in reply.text and "\n" not in reply.text


def test_huge_message_is_refused_fast(say: Say, db: Engine, trading: FakeTrading) -> None:
    huge = "buy 0.01 btc " + "x" * 100_000
    start = time.process_time()  # CPU time: what the refusal costs, not what the machine's load adds
    reply = say(huge)
    assert time.process_time() - start < 0.5
    assert reply.kind == "error" and "too long" in reply.text and "\n" not in reply.text
    assert trading.calls == []
    stored = _rows(db, MessageRow)[0].text
    assert len(stored) < 5000  # the audit log keeps a truncated copy


def test_just_over_the_limit_in_bytes(say: Say) -> None:
    assert say("é" * 2100).kind == "error"  # 2100 chars but 4200 bytes


@pytest.mark.parametrize("text", ["status\x00", "\x1b[31mstatus", "\x07", "bad \ufffd\ufffd", "st\udc80atus"])
def test_binary_and_control_characters(say: Say, db: Engine, text: str) -> None:
    reply = say(text)
    assert reply.kind == "error" and "control" in reply.text
    assert all("\x00" not in r.text for r in _rows(db, MessageRow))


def test_unknown_command_answered_with_suggestions(say: Say) -> None:
    reply = say("/frobnicate the flux")
    assert reply.kind == "text" and "didn't understand" in reply.text and "help" in reply.text


def test_user_error_from_service_is_one_line(say: Say) -> None:
    reply = say("buy 0.01 doge")
    assert reply.kind == "error" and reply.text == "Unknown pair DOGE/USD"


def test_unexpected_exception_is_logged_with_an_id(say: Say, db: Engine, trading: FakeTrading) -> None:
    trading.fail_with = RuntimeError("boom\nTraceback (most recent call last)")
    reply = say("buy 0.01 btc")
    errors = _rows(db, ErrorRow)
    assert len(errors) == 1 and errors[0].kind == "fatal" and "boom" in errors[0].message
    assert reply.kind == "error"
    assert reply.text == f"Something went wrong on my side (logged as error #{errors[0].id})."


def test_exchange_errors_are_one_line(say: Say, db: Engine, trading: FakeTrading) -> None:
    trading.fail_with = ExchangeUnavailable("timeout")
    assert "not reachable" in say("buy 0.01 btc").text
    trading.fail_with = InsufficientFunds("EOrder:Insufficient funds")
    reply = say("buy 0.01 btc")
    assert reply.text == "The exchange refused: EOrder:Insufficient funds"
    assert [e.kind for e in _rows(db, ErrorRow)] == ["transient", "user"]


def test_execute_command_cannot_confirm_and_cannot_bypass_yes(
    dispatcher: Dispatcher, trading: FakeTrading
) -> None:
    env = Envelope("telegram", "111", "buy some btc for me")
    reply = dispatcher.execute_command(env, "buy 0.01 btc")
    assert reply.kind == "confirm" and trading.calls == []
    refused = dispatcher.execute_command(env, "yes")
    assert refused.kind == "error" and "jimmy" in refused.text
    assert trading.calls == []
    assert dispatcher.handle(Envelope("telegram", "111", "yes")).kind == "text"
    assert [c[0] for c in trading.calls] == ["place_manual"]


def test_execute_command_refuses_strangers_and_free_text(dispatcher: Dispatcher) -> None:
    assert dispatcher.execute_command(Envelope("telegram", "999", ""), "status").kind == "refusal"
    reply = dispatcher.execute_command(Envelope("telegram", "111", ""), "tell me a joke")
    assert reply.kind == "error" and "not a command" in reply.text


def test_handler_bug_alerts_the_owner(
    services: Services, db: Engine, clock: SimClock, trading: FakeTrading
) -> None:
    sent: list[Event] = []

    class Recorder:
        def notify(self, event: Event) -> None:
            sent.append(event)

    d = Dispatcher(services, KeyValueStore(db), db, clock, {}, "jimmy", OfflineEngine(), Recorder())
    trading.fail_with = RuntimeError("boom")
    d.handle(Envelope("cli", "owner", "buy 0.01 btc"))
    assert [e.kind for e in sent] == ["error"] and "RuntimeError: boom" in sent[0].text
