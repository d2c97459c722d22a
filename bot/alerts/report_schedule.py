"""When the daily summary and the weekly report are due, and sending them (the scheduler's
`reports` job calls `send_due_reports` every minute, or every 15 simulated minutes in a replay).

Why apart from the reports' text: this is the "at most once per local day at the owner's time"
rule, kept in kv so a restart never sends a report twice.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from loguru import logger

from bot.alerts.notifier import Notifier
from bot.alerts.reports import daily_report_event, weekly_report_event
from bot.conversation.services import Services
from bot.owner.settings import DEFAULT_REPORT_TIME, REPORT_TIME_KEY, TZ_KEY
from core.ports import Clock
from core.telemetry.kv import KeyValueStore

DAILY_SENT_KEY = "report:daily:last"
WEEKLY_SENT_KEY = "report:weekly:last"


def send_due_reports(kv: KeyValueStore, clock: Clock, notifier: Notifier, services: Services,
                     tz: str, user_name: str) -> None:
    """Daily summary at the owner's report time (`set report_time`, default 20:00 in his time
    zone) and the weekly report on Sunday at the same time; each at most once per local day."""
    zone = kv.get(TZ_KEY) or tz
    at = kv.get(REPORT_TIME_KEY) or DEFAULT_REPORT_TIME
    local = datetime.fromtimestamp(clock.now_ms() / 1000, tz=ZoneInfo(zone))
    hour, _, minute = at.partition(":")
    if (local.hour, local.minute) < (int(hour), int(minute or 0)):
        return
    today = local.date().isoformat()
    if kv.get(DAILY_SENT_KEY) != today:
        kv.set(DAILY_SENT_KEY, today)
        notifier.notify(daily_report_event(services, clock, tz, user_name))
        logger.bind(report="daily").info("report sent")
    if local.weekday() == 6 and kv.get(WEEKLY_SENT_KEY) != today:
        kv.set(WEEKLY_SENT_KEY, today)
        notifier.notify(weekly_report_event(services, clock, tz, user_name))
        logger.bind(report="weekly").info("report sent")
