"""The daily-loss guard decides on exact Decimal equity (issue 18.7): values where a binary
float and the account's decimal money disagree at the cent or below trip (or not) as the money
says, and the guard's state survives its kv row exactly."""

from __future__ import annotations

import json
from decimal import Decimal

from core.strategy.daily_loss import DAY_MS, DailyLossGuard, cents

DAY0 = 19_700 * DAY_MS


def test_equity_exactly_at_the_limit_trips_where_float_arithmetic_would_not() -> None:
    start, equity = Decimal("10000.05"), Decimal("9700.0485")  # exactly 97 % of the start
    assert not float(equity) <= (1.0 - 0.03) * float(start)  # the float threshold is 9700.048499999999
    guard = DailyLossGuard(limit=0.03, start_equity=start)
    assert guard.threshold() == equity
    assert guard.on_close(DAY0 + 3_600_000, equity) is True
    assert guard.halted(DAY0 + 7_200_000)


def test_a_hundredth_of_a_cent_above_the_limit_does_not_trip() -> None:
    guard = DailyLossGuard(limit=0.03, start_equity=Decimal("10000.05"))
    assert guard.on_close(DAY0 + 3_600_000, Decimal("9700.0486")) is False
    assert not guard.halted(DAY0 + 3_600_000)


def test_daily_pnl_rounds_half_up_at_the_cent_on_decimals() -> None:
    guard = DailyLossGuard(limit=0.03, start_equity=Decimal("10000.00"))
    guard.on_close(DAY0 + 3_600_000, Decimal("10000.00"))
    guard.on_close(DAY0 + 7_200_000, Decimal("10002.675"))
    assert guard.daily_pnl() == Decimal("2.675")
    assert cents(guard.daily_pnl()) == 2.68
    assert round(10002.675 - 10000.0, 2) == 2.67  # what the float path said


def test_the_kv_row_keeps_the_equity_exact_and_reads_rows_written_with_floats() -> None:
    guard = DailyLossGuard(limit=0.03, start_equity=Decimal("10000.05"))
    guard.on_close(DAY0 + 3_600_000, Decimal("9999.995"))
    back = DailyLossGuard.from_dict(json.loads(json.dumps(guard.to_dict())))
    assert (back.start_equity, back.last_equity, back.day_open) == (
        Decimal("10000.05"), Decimal("9999.995"), Decimal("10000.05"),
    )
    old = DailyLossGuard.from_dict({"limit": 0.03, "day": 19700, "start_equity": 10000.1, "last_equity": 9700.1})
    assert old.start_equity == Decimal("10000.1") and old.last_equity == Decimal("9700.1")


def test_a_new_day_starts_from_the_last_close_of_the_previous_one() -> None:
    guard = DailyLossGuard(limit=0.03, start_equity=Decimal("10000"))
    guard.on_close(DAY0 + 3_600_000, Decimal("10100.10"))
    assert guard.on_close(DAY0 + DAY_MS + 3_600_000, Decimal("9797.097")) is True  # 97 % of 10,100.10
