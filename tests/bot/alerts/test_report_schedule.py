"""The reports job: the daily summary at the owner's report time in his zone, at most once per
local day (kept in kv, so a restart does not send it again), the weekly report on Sunday too."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from bot.alerts.report_schedule import send_due_reports
from bot.conversation.services import Services
from core.clock import SimClock
from core.domain import Event
from core.telemetry.kv import KeyValueStore
from tests.fakes.services import HOUR, T0


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def notify(self, event: Event) -> Any:
        self.events.append(event)


def test_the_daily_summary_goes_once_at_the_owner_report_time(services: Services, db: Engine) -> None:
    kv, sent = KeyValueStore(db), Recorder()
    kv.set("pref:tz", "Europe/Berlin")  # T0 is 14:00 in Berlin (a Saturday)
    kv.set("pref:daily_report_time", "15:30")
    clock = SimClock(T0)
    send_due_reports(kv, clock, sent, services, "UTC", "jimmy")  # type: ignore[arg-type]
    assert sent.events == []
    clock.set(T0 + 2 * HOUR)  # 16:00 in Berlin
    send_due_reports(kv, clock, sent, services, "UTC", "jimmy")  # type: ignore[arg-type]
    send_due_reports(kv, clock, sent, services, "UTC", "jimmy")  # type: ignore[arg-type]
    assert [e.kind for e in sent.events] == ["daily_report"]


def test_sunday_brings_the_weekly_report_as_well(services: Services, db: Engine) -> None:
    kv, sent = KeyValueStore(db), Recorder()
    clock = SimClock(T0 + 24 * HOUR + 9 * HOUR)  # Sunday 21:00 UTC, after the default 20:00
    send_due_reports(kv, clock, sent, services, "UTC", "jimmy")  # type: ignore[arg-type]
    assert [e.kind for e in sent.events] == ["daily_report", "weekly_report"]
