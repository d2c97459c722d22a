"""Jobs on the simulated clock: in a replay, time is the replay's, not the wall's (issues 17.8, 22.11).

Why not APScheduler: its triggers fire on real time, and a replay at PAPER_SPEED=36000 passes a
simulated day every 2.4 real seconds — the nightly learning (02:30 UTC) and the learning check
(03:00) then never ran, and a report job polled once a real minute saw one simulated moment in
25 days, so the weekly report (Sunday evening) almost never went out. Here each job has a rule
"next due time after T" in simulated milliseconds; the replay job walks the candles up to each
due time, runs what is due there (in the replay's own thread: simulated time waits for it, so a
learning run sees exactly the candles closed by then), and walks on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from loguru import logger

from scheduler.error_text import error_line

NextDue = Callable[[int], int]  # ms -> the first due time strictly after it (ms)


def daily_at_ms(hour: int, minute: int, tz: str = "UTC") -> NextDue:
    """Every day at HH:MM in `tz` (simulated time)."""
    zone = ZoneInfo(tz)

    def next_after(ms: int) -> int:
        local = datetime.fromtimestamp(ms / 1000, tz=zone)
        due = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        while int(due.timestamp() * 1000) <= ms:
            due = (due + timedelta(days=1)).replace(hour=hour, minute=minute)
        return int(due.timestamp() * 1000)

    return next_after


def every_ms(period_ms: int) -> NextDue:
    """At every multiple of `period_ms` since the epoch (simulated time): aligned, so a 15-minute
    job runs at :00, :15, :30 and :45 whatever moment the replay started at."""

    def next_after(ms: int) -> int:
        return (ms // period_ms + 1) * period_ms

    return next_after


@dataclass(frozen=True)
class SimJob:
    name: str
    func: Callable[[], object]
    next_after: NextDue


class SimSchedule:
    """Due times of simulated-time jobs; `run_due(now)` runs each job due by `now` once.

    A failing job is logged and reported through `on_error(name, line)`, like the real
    scheduler's jobs, and stays scheduled for its next time."""

    def __init__(self, jobs: list[SimJob], on_error: Callable[[str, str], None] | None = None) -> None:
        self.jobs = list(jobs)
        self._on_error = on_error
        self._due: dict[str, int] = {}
        self.runs: dict[str, int] = {}

    def next_due(self, now_ms: int) -> int | None:
        """The earliest due time of any job (first call: counted from `now_ms`)."""
        for job in self.jobs:
            self._due.setdefault(job.name, job.next_after(now_ms))
        return min(self._due.values()) if self._due else None

    def run_due(self, now_ms: int) -> list[str]:
        """Run, in due order, every job due at or before `now_ms`; returns their names."""
        self.next_due(now_ms)
        ran: list[str] = []
        for job in sorted(self.jobs, key=lambda j: (self._due[j.name], j.name)):
            if self._due[job.name] > now_ms:
                continue
            self._due[job.name] = job.next_after(now_ms)
            self._run(job)
            ran.append(job.name)
        return ran

    def _run(self, job: SimJob) -> None:
        try:
            job.func()
            self.runs[job.name] = self.runs.get(job.name, 0) + 1
        except Exception as exc:  # a failing job must not stop the replay
            logger.bind(job=job.name, clock="simulated").exception("scheduled job failed")
            if self._on_error is not None:
                try:
                    self._on_error(job.name, error_line(exc))
                except Exception:
                    logger.bind(job=job.name).exception("on_error callback failed")


def walk_with_jobs(step: Callable[[int], object], schedule: SimSchedule, now_ms: int, until_ms: int) -> list[str]:
    """Walk simulated time from `now_ms` to `until_ms` with `step(t)`, stopping at each due time
    on the way to run what is due there. Returns the jobs run, in order."""
    ran: list[str] = []
    due = schedule.next_due(now_ms)
    while due is not None and due <= until_ms:
        step(due)
        ran += schedule.run_due(due)
        due = schedule.next_due(due)
    step(until_ms)
    return ran
