"""Heartbeats from the parts the watchdog guards: scheduled jobs and the market feed.

Why wrappers: the jobs and the feed stay unaware of the watchdog; the composition root wraps
them. A job beats when a run ends (an error is the job's own alert, not a stall — restarting
would not cure an unreachable exchange); a run that never ends is a hang. The feed beats on every
answer and reports failures, so a feed that keeps failing is noticed once and its recovery too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger

from core.domain import Candle, ZynError
from core.ports import MarketFeed
from scheduler.runner import JobSpec
from scheduler.watchdog import Watchdog

CRON_STALL_S = 26 * 3600.0  # a daily job: missing for more than a day and a bit
STALL_RUNS = 3  # an interval job is stalled after missing 3 runs


def stall_after(spec: JobSpec, minimum_s: float) -> float:
    trigger = spec.trigger
    if isinstance(trigger, IntervalTrigger):
        interval: timedelta = trigger.interval
        return max(STALL_RUNS * interval.total_seconds(), minimum_s)
    return CRON_STALL_S


def watch_jobs(
    wd: Watchdog,
    jobs: Sequence[JobSpec],
    restart: Callable[[], None],
    expected: Callable[[], bool],
    minimum_s: float = 60.0,
) -> list[JobSpec]:
    """Each job beats the watchdog; a hung or missing job restarts the scheduler (critical)."""
    out: list[JobSpec] = []
    for spec in jobs:
        name = f"job:{spec.name}"
        wd.register(name, "job", stall_after(spec, minimum_s), restart=restart, expected=expected, critical=True)
        out.append(JobSpec(spec.name, _beating(wd, name, spec.func), spec.trigger, spec.needs_lock))
    return out


def _beating(wd: Watchdog, name: str, func: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        wd.started(name)
        try:
            return func()
        finally:
            wd.beat(name)

    return run


class WatchedFeed:
    """A MarketFeed that reports to the watchdog: beats on answers, failures with the reason."""

    def __init__(self, inner: MarketFeed, wd: Watchdog, name: str = "feed") -> None:
        self._inner, self._wd, self.name = inner, wd, name

    def pairs(self) -> Sequence[str]:
        return self._inner.pairs()

    def closed_candles(self, pair: str, timeframe: str, limit: int = 200) -> list[Candle]:
        try:
            candles = self._inner.closed_candles(pair, timeframe, limit)
        except ZynError as exc:
            self._wd.fail(self.name, f"{pair}: {type(exc).__name__}: {exc}")
            raise
        self._wd.beat(self.name)
        return candles

    def last_price(self, pair: str) -> float | None:
        return self._inner.last_price(pair)
