"""The watchdog: a hung job is restarted and recovers, an unhealable one exits, the owner is told
once when a part goes down and once when it is back; Telegram killed and brought back."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from adapters.channels.settings import ChannelSettings
from bot.conversation.envelope import Envelope, Reply
from bot.wiring.modules import watch_telegram
from core.clock import RealClock
from core.telemetry.db import make_engine
from scheduler.lock import SchedulerLock
from scheduler.runner import JobSpec, ZynScheduler, every
from scheduler.watchdog import Watchdog
from scheduler.watched import watch_jobs
from tests.fakes.telegram_api import FakeTelegramAPI


def wait_until(cond: Callable[[], bool], step: Callable[[], None] = lambda: None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not reached in time"
        step()
        time.sleep(0.05)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_silent_component_is_reported_once_restarted_with_backoff_and_its_recovery_once() -> None:
    clock, notes, restarts = FakeTime(), list[str](), list[float]()
    wd = Watchdog(notify=notes.append, on_fatal=lambda r: None, backoff_s=10, max_backoff_s=40, monotonic=clock)
    wd.register("job:autopilot", "job", 90, restart=lambda: restarts.append(clock.now))
    wd.check_once()
    assert notes == []
    for _ in range(20):  # 100 s of silence after 90 s allowed... checked every 5 s
        clock.now += 5
        wd.check_once()
    assert len(notes) == 1 and "job:autopilot (job) is down" in notes[0]
    for _ in range(40):
        clock.now += 5
        wd.check_once()
    assert [b - a for a, b in zip(restarts, restarts[1:], strict=False)][:4] == [10, 20, 40, 40]  # backoff
    assert len(notes) == 1  # still down: no second notice
    wd.beat("job:autopilot")
    wd.check_once()
    wd.check_once()
    assert len(notes) == 2 and notes[1].startswith("Watchdog: job:autopilot recovered after")
    assert wd.snapshot()["job:autopilot"]["state"] == "ok"


def _scheduler(tmp_path: Path, func: Callable[[], None]) -> ZynScheduler:
    lock = SchedulerLock(make_engine(f"sqlite:///{tmp_path}/s.db"), RealClock())
    return ZynScheduler(lock, [JobSpec("autopilot", func, every(0.1))])


def test_a_hung_job_is_restarted_and_recovers_with_one_notice_each(tmp_path: Path) -> None:
    release, calls, notes = threading.Event(), list[int](), list[str]()

    def job() -> None:
        calls.append(1)
        if len(calls) == 1:
            release.wait(30)  # the first run hangs (a socket without a timeout)

    wd = Watchdog(notify=notes.append, on_fatal=lambda r: None, backoff_s=0.2)
    sched = _scheduler(tmp_path, job)
    sched.jobs = watch_jobs(wd, sched.jobs, restart=sched.restart, expected=lambda: True, minimum_s=0.5)
    sched.start()
    try:
        wait_until(lambda: any("recovered" in n for n in notes), wd.check_once)
        assert len(calls) >= 2  # it ran again after the restart
        assert [n for n in notes if "is down" in n] == [notes[0]] and "hung" in notes[0]
        assert sum("recovered" in n for n in notes) == 1
    finally:
        release.set()
        sched.stop()


def test_a_job_that_cannot_be_healed_makes_the_process_give_up(tmp_path: Path) -> None:
    release, fatal, notes = threading.Event(), list[str](), list[str]()
    wd = Watchdog(notify=notes.append, on_fatal=fatal.append, backoff_s=0.05, max_attempts=2)
    sched = _scheduler(tmp_path, lambda: release.wait(30) and None)
    sched.jobs = watch_jobs(wd, sched.jobs, restart=sched.restart, expected=lambda: True, minimum_s=0.3)
    sched.start()
    try:
        wait_until(lambda: bool(fatal), wd.check_once)
        assert len(fatal) == 1 and "could not be healed after 2 restarts" in fatal[0] and wd.failed
        assert "Exiting so the supervisor restarts me" in notes[-1]
        assert sum("is down" in n for n in notes) == 1
    finally:
        release.set()
        sched.stop()


class Echo:
    def handle(self, env: Envelope) -> Reply:
        return Reply(text="ok")


def test_telegram_fake_killed_and_brought_back(tmp_path: Path) -> None:
    from adapters.channels.telegram import TelegramChannel

    api = FakeTelegramAPI().start()
    port = int(api.url.rsplit(":", 1)[1])
    channel = TelegramChannel(ChannelSettings(telegram_token=api.token, telegram_api_url=api.url,
                                              telegram_allowed_chat_ids=("4242",)), Echo(), poll_timeout_s=1)
    channel.start()
    notes: list[str] = []
    wd = Watchdog(notify=notes.append, on_fatal=lambda r: None, backoff_s=0.2, max_backoff_s=0.5)
    watch_telegram(wd, channel)
    back: FakeTelegramAPI | None = None
    try:
        wd.check_once()
        assert notes == []
        api.kill()  # cut the keep-alive connections too, like a crash
        wait_until(lambda: wd.components["telegram"].restarts == 0 and wd.components["telegram"].attempts >= 2,
                   wd.check_once)
        assert len(notes) == 1 and "telegram (poller) is down" in notes[0]
        back = FakeTelegramAPI(token=api.token, port=port).start()
        wait_until(lambda: any("recovered" in n for n in notes), wd.check_once)
        back.wait_for("/getUpdates")  # polling again against the fake that came back
        assert channel.running and len(notes) == 2 and "telegram recovered" in notes[1]
    finally:
        channel.stop()
        if back is not None:
            back.stop()
