"""Analyzer statistics on a hand-computed sample, from records and from the trades table."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from core.domain import ClosedTrade
from core.learning.analyzer import TradeAnalyzer, from_closed_trade
from core.telemetry.db import make_engine
from core.telemetry.models import TradeRow

from .helpers import MONDAY, SAMPLE, H, record


def test_overall_statistics_by_hand() -> None:
    rep = TradeAnalyzer().analyze(SAMPLE)
    o = rep.overall
    assert (o.n, o.wins) == (5, 3)
    assert o.win_rate == pytest.approx(0.6)
    assert o.win_ci == pytest.approx((0.2307, 0.8824), abs=1e-4)
    assert o.profit_factor == pytest.approx(500 / 200)
    assert o.expectancy_r == pytest.approx(0.6)
    assert o.avg_win == pytest.approx(500 / 3) and o.avg_loss == pytest.approx(-100)
    assert o.max_drawdown == pytest.approx(100)  # 200 -> 100
    assert o.avg_holding_hours == pytest.approx(12)
    assert o.small_sample


def test_groups_cover_every_dimension() -> None:
    rep = TradeAnalyzer().analyze(SAMPLE)
    assert set(rep.groups) == {
        "pair",
        "session",
        "weekday",
        "hour_bucket",
        "vol_regime",
        "trend",
        "exit_reason",
    }
    assert rep.group("weekday", "Tuesday") is not None
    stop = rep.group("exit_reason", "stop")
    assert stop is not None and (stop.n, stop.wins, stop.profit_factor, stop.expectancy_r) == (
        2,
        0,
        0.0,
        -1.0,
    )
    assert sum(g.n for g in rep.groups["vol_regime"]) == 5
    assert rep.to_dict()["overall"]["n"] == 5  # type: ignore[index]


def test_no_loss_profit_factor_is_none() -> None:
    rep = TradeAnalyzer().analyze([record(MONDAY, 1.0), record(MONDAY + 4 * H, 2.0)])
    assert rep.overall.profit_factor is None and rep.overall.wins == rep.overall.n == 2


def test_records_from_db_and_from_backtest_agree() -> None:
    t = ClosedTrade(
        "ETH/USD",
        MONDAY,
        MONDAY + 8 * H,
        1.0,
        100.0,
        110.0,
        95.0,
        115.0,
        0.5,
        9.5,
        1.9,
        "target",
        atr=3.0,
        sma=98.0,
        signal_close=99.0,
    )
    rec = from_closed_trade(t)
    assert rec.atr_pct == pytest.approx(3 / 99) and rec.trend_strength == pytest.approx(1 / 3)
    db = make_engine("sqlite://")
    with Session(db) as s:
        s.add(
            TradeRow(
                pair="ETH/USD",
                source="live",
                status="closed",
                entry_ms=MONDAY,
                exit_ms=MONDAY + 8 * H,
                entry_price=100.0,
                pnl=9.5,
                initial_risk=5.0,
                fees=0.5,
                exit_reason="target",
                atr=3.0,
                atr_pct=3 / 99,
                trend_strength=1 / 3,
            )
        )
        s.add(TradeRow(pair="ETH/USD", status="open", entry_ms=MONDAY))
        s.commit()
    recs = TradeAnalyzer(db).records()
    assert len(recs) == 1 and recs[0].r == pytest.approx(1.9) and recs[0].source == "live"
