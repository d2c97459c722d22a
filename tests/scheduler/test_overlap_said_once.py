"""Issue 22.9: a job still running when its next run is due is said ONCE, in Zyn's words, not
APScheduler's "maximum number of running instances reached" on the console at every skip."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from loguru import logger

from core.clock import SimClock
from core.telemetry.db import make_engine
from scheduler.lock import SchedulerLock
from scheduler.runner import OVERLAP_WORDS, JobSpec, ZynScheduler, every


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_a_job_that_overlaps_its_next_run_is_logged_once_in_zyns_words(tmp_path: Path) -> None:
    release = threading.Event()
    lock = SchedulerLock(make_engine(f"sqlite:///{tmp_path}/s.db"), SimClock(1_700_000_000_000))
    sched = ZynScheduler(lock, [JobSpec("slow", lambda: release.wait(30), every(0.05))])
    ours: list[str] = []
    sink = logger.add(lambda m: ours.append(str(m)), level="WARNING", filter=lambda r: "still running" in r["message"])
    theirs = Records()
    logging.getLogger("apscheduler").addHandler(theirs)
    try:
        sched.start()
        end = time.monotonic() + 20
        while sched.state()["skipped"].get("slow", 0) < 3 and time.monotonic() < end:  # a positive signal
            time.sleep(0.05)
        assert sched.state()["skipped"]["slow"] >= 3
    finally:
        release.set()
        sched.stop()
        logger.remove(sink)
        logging.getLogger("apscheduler").removeHandler(theirs)
    assert len(ours) == 1 and "job slow is still running when its next run is due" in ours[0]
    assert not [m for m in theirs.messages if OVERLAP_WORDS in m]
