"""Quiet hours defer alerts, they do not drop them: held in the database during the night (a
restart loses none), sent once as one digest when quiet hours end; safety alerts go at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.alerts.alert_digest import DeferredAlerts
from bot.alerts.notifier import SAFETY_EVENTS, Notifier
from bot.owner.settings import OwnerSettings
from core.clock import SimClock
from core.domain import Event
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore
from tests.pg import BACKENDS, fresh_engine, pg_url

OPENED = "Bought 0.01 BTC/USD at 61,000.0; stop 59,000.0, target 65,000.0"
CLOSED = "Sold 0.01 BTC/USD at 65,000.0 (target); P&L +38.41 USD"
KILL = "Kill-switch: equity fell 3 % below yesterday's close. Flattening."


def ms(day: int, hour: int, minute: int = 0) -> int:
    return int(datetime(2024, 6, day, hour, minute, tzinfo=UTC).timestamp() * 1000)


class Inbox:
    def __init__(self) -> None:
        self.got: list[str] = []
        self._lock = threading.Lock()

    def send(self, text: str, image: bytes | None) -> None:
        with self._lock:
            self.got.append(text)


def notifier_on(db: Engine, clock: SimClock) -> tuple[Notifier, Inbox]:
    notifier = Notifier(KeyValueStore(db), db, clock, send_timeout_s=5.0)
    inbox = Inbox()
    notifier.register("telegram", inbox.send)
    return notifier, inbox


def reopen(backend: str, tmp_path: Path) -> Engine:
    """The same database as a new process sees it (no schema reset)."""
    return make_engine(f"sqlite:///{tmp_path}/zyn.db" if backend == "sqlite" else pg_url())


@pytest.mark.parametrize("backend", BACKENDS)
def test_alerts_in_quiet_hours_survive_a_restart_and_come_once_as_one_digest(backend: str, tmp_path: Path) -> None:
    db = fresh_engine(backend, tmp_path)
    clock = SimClock(ms(1, 23, 10))  # 23:10 UTC, inside 22:00-07:00
    OwnerSettings(KeyValueStore(db)).set_quiet_hours("22:00-07:00")
    night, inbox = notifier_on(db, clock)
    night.notify(Event("trade_opened", OPENED))
    clock.set(ms(2, 2, 30))
    night.notify(Event("trade_closed", CLOSED))
    night.notify(Event("kill_switch", KILL))  # safety: at once, quiet hours or not

    held = DeferredAlerts(db, clock).waiting()  # the positive signal: both alerts were processed
    assert [(r.kind, r.text) for r in held] == [("trade_opened", OPENED), ("trade_closed", CLOSED)]
    assert night.release_deferred() == {}  # still quiet: nothing is released
    night.flush()
    assert inbox.got == [KILL]
    night.close()  # the restart: a new process on the same database
    db.dispose()

    db = reopen(backend, tmp_path)
    clock.set(ms(2, 6, 59))
    morning, inbox = notifier_on(db, clock)
    assert morning.release_deferred() == {}  # 06:59 is still quiet
    clock.set(ms(2, 7, 0))
    assert list(morning.release_deferred()) == ["telegram"]  # 07:00: quiet hours are over
    morning.flush()
    assert len(inbox.got) == 1
    digest = inbox.got[0].splitlines()
    assert digest == [
        "While you were in quiet hours (22:00-07:00) I held back 2 alert(s):",
        f"- Sat 23:10: {OPENED}",
        f"- Sun 02:30: {CLOSED}",
    ]
    assert morning.release_deferred() == {}  # claimed once: a second tick sends nothing
    morning.notify(Event("trade_opened", "Bought 0.02 ETH/USD at 3,000.00"))
    morning.flush()
    assert len(inbox.got) == 2 and inbox.got[1].startswith("Bought 0.02 ETH/USD")
    assert DeferredAlerts(db, clock).waiting() == []
    morning.close()


def test_every_safety_alert_goes_out_at_once_in_quiet_hours(tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path}/zyn.db")
    clock = SimClock(ms(1, 23, 10))
    OwnerSettings(KeyValueStore(db)).set_quiet_hours("22:00-07:00")
    notifier, inbox = notifier_on(db, clock)
    for kind in sorted(SAFETY_EVENTS):
        assert notifier.deliver(Event(kind, f"{kind} now")) == {"telegram": True}
    assert sorted(inbox.got) == sorted(f"{k} now" for k in SAFETY_EVENTS)
    assert {"kill_switch", "stop_failed", "naked_position", "error", "circuit"} <= SAFETY_EVENTS
    assert DeferredAlerts(db, clock).waiting() == []
    notifier.close()


def test_racing_releases_send_the_digest_once(tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path}/zyn.db")
    clock = SimClock(ms(1, 23, 10))
    OwnerSettings(KeyValueStore(db)).set_quiet_hours("22:00-07:00")
    notifier, inbox = notifier_on(db, clock)
    for i in range(5):
        notifier.notify(Event("trade_opened", f"alert {i}"))
    assert len(DeferredAlerts(db, clock).waiting()) == 5
    clock.set(ms(2, 8, 0))
    threads = [threading.Thread(target=notifier.release_deferred) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    notifier.flush()
    assert len(inbox.got) == 1 and all(f"alert {i}" in inbox.got[0] for i in range(5))
    notifier.close()


def test_no_channel_yet_keeps_the_alerts_waiting(tmp_path: Path) -> None:
    """Channels start in the background after `zyn run` starts: a digest with nobody to hear it
    must not be claimed (and so lost)."""
    db = make_engine(f"sqlite:///{tmp_path}/zyn.db")
    clock = SimClock(ms(1, 23, 10))
    OwnerSettings(KeyValueStore(db)).set_quiet_hours("22:00-07:00")
    notifier = Notifier(KeyValueStore(db), db, clock)
    notifier.notify(Event("trade_opened", OPENED))
    clock.set(ms(2, 9, 0))
    assert notifier.release_deferred() == {}
    assert len(DeferredAlerts(db, clock).waiting()) == 1
    inbox = Inbox()
    notifier.register("slack", inbox.send)
    assert list(notifier.release_deferred()) == ["slack"]
    notifier.flush()
    assert len(inbox.got) == 1 and OPENED in inbox.got[0]
    notifier.close()
