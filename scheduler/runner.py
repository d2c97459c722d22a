"""APScheduler in the same process, guarded so only one process per database runs jobs.

Jobs are plain callables registered by the composition root. Every run first renews the
database lease (`SchedulerLock`); a process that does not hold it skips the run, so a second
`zyn run` on the same database cannot double-trade. Overlaps are skipped (`max_instances=1`)
and missed runs coalesce into one catch-up. A failing job is logged, shown in `state()` and
reported through `on_error(job_name, one_line)` so the owner hears of it (the composition root
wires it to the notifier's `error` alert); a broken reporter never takes the scheduler down.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from loguru import logger

from scheduler.error_text import error_line
from scheduler.lock import SchedulerLock
from scheduler.sim_time import SimSchedule


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: Callable[[], Any]
    trigger: BaseTrigger
    needs_lock: bool = True


def every(seconds: float) -> IntervalTrigger:
    return IntervalTrigger(seconds=seconds)


def daily_at(hour: int, minute: int, tz: str, day_of_week: str | None = None) -> CronTrigger:
    return CronTrigger(hour=hour, minute=minute, day_of_week=day_of_week, timezone=tz)


OVERLAP_WORDS = "maximum number of running instances reached"


class _DropOverlapWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return OVERLAP_WORDS not in str(record.msg)


def quiet_overlap_logger() -> logging.Logger:
    """APScheduler's logger without its per-skip "maximum number of running instances" warning
    (`ZynScheduler._overlapped` says it once instead); everything else it logs is kept."""
    log = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, _DropOverlapWarnings) for f in log.filters):
        log.addFilter(_DropOverlapWarnings())
    return log


WatchJobs = Callable[[list[JobSpec], Callable[[], None], Callable[[], bool]], list[JobSpec]]


@dataclass
class ZynScheduler:
    lock: SchedulerLock
    jobs: list[JobSpec]
    on_error: Callable[[str, str], None] | None = None
    # `watch(jobs, restart, owner)` wraps the jobs so a watchdog sees them beat and can restart this
    # scheduler (scheduler/watched.py); given here because the restart is this very object.
    watch: WatchJobs | None = None
    # in a replay: the jobs due on the simulated clock, run by the replay job (scheduler/sim_time.py)
    sim: SimSchedule | None = None
    _sched: BackgroundScheduler | None = None
    _owner: bool = False
    _runs: dict[str, int] = field(default_factory=dict)
    _errors: dict[str, str] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)
    _overlaps: dict[str, int] = field(default_factory=dict)  # job -> runs skipped: still running
    _storage_out: bool = False  # the last lease check could not reach the database (issue 19.3)

    def __post_init__(self) -> None:
        if self.watch is not None:
            self.jobs = self.watch(list(self.jobs), self.restart, lambda: self._owner)

    def start(self) -> None:
        self._sched = BackgroundScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}, timezone="UTC",
            logger=quiet_overlap_logger(),
        )
        self._sched.add_listener(self._overlapped, EVENT_JOB_MAX_INSTANCES)
        for spec in self.jobs:
            self._sched.add_job(self._wrap(spec), spec.trigger, id=spec.name, name=spec.name, replace_existing=True)
        self._sched.add_job(self._renew, every(self.lock.renew_every_s), id="scheduler_lease", replace_existing=True)
        self._renew()
        self._sched.start()
        logger.bind(jobs=[j.name for j in self.jobs], owner=self._owner).info("scheduler started")

    def restart(self) -> None:
        """A fresh APScheduler (new worker threads) for the same jobs: the watchdog's cure for a
        hung job. The hung worker thread cannot be killed in Python; it is abandoned."""
        old, self._sched = self._sched, None
        if old is not None and old.running:
            old.shutdown(wait=False)
        logger.bind(jobs=[j.name for j in self.jobs]).warning("scheduler restarted by the watchdog")
        self.start()

    def stop(self, release: bool = True) -> None:
        """Stop the jobs; `release=False` when the caller releases the lease itself, last."""
        if self._sched is not None and self._sched.running:
            self._sched.shutdown(wait=True)
        if self._owner and release:
            self.lock.release()

    def _overlapped(self, event: JobSubmissionEvent) -> None:
        """A job still running when its next run was due: said once per job, in Zyn's words
        (APScheduler's own warning went to the console on every skipped run, issue 22.9)."""
        with self._guard:
            first = event.job_id not in self._overlaps
            self._overlaps[event.job_id] = self._overlaps.get(event.job_id, 0) + 1
        if first:
            logger.bind(job=event.job_id).warning(
                "job {} is still running when its next run is due; that run is skipped (said once)", event.job_id
            )

    def _renew(self) -> bool:
        try:
            owner = self.lock.acquire()
        except Exception as exc:  # storage outage: skip this run; the lease keeper decides what it means
            if not self._storage_out:
                logger.bind(holder=self.lock.holder).warning(
                    "lease check failed ({}): jobs that trade wait until storage answers", type(exc).__name__)
            self._storage_out = True
            return False
        if self._storage_out:
            logger.bind(holder=self.lock.holder).info("storage answers again: jobs resume")
            self._storage_out = False
        if owner != self._owner:
            log = logger.bind(owner=owner, holder=self.lock.holder)
            if owner:
                log.info("this process runs the scheduler")
            else:  # lost the lease (or another process holds it): trading jobs stand by here
                log.warning("another process runs the scheduler on this database; standing by")
        self._owner = owner
        return owner

    def _wrap(self, spec: JobSpec) -> Callable[[], None]:
        def run() -> None:
            if spec.needs_lock and not self._renew():
                return
            try:
                spec.func()
                with self._guard:
                    self._runs[spec.name] = self._runs.get(spec.name, 0) + 1
                    self._errors.pop(spec.name, None)
            except Exception as exc:  # a failing job must not kill the scheduler
                logger.bind(job=spec.name).exception("scheduled job failed")
                line = error_line(exc)
                with self._guard:
                    self._errors[spec.name] = line
                self._report(spec.name, line)

        run.__name__ = f"job_{spec.name}"
        return run

    def _report(self, job: str, line: str) -> None:
        """Tell `on_error`; its own failure is logged and swallowed (alerting must not break jobs)."""
        if self.on_error is None:
            return
        try:
            self.on_error(job, line)
        except Exception:
            logger.bind(job=job).exception("on_error callback failed")

    def state(self) -> dict[str, Any]:
        running = bool(self._sched is not None and self._sched.running)
        with self._guard:
            return {"running": running, "owner": self._owner, "jobs": [j.name for j in self.jobs],
                    "runs": dict(self._runs), "errors": dict(self._errors), "skipped": dict(self._overlaps)}

    def run_now(self, name: str) -> None:
        """Run one job immediately in the caller's thread (CLI and tests)."""
        for spec in self.jobs:
            if spec.name == name:
                self._wrap(spec)()
                return
        raise KeyError(name)
