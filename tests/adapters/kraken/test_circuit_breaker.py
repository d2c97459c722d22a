"""CircuitBreaker state machine on a SimClock."""

from __future__ import annotations

from core.clock import SimClock
from core.trading.circuit_breaker import CircuitBreaker


def test_opens_after_threshold_and_half_opens_after_timeout() -> None:
    clock = SimClock(0)
    b = CircuitBreaker(clock, failure_threshold=3, reset_timeout_s=10)
    for _ in range(2):
        b.record_failure()
    assert b.snapshot()["state"] == "closed" and b.allow()
    b.record_failure()
    assert b.snapshot() == {"state": "open", "failures": 3}
    assert not b.allow()
    clock.advance(9_999)
    assert not b.allow()
    clock.advance(1)
    assert b.state == "half_open"
    assert b.allow() and not b.allow()  # exactly one probe at a time
    b.record_success()
    assert b.snapshot() == {"state": "closed", "failures": 0} and b.allow()


def test_failed_probe_reopens_for_a_full_timeout() -> None:
    clock = SimClock(0)
    changes: list[tuple[str, str]] = []
    b = CircuitBreaker(
        clock, failure_threshold=1, reset_timeout_s=5, on_change=lambda o, n: changes.append((o, n))
    )
    b.record_failure()
    clock.advance(5_000)
    assert b.allow()
    b.record_failure()
    assert b.state == "open"
    clock.advance(4_000)
    assert not b.allow()
    clock.advance(1_000)
    assert b.allow()
    assert changes == [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "open"),
        ("open", "half_open"),
    ]


def test_success_resets_the_count() -> None:
    b = CircuitBreaker(SimClock(0), failure_threshold=2)
    b.record_failure()
    b.record_success()
    b.record_failure()
    assert b.state == "closed" and b.failures == 1
