"""One trade, counted once: bootstrap trades never double the paper trades of the same period."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.learning.analyzer import TradeAnalyzer, load_records
from core.learning.learner import Learner
from core.learning.trade_sources import counted_once, source_split
from core.telemetry.db import make_engine
from core.telemetry.models import TradeRow

H4 = 4 * 3_600_000
T0 = 1_704_067_200_000


def _row(i: int, source: str, pair: str = "BTC/USD") -> TradeRow:
    entry = T0 + i * 3 * H4
    r = 1.0 if i % 3 == 0 else -0.5
    return TradeRow(pair=pair, source=source, status="closed", entry_ms=entry, exit_ms=entry + 2 * H4,
                    amount=0.1, entry_price=100.0, exit_price=100.0 + r, stop_price=99.0, initial_risk=0.1,
                    pnl=0.1 * r, r_multiple=r, exit_reason="target" if r > 0 else "stop", atr_pct=0.02,
                    trend_strength=0.5)


def _trial_db() -> Engine:
    """The trial: 66 bootstrap trades, and 16 paper trades replaying the last 16 of them."""
    db = make_engine("sqlite://")
    with Session(db) as s:
        s.add_all([_row(i, "bootstrap") for i in range(66)])
        s.add_all([_row(i, "paper") for i in range(50, 66)])
        s.add_all([_row(i, "bootstrap", "ETH/USD") for i in range(10)])  # no own ETH trades: all count
        s.commit()
    return db


def test_learner_trains_on_each_trade_once_not_66_plus_16() -> None:
    db = _trial_db()
    changes = Learner().relearn(db, now_ms=T0 + 10**9)
    # before the fix: trained_on 92 (= 66 + 16 BTC + 10 ETH); the 16 replayed trades were counted twice
    assert changes["trained_on"] == 76
    assert (changes["trained_on_backtest"], changes["trained_on_own"]) == (60, 16)


def test_analyzer_counts_each_trade_once_and_source_filters_agree() -> None:
    db = _trial_db()
    report = TradeAnalyzer(db).analyze()
    assert report.overall.n == 76
    assert len(load_records(db, sources=["bootstrap"])) == 60
    assert len(load_records(db, sources=["paper"])) == 16
    assert source_split(load_records(db)) == (60, 16)


def test_backtest_trade_still_open_at_the_first_own_entry_is_dropped() -> None:
    recs = load_records(_trial_db())
    btc = [r for r in recs if r.pair == "BTC/USD"]
    first_paper = min(r.entry_ts for r in btc if r.source == "paper")
    assert all(r.exit_ts <= first_paper for r in btc if r.source == "bootstrap")
    assert counted_once(btc) == btc
