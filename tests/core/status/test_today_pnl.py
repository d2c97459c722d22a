"""Issue 22.2: one definition of today's P&L — equity now minus equity at 00:00 UTC — shown as
`pnl.today` and `kill_switch.daily_pnl` alike (chat `status` and `kill switch` read those)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from core.clock import SimClock
from core.status.service import StatusService
from core.strategy.daily_loss import DAY_MS, DailyLossGuard
from core.telemetry.db import make_engine
from tests.fakes.memory_exchange import MemoryExchange

NOON = int(datetime(2024, 1, 10, 12, tzinfo=UTC).timestamp() * 1000)
MIDNIGHT = NOON - NOON % DAY_MS


def test_pnl_today_and_the_kill_switchs_daily_pnl_are_one_figure_equity_now_minus_the_days_open(
    tmp_path: Path,
) -> None:
    clock = SimClock(NOON)
    ex = MemoryExchange({"USD": "1000", "BTC": "0.5"}, clock=clock)
    ex.set_price("BTC/USD", "42000")  # equity 22,000
    guard = DailyLossGuard(start_equity=23000.0)
    guard.on_close(MIDNIGHT - 4 * 3_600_000, 22500.0)  # yesterday's last close: today's open
    guard.on_close(MIDNIGHT + 4 * 3_600_000, 22100.0)  # today's first close (4 h candles)
    status = StatusService(
        ex, clock, make_engine(f"sqlite:///{tmp_path}/t.db"), "paper", ["BTC/USD"], dict, dict,
        kill_switch_state=lambda: {"tripped": False, "daily_pnl": guard.daily_pnl(), "limit": 0.03},
        day_open_equity=guard.day_open_equity,
    )
    snap = status.snapshot()
    assert snap["equity_usd"] == 22000.0
    assert snap["pnl"]["today"] == snap["kill_switch"]["daily_pnl"] == -500.0  # 22,000 - 22,500
    assert status.pnl("today") == -500.0


def test_the_days_open_equity_is_kept_through_a_resume_and_known_before_the_days_first_close() -> None:
    guard = DailyLossGuard(start_equity=10000.0, limit=0.03)
    assert guard.day_open_equity(NOON) == 10000.0  # the first day: the starting equity
    assert guard.on_close(MIDNIGHT + 3_600_000, 9800.0) is False
    assert guard.on_close(MIDNIGHT + 2 * 3_600_000, 9650.0) is True  # 9,650 <= 0.97 x 10,000
    guard.resume()  # the trip baseline moves; the day's open does not
    assert guard.start_equity == 9650.0 and guard.day_open_equity(NOON) == 10000.0
    assert guard.daily_pnl() == -350.0
    assert guard.day_open_equity(NOON + DAY_MS) == 9650.0  # tomorrow before its first close
    restored = DailyLossGuard.from_dict(guard.to_dict())
    assert restored.day_open_equity(NOON) == 10000.0
