"""Alerts fan out to every channel; one failing or hanging channel never blocks the others."""

import threading
from collections.abc import Callable

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.alerts.notifier import (
    ALERT_EVENTS,
    Notifier,
    error_event,
    set_alert,
)
from bot.conversation.envelope import Reply
from core.clock import SimClock
from core.domain import Event, UserError
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import ErrorRow, MessageRow

Say = Callable[..., Reply]


class Inbox:
    def __init__(self) -> None:
        self.got: list[tuple[str, bytes | None]] = []

    def send(self, text: str, image: bytes | None) -> None:
        self.got.append((text, image))


@pytest.fixture
def notifier(kv: KeyValueStore, db: Engine, clock: SimClock):  # type: ignore[no-untyped-def]
    n = Notifier(kv, db, clock, send_timeout_s=2.0)
    yield n
    n.close()


def _broken(text: str, image: bytes | None) -> None:
    raise ConnectionError("telegram down")


def test_fan_out_with_one_failing_channel(notifier: Notifier, db: Engine) -> None:
    a, c = Inbox(), Inbox()
    notifier.register("slack", a.send)
    notifier.register("telegram", _broken)
    notifier.register("sms", c.send)
    result = notifier.deliver(Event("trade_opened", "Bought 0.01 BTC/USD at 61,000 (stop 59,000, target 65,000)."))
    assert result == {"slack": True, "telegram": False, "sms": True}
    assert a.got == c.got == [("Bought 0.01 BTC/USD at 61,000 (stop 59,000, target 65,000).", None)]
    with Session(db) as s:
        errors = s.exec(select(ErrorRow)).all()
        sent = s.exec(select(MessageRow)).all()
    assert [(e.where, e.kind) for e in errors] == [("notifier:telegram", "transient")]
    assert "telegram down" in errors[0].message
    assert sorted(m.channel for m in sent) == ["slack", "sms"]


def test_notify_never_waits_for_a_hanging_channel(notifier: Notifier) -> None:
    """Judged by order of events, not by a stopwatch (a loaded machine stretches any fixed bound):
    notify returns, and the other channel delivers, while the hanging channel is still inside its
    send, which only ends when the test releases it (60 s is an upper bound, never reached)."""
    release, hanging, hung_done = threading.Event(), threading.Event(), threading.Event()
    fast, delivered = Inbox(), threading.Event()

    def hangs(text: str, image: bytes | None) -> None:
        hanging.set()
        release.wait(60)
        hung_done.set()

    def quick(text: str, image: bytes | None) -> None:
        fast.send(text, image)
        delivered.set()

    notifier.register("hangs", hangs)
    notifier.register("fast", quick)
    notifier.notify(Event("error", "e1"))
    assert not hung_done.is_set()  # notify returned while no send could have finished
    assert hanging.wait(60) and delivered.wait(60)
    assert fast.got == [("e1", None)] and not hung_done.is_set()  # delivered beside the hung send
    release.set()
    notifier.flush()
    assert hung_done.is_set()


def test_deliver_times_out_a_hanging_channel(kv: KeyValueStore, db: Engine, clock: SimClock) -> None:
    n = Notifier(kv, db, clock, send_timeout_s=0.2)
    release = threading.Event()
    n.register("hangs", lambda text, image: release.wait(60) and None)  # held until released below
    assert n.deliver(Event("error", "x")) == {"hangs": False}
    release.set()
    n.close()


def test_alerts_can_be_switched_off_and_on(notifier: Notifier, kv: KeyValueStore) -> None:
    box = Inbox()
    notifier.register("web", box.send)
    set_alert(kv, "stop_hit", False)
    assert notifier.deliver(Event("stop_hit", "Stop hit on BTC/USD")) == {}
    assert notifier.deliver(Event("trade_closed", "Closed 0.01 BTC/USD at 65,000 (target): P&L +40.00 USD."))["web"]
    set_alert(kv, "all", False)
    assert notifier.deliver(Event("kill_switch", "Kill-switch tripped")) == {}
    set_alert(kv, "kill_switch", True)
    assert notifier.deliver(Event("kill_switch", "Kill-switch tripped")) == {"web": True}
    assert [t for t, _ in box.got][0] == "Closed 0.01 BTC/USD at 65,000 (target): P&L +40.00 USD."
    with pytest.raises(UserError, match="unknown alert"):
        set_alert(kv, "lunch", True)


def test_set_alerts_from_chat(say: Say, kv: KeyValueStore, notifier: Notifier) -> None:
    box = Inbox()
    notifier.register("sms", box.send)
    assert say("set alerts trade_opened off").text == "trade_opened alerts off."
    rows = say("alerts").row_dict()
    assert rows["trade_opened"] == "off" and rows["stop_hit"] == "on" and set(rows) == set(ALERT_EVENTS)
    assert notifier.deliver(Event("trade_opened", "Bought")) == {}
    assert say("/alerts trade-opened ON").text == "trade_opened alerts on."
    assert notifier.deliver(Event("trade_opened", "Bought")) == {"sms": True}
    assert say("set alerts trade_opened maybe").kind == "error"
    assert say("set alerts lunch on").text.startswith("Unknown alert 'lunch'")


def test_images_and_event_texts(notifier: Notifier) -> None:
    box = Inbox()
    notifier.register("telegram", box.send)
    notifier.deliver(Event("weekly_report", "week", {"image_png": b"\x89PNG..."}))
    assert box.got == [("week", b"\x89PNG...")]
    assert error_event("autopilot", "boom").text == "Error in autopilot: boom"
    assert notifier.channels == ["telegram"]
    notifier.unregister("telegram")
    assert notifier.deliver(Event("error", "x")) == {}


def test_long_alerts_are_clipped(notifier: Notifier) -> None:
    box = Inbox()
    notifier.register("sms", box.send)
    notifier.deliver(Event("error", "x" * 10_000))
    assert len(box.got[0][0]) == 4000


def test_quiet_hours_hold_back_trade_alerts_but_not_safety_alerts(
    notifier: Notifier, kv: KeyValueStore, clock: SimClock
) -> None:
    """The fake clock starts at 12:00 UTC; quiet hours 11:00-13:00 cover it. The held-back alert
    comes first, in the digest, before the next alert once quiet hours are over."""
    from bot.owner.settings import OwnerSettings

    inbox = Inbox()
    notifier.register("telegram", inbox.send)
    opened = Event("trade_opened", "Bought 0.01 BTC/USD at 61,000", {"pair": "BTC/USD"})
    stopped = Event("stop_hit", "Stop hit on BTC/USD", {"pair": "BTC/USD", "pnl": -20})
    OwnerSettings(kv).set_quiet_hours("11:00-13:00")
    assert notifier.deliver(opened) == {}
    assert notifier.deliver(stopped) == {"telegram": True}
    OwnerSettings(kv).set_quiet_hours("off")
    assert notifier.deliver(opened) == {"telegram": True}
    notifier.flush()
    assert [t.split(" ")[0] for t, _ in inbox.got] == ["Stop", "While", "Bought"]
    assert "Bought 0.01 BTC/USD at 61,000" in inbox.got[1][0]
