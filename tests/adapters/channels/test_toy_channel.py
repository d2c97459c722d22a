"""The "add a channel" recipe (docs/EXTENDING.md), followed by a toy channel: allow-listed users
reach the one dispatcher (confirmations included), strangers are refused there, alerts arrive."""

from __future__ import annotations

from pathlib import Path

from bot.alerts.notifier import Notifier
from bot.conversation.offline_engine import OfflineEngine
from bot.conversation.services import Services
from bot.dispatch.dispatcher import Dispatcher
from core.clock import SimClock
from core.domain import Event
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore
from tests.fakes.services import T0, FakeStatus, FakeTrading
from tests.fakes.toy_channel import ToyChannel


def test_a_new_channel_needs_only_its_module_and_its_registration(tmp_path: Path) -> None:
    db, clock = make_engine(f"sqlite:///{tmp_path}/t.db"), SimClock(T0)
    kv = KeyValueStore(db)
    services = Services(trading=FakeTrading(), status=FakeStatus())
    dispatcher = Dispatcher(services, kv, db, clock, {"toy": {"ann"}}, "jimmy", OfflineEngine())
    toy = ToyChannel(dispatcher)
    notifier = Notifier(kv, db, clock)
    notifier.register(toy.name, toy.send)  # what bot/wiring/services.py::build_channels does

    assert "not on its allow-list" in toy.receive("mallory: buy 0.01 BTC/USD sl 59000")
    echo = toy.receive("ann: buy 0.01 BTC/USD sl 59000")
    assert "[yes | no]" in echo
    assert "bought 0.01 btc/usd" in toy.receive("ann: yes").lower()
    assert notifier.deliver(Event("error", "Error in autopilot: boom")) == {"toy": True}
    assert toy.outbox == ["Error in autopilot: boom"]
