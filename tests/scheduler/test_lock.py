"""One scheduler per database: a second process's lock is refused while the lease is live."""

import os
from pathlib import Path

import pytest

from core.clock import SimClock
from core.telemetry.db import make_engine
from scheduler.lock import SchedulerLock
from scheduler.runner import JobSpec, ZynScheduler, every
from tests.pg import pg_url

URLS = ["sqlite"] + (["postgres"] if os.environ.get("ZYN_TEST_POSTGRES_URL") else [])


@pytest.fixture(params=URLS)
def db(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        return make_engine(f"sqlite:///{tmp_path}/lock.db")
    engine = make_engine(pg_url())  # this worker's database (tests/pg.py)
    from sqlmodel import Session, delete

    from core.telemetry.models import SchedulerLockRow

    with Session(engine) as s:
        s.exec(delete(SchedulerLockRow))  # type: ignore[call-overload]
        s.commit()
    return engine


def test_second_holder_is_refused_until_the_lease_expires(db) -> None:  # type: ignore[no-untyped-def]
    clock = SimClock(1_700_000_000_000)
    a, b = SchedulerLock(db, clock, lease_s=90), SchedulerLock(db, clock, lease_s=90)
    assert a.acquire() and a.held()
    assert not b.acquire()
    clock.advance(60_000)
    assert a.acquire() and not b.acquire()  # renewed
    clock.advance(91_000)
    assert b.acquire() and not a.held()  # a crashed holder's lease expired


def test_jobs_run_only_in_the_lock_owner(db) -> None:  # type: ignore[no-untyped-def]
    clock = SimClock(1_700_000_000_000)
    ran: list[str] = []
    first = ZynScheduler(SchedulerLock(db, clock), [JobSpec("tick", lambda: ran.append("first"), every(3600))])
    second = ZynScheduler(SchedulerLock(db, clock), [JobSpec("tick", lambda: ran.append("second"), every(3600))])
    first.run_now("tick")
    second.run_now("tick")
    assert ran == ["first"]


def test_failing_job_is_recorded_not_raised(tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path}/x.db")

    def boom() -> None:
        raise RuntimeError("exchange down")

    sched = ZynScheduler(SchedulerLock(db, SimClock(0)), [JobSpec("boom", boom, every(3600))])
    sched.run_now("boom")
    assert "exchange down" in sched.state()["errors"]["boom"]


def test_live_holder_tells_other_processes_who_runs_the_scheduler(db) -> None:  # type: ignore[no-untyped-def]
    from scheduler.lock import live_holder

    clock = SimClock(1_700_000_000_000)
    assert live_holder(db, clock) is None
    lock = SchedulerLock(db, clock, lease_s=90)
    lock.acquire()
    assert live_holder(db, clock) == lock.holder
    clock.advance(91_000)
    assert live_holder(db, clock) is None


def test_the_fence_refuses_a_holder_whose_lease_another_process_took(db) -> None:  # type: ignore[no-untyped-def]
    """Issue 19.4: a frozen owner that resumes after a takeover is refused by the database."""
    from core.domain import LeaseLost

    clock = SimClock(1_700_000_000_000)
    a, b = SchedulerLock(db, clock, lease_s=30), SchedulerLock(db, clock, lease_s=30)
    assert a.acquire()
    a.fence()  # the owner: accepted
    clock.advance(31_000)  # a is frozen past its lease ...
    with pytest.raises(LeaseLost):
        a.fence()  # ... an expired lease proves nothing, even before anyone took it
    assert b.acquire()
    b.fence()
    with pytest.raises(LeaseLost, match="no longer holds the lease"):
        a.fence()


def test_a_holder_whose_process_is_gone_on_this_host_is_taken_over_at_once(db) -> None:  # type: ignore[no-untyped-def]
    """Issue 22.5: kill -9 then restart must not wait for the dead holder's lease to run out."""
    import subprocess
    import sys

    from scheduler.lock import live_holder, new_holder, provably_dead

    clock = SimClock(1_700_000_000_000)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        a = SchedulerLock(db, clock, lease_s=90)
        host, _, start, nonce = new_holder().split(":")
        from scheduler.lock import process_start

        a.holder = f"{host}:{child.pid}:{process_start(child.pid) or '-'}:{nonce}"  # the child's id
        assert a.acquire()
        b = SchedulerLock(db, clock, lease_s=90)
        assert not b.acquire() and live_holder(db, clock) == a.holder  # alive: respected
        assert not provably_dead(a.holder)
        assert not provably_dead(f"elsewhere:{child.pid}:{start}:{nonce}")  # another host: never judged
    finally:
        child.kill()
        child.wait()
    assert provably_dead(a.holder)
    assert live_holder(db, clock) is None  # clients no longer forward to it
    assert b.acquire() and b.held()  # ... and the lease is taken at once (no clock advance)
    assert provably_dead(f"{host}:{os.getppid()}:not-its-start:{nonce}")  # the pid reused by another process
