"""FIFO P&L cases computed by hand (numbers in the comments)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.clock import SimClock
from core.domain import Fill
from core.status.pnl import compute_pnl, match_fifo, period_starts


def ms(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> int:
    return int(datetime(y, mo, d, h, mi, s, tzinfo=UTC).timestamp() * 1000)


_n = 0


def fill(side: str, amount: str, price: str, fee: str = "0", ts: int = 0, order: str | None = None,
         pair: str = "BTC/USD") -> Fill:
    global _n
    _n += 1
    return Fill(f"T{_n}", order or f"O{_n}", pair, side, Decimal(amount), Decimal(price),  # type: ignore[arg-type]
                Decimal(fee), ts)


NOW = ms(2024, 1, 10, 12)  # Wednesday; the ISO week began Monday 2024-01-08 00:00 UTC


def test_single_round_trip_charges_both_fees() -> None:
    # cost = 100 + 0.26; proceeds - fee = 110 - 0.286 -> 9.454
    r = compute_pnl([fill("buy", "1", "100", "0.26", 1), fill("sell", "1", "110", "0.286", 2)], NOW)
    assert r.pnl["all_time"] == pytest.approx(9.454)
    assert r.trades == {"count": 1, "wins": 1, "losses": 0, "win_rate": 1.0}
    assert r.open_lots == {}
    t = r.round_trips[0]
    assert (t.entry_price, t.exit_price, t.amount) == (100.0, 110.0, 1.0)
    assert t.fees == pytest.approx(0.546)


def test_multiple_lots_consumed_fifo_with_partial_lot() -> None:
    fills = [
        fill("buy", "1", "100", "1", 1),  # lot A cost 101
        fill("buy", "2", "110", "2", 2),  # lot B cost 222 (111 per unit)
        fill("sell", "2", "120", "2.4", 3),  # A + 1 of B = 212; 240 - 2.4 - 212 = 25.6
        fill("sell", "1", "100", "1", 4),  # rest of B = 111; 100 - 1 - 111 = -12
    ]
    r = compute_pnl(fills, NOW)
    assert r.pnl["all_time"] == pytest.approx(13.6)
    assert [t.pnl for t in r.round_trips] == [pytest.approx(25.6), pytest.approx(-12.0)]
    assert r.trades == {"count": 2, "wins": 1, "losses": 1, "win_rate": 0.5}
    assert r.round_trips[0].entry_price == pytest.approx(105.0)  # (100 + 110) / 2
    assert r.round_trips[0].entry_ms == 1
    assert r.open_lots == {}


def test_partial_fills_of_one_sell_order_are_one_trade() -> None:
    # 60 - 0.6 - 50 = 9.4 and 61 - 0.61 - 50 = 10.39 -> 19.79, one trade exiting at 121
    fills = [
        fill("buy", "1", "100", "0", 1),
        fill("sell", "0.5", "120", "0.6", 2, order="S1"),
        fill("sell", "0.5", "122", "0.61", 3, order="S1"),
    ]
    r = compute_pnl(fills, NOW)
    assert r.trades["count"] == 1
    t = r.round_trips[0]
    assert t.pnl == pytest.approx(19.79)
    assert t.exit_price == pytest.approx(121.0)
    assert t.exit_ms == 3


def test_open_lots_average_entry_and_cost() -> None:
    fills = [
        fill("buy", "1", "100", "1", 1),
        fill("buy", "1", "200", "2", 2),
        fill("sell", "0.5", "150", "0", 3),  # 75 - 50.5 = 24.5
    ]
    r = compute_pnl(fills, NOW)
    lots = r.open_lots["BTC/USD"]
    assert lots.amount == 1.5
    assert lots.entry_price == pytest.approx((0.5 * 100 + 200) / 1.5)
    assert lots.cost == pytest.approx(50.5 + 202)
    assert r.pnl["all_time"] == pytest.approx(24.5)


def test_sell_without_lots_is_unmatched_not_profit() -> None:
    r = compute_pnl([fill("sell", "1", "100", "0.26", 5)], NOW)
    assert r.pnl["all_time"] == 0.0
    assert r.trades == {"count": 0, "wins": 0, "losses": 0, "win_rate": None}
    assert [(u.amount, u.ts_ms) for u in r.unmatched_sells] == [(1.0, 5)]


def test_sell_larger_than_lots_counts_only_the_matched_part() -> None:
    # matched 0.5: proceeds 60, fee 1.2 * 0.5 = 0.6, cost 50 -> 9.4; 0.5 unmatched
    r = compute_pnl([fill("buy", "0.5", "100", "0", 1), fill("sell", "1", "120", "1.2", 2)], NOW)
    assert r.pnl["all_time"] == pytest.approx(9.4)
    assert r.round_trips[0].amount == 0.5
    assert r.unmatched_sells[0].amount == 0.5


def test_pairs_are_matched_separately() -> None:
    fills = [
        fill("buy", "1", "100", ts=1),
        fill("buy", "10", "5", ts=2, pair="ETH/USD"),
        fill("sell", "10", "6", ts=3, pair="ETH/USD"),  # +10
        fill("sell", "1", "90", ts=4),  # -10
    ]
    r = compute_pnl(fills, NOW)
    assert r.by_pair == {"BTC/USD": pytest.approx(-10.0), "ETH/USD": pytest.approx(10.0)}
    assert r.pnl["all_time"] == pytest.approx(0.0)
    assert (r.trades["wins"], r.trades["losses"]) == (1, 1)


def test_break_even_trade_is_a_loss() -> None:
    r = compute_pnl([fill("buy", "1", "100", ts=1), fill("sell", "1", "100", ts=2)], NOW)
    assert r.trades == {"count": 1, "wins": 0, "losses": 1, "win_rate": 0.0}


def test_same_millisecond_buy_is_matched_before_the_sell() -> None:
    r = match_fifo([fill("sell", "1", "110", ts=7), fill("buy", "1", "100", ts=7)])
    assert r.unmatched == []
    assert r.realizations[0].pnl == Decimal("10")


def test_windows_use_utc_day_and_iso_week_of_the_sim_clock() -> None:
    clock = SimClock(NOW)
    fills = [fill("buy", "4", "100", ts=ms(2024, 1, 1))]
    fills += [
        fill("sell", "1", "101", ts=ms(2024, 1, 7, 23, 59, 59) + 999),  # +1, last ms of prev week
        fill("sell", "1", "102", ts=ms(2024, 1, 8)),  # +2, Monday 00:00 = this week
        fill("sell", "1", "104", ts=ms(2024, 1, 9, 23, 59, 59) + 999),  # +4, yesterday
        fill("sell", "1", "108", ts=ms(2024, 1, 10)),  # +8, today 00:00
    ]
    r = compute_pnl(fills, clock.now_ms())
    assert r.pnl == {"today": 8.0, "week": 14.0, "all_time": 15.0}
    clock.set(ms(2024, 1, 14, 23, 59))  # Sunday: still the same ISO week, nothing today
    r = compute_pnl(fills, clock.now_ms())
    assert r.pnl == {"today": 0.0, "week": 14.0, "all_time": 15.0}
    clock.set(ms(2024, 1, 15))  # next Monday 00:00: a new week
    assert compute_pnl(fills, clock.now_ms()).pnl["week"] == 0.0


def test_period_starts() -> None:
    s = period_starts(NOW)
    assert s == {"today": ms(2024, 1, 10), "week": ms(2024, 1, 8), "all_time": None}


def test_zero_and_empty_history() -> None:
    r = compute_pnl([], NOW)
    assert r.pnl == {"today": 0.0, "week": 0.0, "all_time": 0.0}
    assert r.trades["win_rate"] is None
    assert r.round_trips == [] and r.open_lots == {} and r.unmatched_sells == []
