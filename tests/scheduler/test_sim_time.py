"""Jobs on the simulated clock (scheduler/sim_time.py): due at their simulated times, run in order
in the middle of a walk, a failing one reported and kept for its next time."""

from __future__ import annotations

from datetime import UTC, datetime

from scheduler.sim_time import SimJob, SimSchedule, daily_at_ms, every_ms, walk_with_jobs

DAY = 86_400_000
T0 = int(datetime(2024, 3, 1, 12, 0, tzinfo=UTC).timestamp() * 1000)


def test_daily_and_aligned_periods_give_the_next_time_strictly_after() -> None:
    at_0230 = daily_at_ms(2, 30)
    assert at_0230(T0) == T0 + 14 * 3_600_000 + 30 * 60_000  # 02:30 tomorrow
    assert at_0230(at_0230(T0)) == at_0230(T0) + DAY
    assert daily_at_ms(20, 0, "Europe/Berlin")(T0) == T0 + 7 * 3_600_000  # 20:00 CET = 19:00 UTC
    assert every_ms(900_000)(T0 + 1) == T0 + 900_000


def test_a_walk_stops_at_each_due_time_runs_the_jobs_there_and_reports_a_failure() -> None:
    steps: list[int] = []
    seen: list[tuple[str, int]] = []
    errors: list[tuple[str, str]] = []
    now = [T0]

    def step(t: int) -> None:
        steps.append(t)
        now[0] = t

    def boom() -> None:
        raise RuntimeError("learning failed")

    schedule = SimSchedule(
        [SimJob("learn", lambda: seen.append(("learn", now[0])), daily_at_ms(2, 30)),
         SimJob("check", boom, daily_at_ms(3, 0))],
        on_error=lambda name, line: errors.append((name, line)),
    )
    ran = walk_with_jobs(step, schedule, T0, T0 + 2 * DAY)
    first = daily_at_ms(2, 30)(T0)
    assert seen == [("learn", first), ("learn", first + DAY)]  # at its simulated time, in the walk
    assert ran == ["learn", "check", "learn", "check"]
    assert steps == [first, first + 1_800_000, first + DAY, first + DAY + 1_800_000, T0 + 2 * DAY]
    assert errors == [("check", "RuntimeError: learning failed")] * 2  # reported, still scheduled
    assert schedule.runs == {"learn": 2}
