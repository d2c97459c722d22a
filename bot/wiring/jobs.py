"""The scheduled jobs of `zyn run` (APScheduler, same process, one owner per database)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from loguru import logger
from sqlalchemy.engine import Engine

from adapters.kraken.budget import in_background
from bot.alerts.notifier import Notifier
from bot.alerts.report_schedule import send_due_reports
from bot.alerts.safety import job_failed
from bot.conversation.services import Services
from bot.learning.runner import LearningRunner
from bot.wiring.malloc_trim import TRIM_EVERY_S, native_trimmer
from bot.wiring.market import LivePaperPricer, persist_replay_clock_at
from bot.wiring.modules import Modules, job_watch, module_jobs
from core.clock import RealClock
from core.config import Settings
from core.ports import Clock, MarketFeed
from core.telemetry.kv import KeyValueStore
from core.trading.commands import ResumeIfDue
from scheduler.lock import SchedulerLock
from scheduler.runner import JobSpec, ZynScheduler, daily_at, every
from scheduler.sim_time import SimJob, SimSchedule, daily_at_ms, every_ms, walk_with_jobs

if TYPE_CHECKING:
    from core.status.service import StatusService
    from core.trading.autopilot import Autopilot
    from core.trading.replay import ReplayDriver
    from core.trading.servant import LiveEvidence
    from core.trading.service import TradingService
    from core.trading.take_profit import TakeProfitWatcher

REPLAY_STEP_S = 1.0
PAUSE_CHECK_S = 2.0  # a timed pause ("pause until tomorrow") ends within this many seconds of its time


@dataclass(frozen=True)
class JobParts:
    """What the scheduled jobs run on: built before the scheduler, handed over complete."""

    settings: Settings
    db: Engine
    kv: KeyValueStore
    clock: Clock
    notifier: Notifier
    trading: TradingService
    autopilot: Autopilot
    take_profit: TakeProfitWatcher
    status: StatusService
    services: Services
    learning: LearningRunner
    modules: Modules
    feed: MarketFeed | None
    replay: ReplayDriver | None
    pricer: LivePaperPricer | None
    evidence: LiveEvidence | None = None  # the universe job tells it the pairs (None = ZYN_EVIDENCE=off)


def build_scheduler(parts: JobParts, lock: SchedulerLock) -> ZynScheduler:
    """The scheduler (not started: `Zyn.start` does that, only in `zyn run` or a test that says so)."""
    p = parts

    def on_error(job: str, err: str) -> None:
        job_failed(p.db, p.clock, p.notifier, job, err)

    jobs = [
        JobSpec("status_sync", lambda: _status_sync(p.status), every(60)),
        JobSpec("pause_end", lambda: p.trading.handle(ResumeIfDue(p.clock.now_ms())), every(PAUSE_CHECK_S)),  # 22
    ]
    schedule = None
    if p.replay is not None:  # replay is a clock: these run on simulated time (issues 17.8, 22.11)
        schedule = SimSchedule(sim_clock_jobs(p), on_error=on_error)
        replay = _ReplayJob(p.replay, p.kv, p.clock, p.settings.paper_speed, schedule)
        jobs.append(JobSpec("replay", replay, every(REPLAY_STEP_S)))
    else:
        jobs += [
            JobSpec("reports", lambda: _reports_due(p), every(60)),
            JobSpec("alert_digest", p.notifier.release_deferred, every(60)),  # after quiet hours
            JobSpec("nightly_learn", p.learning.relearn, daily_at(2, 30, "UTC")),
            JobSpec("learning_check", lambda: _learning_check(p.learning), daily_at(3, 0, "UTC")),
        ]
    if p.replay is None and p.feed is not None:
        jobs.append(JobSpec("autopilot", p.autopilot.run_once, every(30)))
        jobs.append(JobSpec("take_profit_watch", lambda: _watch_prices(p), every(10)))

    jobs += module_jobs(p.modules, p.autopilot, p.settings, p.clock, p.evidence)
    # issue 19.5: every scheduled job's Kraken calls are background calls: they leave the owner's
    # reserve of the rate budget alone and step aside while a chat call waits (adapters/kraken/budget)
    jobs = [replace(j, func=in_background(j.func)) for j in jobs]
    trim = native_trimmer()
    if trim is not None:  # this process's own heap: no lease needed (bot/wiring/malloc_trim.py)
        jobs.append(JobSpec("native_heap_trim", trim, every(TRIM_EVERY_S), needs_lock=False))
    return ZynScheduler(lock, jobs, on_error=on_error, watch=job_watch(p.modules), sim=schedule)


def sim_clock_jobs(p: JobParts) -> list[SimJob]:
    """The wall-clock jobs of a live run, due on the replay's clock instead: the learning at the
    same UTC times, the report check and the quiet-hours digest every 15 simulated minutes."""
    quarter = every_ms(15 * 60_000)
    return [
        SimJob("nightly_learn", p.learning.relearn, daily_at_ms(2, 30, "UTC")),
        SimJob("learning_check", lambda: _learning_check(p.learning), daily_at_ms(3, 0, "UTC")),
        SimJob("reports", lambda: _reports_due(p), quarter),
        SimJob("alert_digest", p.notifier.release_deferred, quarter),
    ]


def scheduler_lock(db: Engine, settings: Settings, lease: SchedulerLock | None) -> SchedulerLock:
    """The lease this process already holds, else one its scheduler takes when started.
    The lease is about real processes, so it runs on real time even during a replay."""
    return lease if lease is not None else SchedulerLock(db, RealClock(), lease_s=settings.owner_lease_s)


def _learning_check(learning: LearningRunner) -> None:
    """Walk-forward re-run that keeps learning off unless it shows skill (bot/learning/check.py)."""
    from bot.learning.check import run_learning_check  # lazy: keeps numpy out of this import

    run_learning_check(learning)


class _ReplayJob:
    """Moves simulated time on by PAPER_SPEED x the real time since the last run, stopping at the
    simulated due time of each learning/report job on the way (`scheduler/sim_time.py`).

    The first run only starts the count: the job is built with the rest of Zyn, possibly long
    before `zyn run` starts its scheduler (reconciling first), and that wait is not replay time."""

    def __init__(
        self, replay: ReplayDriver, kv: KeyValueStore, clock: Clock, speed: float, schedule: SimSchedule
    ) -> None:
        self._replay, self._kv, self._clock, self._speed = replay, kv, clock, speed
        self.schedule = schedule  # learning and reports, due on the simulated clock
        self._last: float | None = None
        self._ended = False

    def __call__(self) -> None:
        now = time.monotonic()
        elapsed = 0.0 if self._last is None else now - self._last
        self._last = now
        start = self._clock.now_ms()
        until = start + int(elapsed * self._speed * 1000)
        if until > start:
            # saved BEFORE the walk: a kill -9 mid-walk restarts at `until` (like any downtime, the
            # rest of this step is skipped), never behind the fills and trades the walk wrote
            persist_replay_clock_at(self._kv, until)
        if self._replay.done:  # the candles are over: nothing new to learn or report (no SMS every 2 s)
            if not self._ended:
                self._ended = True
                logger.bind(clock="simulated").info("replay finished: its learning and report jobs stop with it")
            self._replay.step(until)
        else:
            walk_with_jobs(self._replay.step, self.schedule, start, until)


def _watch_prices(p: JobParts) -> None:
    if p.pricer is not None:
        p.pricer.poll_once()  # paper: walks prices through the engine; the watcher listens
        p.trading.sync()
    else:
        p.take_profit.poll_once()  # syncs first (one read for every stop), then the targets


def _status_sync(status: StatusService) -> None:
    status.sync(force=True)
    status.record_equity_snapshot()


def _reports_due(p: JobParts) -> None:
    send_due_reports(p.kv, p.clock, p.notifier, p.services, p.settings.tz, p.settings.user_name)
