"""The scheduled jobs of `zyn run` (APScheduler, same process, one owner per database)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from loguru import logger

from core.clock import RealClock
from scheduler.lock import SchedulerLock
from scheduler.runner import JobSpec, ZynScheduler, daily_at, every

if TYPE_CHECKING:
    from bot.app import Zyn

REPLAY_STEP_S = 1.0


def build_scheduler(zyn: Zyn) -> ZynScheduler:
    jobs = [
        JobSpec("status_sync", lambda: _status_sync(zyn), every(60)),
        JobSpec("reports", lambda: _reports_due(zyn), every(60)),
        JobSpec("alert_digest", lambda: zyn.notifier.release_deferred(), every(60)),  # after quiet hours
        JobSpec("nightly_learn", lambda: zyn.relearn(), daily_at(2, 30, "UTC")),
        JobSpec("learning_check", lambda: _learning_check(zyn), daily_at(3, 0, "UTC")),
    ]
    if zyn.replay is not None:
        jobs.append(JobSpec("replay", _ReplayJob(zyn), every(REPLAY_STEP_S)))
    elif zyn.feed is not None:
        jobs.append(JobSpec("autopilot", lambda: zyn.autopilot.run_once(), every(30)))
        jobs.append(JobSpec("take_profit_watch", lambda: _watch_prices(zyn), every(10)))
    from bot.wiring_modules import module_jobs, watch_scheduler_jobs

    jobs = watch_scheduler_jobs(zyn, jobs + module_jobs(zyn))
    # the lease is about real processes, so it runs on real time even during a replay
    lock = zyn.lease if zyn.lease is not None else SchedulerLock(zyn.db, RealClock(),
                                                                 lease_s=zyn.settings.owner_lease_s)
    return ZynScheduler(lock, jobs, on_error=lambda job, err: _job_failed(zyn, job, err))


def _learning_check(zyn: Zyn) -> None:
    """Walk-forward re-run that keeps learning off unless it shows skill (bot/learning_check.py)."""
    from bot.learning_check import run_learning_check

    run_learning_check(zyn)


def _job_failed(zyn: Zyn, job: str, error: str) -> None:
    """A failing job is an `error` alert for the owner (and an ErrorRow), not a silent log line."""
    from sqlmodel import Session

    from bot.notifier import error_event
    from core.telemetry.models import ErrorRow

    with Session(zyn.db) as s:
        s.add(ErrorRow(ts_ms=zyn.clock.now_ms(), where=f"job.{job}", kind="transient", message=error[:500]))
        s.commit()
    zyn.notifier.notify(error_event(f"scheduled job {job}", error))


class _ReplayJob:
    """Moves simulated time on by PAPER_SPEED x the real time since the last run."""

    def __init__(self, zyn: Zyn) -> None:
        self._zyn = zyn
        self._last = time.monotonic()
        self._persisted = 0.0

    def __call__(self) -> None:
        now = time.monotonic()
        elapsed, self._last = now - self._last, now
        zyn = self._zyn
        if zyn.replay is None:  # the job is only scheduled with a replay driver
            return
        zyn.replay.advance(int(elapsed * zyn.settings.paper_speed * 1000))
        if now - self._persisted > 5:
            from bot.wiring_market import persist_replay_clock

            persist_replay_clock(zyn.kv, zyn.clock)
            self._persisted = now


def _watch_prices(zyn: Zyn) -> None:
    if zyn.pricer is not None:
        zyn.pricer.poll_once()  # paper: walks prices through the engine; the watcher listens
    else:
        zyn.take_profit.poll_once()
    zyn.trading.sync()


def _status_sync(zyn: Zyn) -> None:
    zyn.status.sync(force=True)
    zyn.status.record_equity_snapshot()


def _reports_due(zyn: Zyn) -> None:
    """Daily summary at the owner's report time (`set report_time`, default 20:00 in his time
    zone) and the weekly report on Sunday at the same time; each at most once per local day."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tz = zyn.kv.get("pref:tz") or zyn.settings.tz
    at = zyn.kv.get("pref:daily_report_time") or "20:00"
    local = datetime.fromtimestamp(zyn.clock.now_ms() / 1000, tz=ZoneInfo(tz))
    hour, _, minute = at.partition(":")
    if (local.hour, local.minute) < (int(hour), int(minute or 0)):
        return
    today = local.date().isoformat()
    if zyn.kv.get("report:daily:last") != today:
        zyn.kv.set("report:daily:last", today)
        _report(zyn, "daily")
    if local.weekday() == 6 and zyn.kv.get("report:weekly:last") != today:
        zyn.kv.set("report:weekly:last", today)
        _report(zyn, "weekly")


def _report(zyn: Zyn, which: str) -> None:
    from bot.reports import daily_report_event, weekly_report_event

    services = zyn.dispatcher.services
    make = daily_report_event if which == "daily" else weekly_report_event
    event = make(services, zyn.clock, zyn.settings.tz, zyn.settings.user_name)
    zyn.notifier.notify(event)
    logger.bind(report=which).info("report sent")
