"""A failing scheduled job reaches the owner through `on_error`, and a broken reporter is harmless.

Why: the daily report or the replay/sync job can fail at 3 a.m.; unless the failure is pushed
out (the composition root wires `on_error` to the notifier's `error` alert) nobody notices.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from loguru import logger

from core.clock import SimClock
from core.telemetry.db import make_engine
from scheduler.lock import SchedulerLock
from scheduler.runner import JobSpec, ZynScheduler, error_line, every


def _scheduler(tmp_path: Path, jobs: list[JobSpec], **kw: object) -> ZynScheduler:
    lock = SchedulerLock(make_engine(f"sqlite:///{tmp_path}/s.db"), SimClock(1_700_000_000_000))
    return ZynScheduler(lock, jobs, **kw)  # type: ignore[arg-type]


def _boom() -> None:
    raise RuntimeError("exchange down\n  while fetching   balances")


def test_failed_job_calls_on_error_with_name_and_one_line(tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []
    sched = _scheduler(tmp_path, [JobSpec("sync", _boom, every(3600))], on_error=lambda j, e: seen.append((j, e)))
    sched.run_now("sync")
    assert seen == [("sync", "RuntimeError: exchange down while fetching balances")]
    assert sched.state()["errors"]["sync"] == seen[0][1]


def test_successful_job_does_not_call_on_error(tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []
    sched = _scheduler(tmp_path, [JobSpec("ok", lambda: None, every(3600))], on_error=lambda j, e: seen.append((j, e)))
    sched.run_now("ok")
    assert seen == [] and sched.state()["runs"] == {"ok": 1}


def test_exception_in_on_error_is_swallowed_and_logged(tmp_path: Path) -> None:
    def broken(job: str, error: str) -> None:
        raise ConnectionError("telegram unreachable")

    logs: list[str] = []
    sink = logger.add(lambda m: logs.append(str(m)), level="ERROR")
    try:
        sched = _scheduler(tmp_path, [JobSpec("report", _boom, every(3600))], on_error=broken)
        sched.run_now("report")  # must not raise
    finally:
        logger.remove(sink)
    assert "RuntimeError" in sched.state()["errors"]["report"]
    assert any("on_error callback failed" in line for line in logs)


def test_without_on_error_failures_are_only_recorded(tmp_path: Path) -> None:
    sched = _scheduler(tmp_path, [JobSpec("boom", _boom, every(3600))])
    sched.run_now("boom")
    assert sched.state()["errors"]["boom"].startswith("RuntimeError: exchange down")


def test_job_run_by_apscheduler_reports_through_on_error(tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []
    sched = _scheduler(tmp_path, [JobSpec("fast", _boom, every(0.05))], on_error=lambda j, e: seen.append((j, e)))
    sched.start()
    try:
        deadline = time.monotonic() + 5
        while not seen and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        sched.stop()
    assert seen and seen[0][0] == "fast" and "exchange down" in seen[0][1]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [(ValueError(""), "ValueError"), (KeyError("x" * 500), "KeyError: '" + "x" * 119)],
)
def test_error_line_is_short_and_single_line(exc: BaseException, expected: str) -> None:
    assert error_line(exc) == expected and "\n" not in error_line(exc)
