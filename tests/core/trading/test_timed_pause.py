"""A timed pause ("pause until tomorrow", issue 22.8): its end survives a restart, refuses buys
meanwhile, and `resume_if_due` lifts it only once its time has come (and tells the owner through a
typed `TradingResumed(timed=True)`).
Runs without a database (MemoryExchange + FakeUnitOfWork: the pause lives in the fake's kv)."""

from __future__ import annotations

from core.domain import Candle
from core.trading.autopilot import Autopilot
from core.trading.events import TradingResumed
from core.trading.state import TradingState
from tests.core.trading.fakes import Heard
from tests.core.trading.helpers import build_fake_stack

T0 = 1_700_000_000_000
HOUR = 3_600_000


def test_a_timed_pause_ends_at_its_time_and_says_so() -> None:
    stack = build_fake_stack(("BTC/USD",), start_ms=T0)
    heard = Heard(stack.service.bus, TradingResumed)
    stack.service.pause("owner asked", T0 + 2 * HOUR)
    assert stack.service.paused_until_ms == T0 + 2 * HOUR

    assert stack.service.resume_if_due(T0 + HOUR) is None  # not yet
    assert stack.service.paused_reason == "owner asked"

    result = stack.service.resume_if_due(T0 + 2 * HOUR)
    assert result is not None and result.ok
    assert stack.service.paused_reason is None and stack.service.paused_until_ms is None
    assert heard.events == [TradingResumed("owner asked", False, timed=True)]  # the owner's alert is made of it
    assert stack.service.resume_if_due(T0 + 3 * HOUR) is None  # nothing left to end


def test_the_end_of_a_pause_is_kept_across_a_restart_and_an_open_pause_has_none() -> None:
    stack = build_fake_stack(("BTC/USD",), start_ms=T0)
    stack.service.pause("owner asked", T0 + HOUR)
    again = TradingState(stack.uow.kv)  # what a restart reads back
    assert (again.paused_reason, again.paused_until_ms) == ("owner asked", T0 + HOUR)

    stack.service.pause("no end")
    assert stack.service.paused_until_ms is None
    assert stack.service.resume_if_due(T0 + 100 * HOUR) is None and stack.service.paused_reason == "no end"


def test_the_autopilot_decides_unpaused_at_the_first_close_after_the_end() -> None:
    """In a fast replay the scheduler's job may run hours of simulated time late; the candle close
    itself ends the pause, so no signal after the end is ignored."""
    stack = build_fake_stack(("BTC/USD",), start_ms=T0)
    stack.exchange.set_price("BTC/USD", 100, T0)
    autopilot = Autopilot(stack.service, timeframe="1h")
    stack.service.pause("owner asked", T0 + 30 * HOUR)
    history = [Candle(T0 + i * HOUR, 100.0, 101.0, 99.0, 100.0, 1.0) for i in range(30)]
    row = autopilot.tick("BTC/USD", history)  # closes at T0 + 30 h: the end
    assert stack.service.paused_reason is None and "paused" not in row.reason
    stack.service.pause("again", T0 + 40 * HOUR)
    autopilot.tick("BTC/USD", [*history, Candle(T0 + 30 * HOUR, 100.0, 101.0, 99.0, 100.0, 1.0)])
    assert stack.service.paused_reason == "again"
