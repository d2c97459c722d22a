"""Issues 17.8 and 22.11: replay is a clock, not a shortcut. In a replay the nightly learning, the
learning check, the daily summary and the weekly report run at their times on the SIMULATED
clock, and the weekly report goes out on every alert channel — SMS included, through the real
twilio client against a loopback Twilio. Built by the real composition root on real candles.

ZYN_EVIDENCE=off: the autopilot trades the plain strategy here (the evidence gate is not what
this test is about), so the learning has trades to see."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.settings import load_settings  # the channel blocks (SMS) are parsed here (issue 18)
from bot.wiring.app import Zyn, build_zyn
from scheduler.sim_time import walk_with_jobs
from tests.fakes.twilio_api import FakeTwilioAPI

DAY = 86_400_000
OWNER_PHONE = "+15550001"


@pytest.fixture
def replay(tmp_path: Path, data_dir: Path) -> Iterator[tuple[Zyn, FakeTwilioAPI]]:
    tw = FakeTwilioAPI().start()
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay",
        "PAPER_DATA": str(data_dir / "kraken"), "PAPER_SPEED": "36000", "ZYN_TIMEFRAME": "4h",
        "ZYN_EVIDENCE": "off", "TWILIO_ACCOUNT_SID": tw.account_sid, "TWILIO_AUTH_TOKEN": tw.auth_token,
        "TWILIO_FROM_NUMBER": "+15559990000", "TWILIO_API_URL": tw.url, "SMS_ALLOWED_NUMBERS": OWNER_PHONE,
        "SMS_ALERT_TO": OWNER_PHONE,
    }
    zyn = build_zyn(load_settings(env))
    try:
        yield zyn, tw
    finally:
        zyn.close()
        tw.stop()


def test_learning_and_reports_run_on_the_simulated_clock_and_the_weekly_report_reaches_sms(
    replay: tuple[Zyn, FakeTwilioAPI],
) -> None:
    zyn, tw = replay
    names = {j.name for j in zyn.scheduler.jobs}
    assert not names & {"nightly_learn", "learning_check", "reports"}  # no wall-clock copies in a replay
    schedule = zyn.scheduler.sim
    assert schedule is not None
    start = zyn.replay.start_ms()
    zyn.replay.step(start + 20 * DAY)  # warm: prices, indicators, a few trades
    now = zyn.clock.now_ms()
    ran = walk_with_jobs(zyn.replay.step, schedule, now, now + 9 * DAY)
    assert zyn.clock.now_ms() == now + 9 * DAY
    assert ran.count("nightly_learn") == 9 and ran.count("learning_check") == 9
    switch = zyn.kv.get_json("learning_switch") or {}
    assert switch, "the learning check stored its verdict"
    zyn.notifier.flush()
    bodies = [m["body"] for m in tw.sent if m["to"] == OWNER_PHONE]
    sundays = {
        d for d in range(now // DAY + 1, (now + 9 * DAY) // DAY + 1)
        if datetime.fromtimestamp(d * 86_400, tz=UTC).weekday() == 6
    }
    weekly = [b for b in bodies if "the last 7 days" in b]
    daily = [b for b in bodies if "closed today" in b]
    assert len(weekly) == len(sundays) >= 1  # every simulated Sunday at 20:00, by SMS
    assert 8 <= len(daily) <= 9  # every simulated evening


class _EndedReplay:
    """A replay driver whose candles are over (only what the replay job calls)."""

    done = True

    def __init__(self, clock: object) -> None:
        self.clock, self.steps = clock, []

    def step(self, until_ms: int) -> int:
        self.steps.append(until_ms)
        self.clock.set(until_ms)  # type: ignore[attr-defined]
        return 0


def test_after_the_last_candle_the_simulated_jobs_stop_no_report_every_two_seconds(tmp_path: Path) -> None:
    import time

    from bot.wiring.jobs import _ReplayJob
    from core.clock import SimClock
    from core.telemetry.db import make_engine
    from core.telemetry.kv import KeyValueStore
    from scheduler.sim_time import SimJob, SimSchedule, every_ms

    clock = SimClock(1_700_000_000_000)
    ran: list[int] = []
    schedule = SimSchedule([SimJob("reports", lambda: ran.append(clock.now_ms()), every_ms(1000))])
    replay = _EndedReplay(clock)
    job = _ReplayJob(replay, KeyValueStore(make_engine(f"sqlite:///{tmp_path}/z.db")), clock, 36000.0,  # type: ignore[arg-type]
                     schedule)
    job()
    time.sleep(0.05)  # 0.05 real s x 36000 = 30 simulated minutes: many due times passed
    job()
    assert replay.steps and clock.now_ms() > 1_700_000_000_000 + 1000
    assert ran == []


class _KilledMidWalk:
    """A replay driver killed (kill -9) while walking: it processed candles up to `until` but never returned."""

    done = False

    def __init__(self, clock: object) -> None:
        self.clock = clock

    def step(self, until_ms: int) -> int:
        raise KeyboardInterrupt("killed mid-walk")


def test_the_replay_clock_saved_before_a_walk_is_never_behind_what_the_walk_wrote(tmp_path: Path) -> None:
    """A kill -9 during a replay step: the restart resumes from the saved clock. It used to be saved
    every 5 real seconds (50 simulated hours at PAPER_SPEED=36000), so the restarted replay went back
    in time behind its own fills and trades (bench/owner_day.py). Now the step's target is saved
    before the walk: nothing written by the walk is later than the clock a restart resumes from."""
    import time

    from bot.wiring.jobs import _ReplayJob
    from bot.wiring.market import REPLAY_CLOCK_KEY
    from core.clock import SimClock
    from core.telemetry.db import make_engine
    from core.telemetry.kv import KeyValueStore
    from scheduler.sim_time import SimSchedule

    start = 1_700_000_000_000
    clock = SimClock(start)
    kv = KeyValueStore(make_engine(f"sqlite:///{tmp_path}/z.db"))
    job = _ReplayJob(_KilledMidWalk(clock), kv, clock, 36000.0, SimSchedule([]))  # type: ignore[arg-type]
    job._last = time.monotonic() - 1.0  # one real second since the last step: 10 simulated hours to walk
    with pytest.raises(KeyboardInterrupt):
        job()
    saved = int(kv.get(REPLAY_CLOCK_KEY) or 0)
    assert saved >= start + 10 * 3_600_000  # the walk's target, saved before it began
