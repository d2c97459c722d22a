"""Daily profit target and trading sessions: the rules, and the backtest applying them."""

from __future__ import annotations

import pytest

from core.domain import Candle, UserError
from core.markets.catalog import market_for
from core.research.backtest import Backtester
from core.strategy.entry_rules import EntryRules
from core.strategy.profit_target import DailyTarget, breakeven_stop, parse_pct
from core.strategy.sessions import parse_sessions

H = 3_600_000
DAY = 24 * H


def test_target_is_reached_once_per_utc_day_from_the_day_start_equity() -> None:
    t = DailyTarget(0.02)
    assert not t.on_close(10 * H, 10_150.0, 10_000.0)
    assert t.on_close(11 * H, 10_200.0, 10_000.0)
    assert t.reached(23 * H) and not t.reached(DAY)
    assert not t.on_close(12 * H, 10_400.0, 10_000.0)  # told once
    assert t.on_close(DAY + H, 10_600.0, 10_390.0)  # a new day, a new start


def test_percentages_and_bad_values() -> None:
    assert parse_pct("2%") == pytest.approx(0.02) and parse_pct(" 0.5 %") == pytest.approx(0.005)
    for bad in ("0", "-1%", "abc", "101%", "nan"):
        with pytest.raises(UserError):
            parse_pct(bad)
    with pytest.raises(UserError):
        DailyTarget(0.02, "sell-everything")


def test_breakeven_stop_returns_the_entry_cost_with_both_fees() -> None:
    stop = breakeven_stop(100.0, 0.0026)
    assert stop * (1 - 0.0026) == pytest.approx(100.0 * 1.0026)


def test_sessions_are_half_open_windows_and_may_wrap_midnight() -> None:
    s = parse_sessions("07:00-21:00")
    assert s.open_at(7 * H) and s.open_at(20 * H + 59 * 60_000) and not s.open_at(21 * H)
    night = parse_sessions("22:00-02:00")
    assert night.open_at(23 * H) and night.open_at(DAY + H) and not night.open_at(12 * H)
    assert parse_sessions("").always and parse_sessions("").open_at(3 * H)
    berlin = parse_sessions("07:00-21:00", "Europe/Berlin")  # 06:00 UTC in January is 07:00 there
    assert berlin.open_at(6 * H) and not parse_sessions("07:00-21:00").open_at(6 * H)
    for bad in ("7-21", "25:00-26:00", "07:00-07:00", "07:00"):
        with pytest.raises(UserError):
            parse_sessions(bad)


def _day_of_swings() -> list[Candle]:
    """Hourly candles: a warm-up, then repeated dips and recoveries that make SMA20 cross-ups."""
    out: list[Candle] = []
    price = 100.0
    for i in range(24 * 12):
        phase = i % 12
        price = price * (0.99 if phase < 6 else 1.012)
        out.append(Candle(i * H, price, price * 1.004, price * 0.996, price, 10.0))
    return out


def test_backtest_profit_target_stops_entries_for_the_rest_of_the_day() -> None:
    candles = _day_of_swings()
    market = market_for("BTC/USD")
    base = Backtester("BTC/USD", "1h", market, keep_decisions=True).run(candles)
    rules = EntryRules.fixed("1h", ["profit_target"], target=DailyTarget(0.0001, "hold"))
    run = Backtester("BTC/USD", "1h", market, keep_decisions=True, rules=rules).run(candles)
    blocked = [d for d in run.decisions if "daily profit target reached" in d.reason]
    assert base.trades and blocked
    days_blocked = {d.ts // DAY for d in blocked}
    for t in run.trades:  # no trade was entered on a day after its target had been reached
        day_first_block = min((d.ts for d in blocked if d.ts // DAY == t.entry_ts // DAY), default=None)
        assert day_first_block is None or t.entry_ts <= day_first_block
    assert days_blocked


def test_backtest_sessions_limit_entries_to_the_window() -> None:
    candles = _day_of_swings()
    sessions = parse_sessions("07:00-12:00")
    rules = EntryRules.fixed("1h", ["profit_target"], target=DailyTarget(0.5), sessions=sessions)
    run = Backtester("BTC/USD", "1h", market_for("BTC/USD"), keep_decisions=True, rules=rules).run(candles)
    assert run.trades
    assert all(sessions.open_at(t.entry_ts) for t in run.trades)
    assert any("outside the trading sessions" in d.reason for d in run.decisions)


def test_flatten_action_exits_at_the_next_open_with_its_own_reason() -> None:
    candles = _day_of_swings()
    rules = EntryRules.fixed("1h", ["profit_target"], target=DailyTarget(0.0005, "flatten"))
    run = Backtester("BTC/USD", "1h", market_for("BTC/USD"), rules=rules).run(candles)
    assert any(t.reason == "profit_target" for t in run.trades)


def test_switched_off_the_rules_change_nothing() -> None:
    candles = _day_of_swings()
    market = market_for("BTC/USD")
    base = Backtester("BTC/USD", "1h", market).run(candles)
    off = Backtester("BTC/USD", "1h", market, rules=EntryRules.fixed("1h", [])).run(candles)
    assert [t.pnl for t in off.trades] == [t.pnl for t in base.trades]
