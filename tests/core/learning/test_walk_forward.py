"""Walk-forward on real Kraken candles: the contract's fields, and proof that nothing peeks ahead."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from core.domain import Candle
from core.learning.learner_model import LearnerConfig
from core.learning.walk_forward import run_walk_forward, walk_forward
from core.market_data.csv_loader import load_csv
from core.market_data.resample import resample
from core.markets.catalog import market_for

FIELDS = {
    "pair",
    "timeframe",
    "candles",
    "trades",
    "wins",
    "losses",
    "win_rate",
    "profit_factor",
    "expectancy_r",
    "total_return",
    "max_drawdown",
    "sharpe",
    "final_equity",
    "fees_paid",
    "seconds",
}
# deliberately eager so the learner acts often in a short slice: the leakage tests need decisions
EAGER = LearnerConfig(min_n=8, min_train_trades=20, deny_upper_r=0.3, deny_margin_r=0.0, size_z=1.0)


@pytest.fixture(scope="module")
def btc_4h(request: pytest.FixtureRequest) -> list[Candle]:
    from tests.conftest import shared_data

    path = shared_data() / "kraken" / "KRAKEN_BTC-USD_1h.csv"
    if not path.is_file():
        pytest.fail(f"real candles not found at {path} (set ZYN_SHARED_DATA)")
    return resample(load_csv(Path(path))[:14_000], "1h", "4h")


def test_contract_fields_on_real_candles(btc_4h: list[Candle]) -> None:
    report = run_walk_forward(btc_4h, "BTC/USD", "4h", market_for("BTC/USD"), folds=4)
    assert set(report) == {"baseline", "learned", "folds", "skipped_by_learner"}
    for side in ("baseline", "learned"):
        fields = report[side]
        assert isinstance(fields, dict) and set(fields) == FIELDS
    assert report["folds"] == 4 and isinstance(report["skipped_by_learner"], int)
    json.dumps(report, allow_nan=False)  # strict JSON, no NaN/inf
    print(json.dumps(report, indent=1))


def test_no_decision_used_a_later_candle_or_trade(btc_4h: list[Candle]) -> None:
    res = walk_forward(btc_4h, "BTC/USD", "4h", market_for("BTC/USD"), folds=4, learner_config=EAGER)
    assert res.audit and res.skipped_by_learner > 0  # the learner really decided things
    for a in res.audit:
        assert a.fold_start_ts <= a.candle_ts
        assert a.train_data_until_ms is not None and a.train_data_until_ms < a.fold_start_ts
        assert a.train_last_exit_ts is not None and a.train_last_exit_ts < a.fold_start_ts
    for k, model in enumerate(res.models[1:], start=1):  # later folds know more, never less
        assert model.trained_on >= res.models[k - 1].trained_on


def test_poisoned_future_does_not_change_earlier_decisions(btc_4h: list[Candle]) -> None:
    market = market_for("BTC/USD")
    clean = walk_forward(btc_4h, "BTC/USD", "4h", market, folds=4, learner_config=EAGER)
    cut = len(btc_4h) * 3 // 5  # inside fold 3
    rng = random.Random(7)
    poisoned = btc_4h[:cut] + [_scramble(c, rng) for c in btc_4h[cut:]]
    dirty = walk_forward(poisoned, "BTC/USD", "4h", market, folds=4, learner_config=EAGER)
    cut_ts = btc_4h[cut].ts
    before = [a for a in clean.audit if a.candle_ts < cut_ts]
    assert before and before == [a for a in dirty.audit if a.candle_ts < cut_ts]
    for m_clean, m_dirty in zip(clean.models, dirty.models, strict=True):
        if m_clean.data_until_ms is not None and m_clean.data_until_ms < cut_ts:
            assert m_clean.to_json() == m_dirty.to_json()
    early = [t for t in clean.learned.trades if t.exit_ts < cut_ts]
    assert early == [t for t in dirty.learned.trades if t.exit_ts < cut_ts]
    assert clean.audit != dirty.audit  # the poison did reach the later folds


def _scramble(c: Candle, rng: random.Random) -> Candle:
    f = rng.uniform(0.5, 1.5)
    return replace(
        c,
        open=c.open * f,
        high=c.high * f * 1.2,
        low=c.low * f * 0.8,
        close=c.close * f * rng.uniform(0.9, 1.1),
    )


def test_bootstrap_from_backtest_stores_trades_once_and_learns(btc_4h: list[Candle]) -> None:
    from sqlmodel import Session, func, select

    from core.learning.learner import Learner
    from core.telemetry.db import make_engine
    from core.telemetry.models import TradeRow

    db = make_engine("sqlite://")
    learner = Learner()
    first = learner.bootstrap_from_backtest(db, {"BTC/USD": btc_4h}, "4h")
    again = learner.bootstrap_from_backtest(db, {"BTC/USD": btc_4h}, "4h")
    with Session(db) as s:
        stored = s.exec(select(func.count()).select_from(TradeRow)).one()
    assert first["bootstrapped_trades"] == again["bootstrapped_trades"] == stored > 60
    assert (first["version"], again["version"]) == (1, 2) and Learner.load_latest(db).model.trained_on == stored


def test_bootstrap_trades_take_no_number_from_the_owners_trades(btc_4h: list[Candle]) -> None:
    """Issue 22.9: after `learn` bootstrapped the learner, the owner's next trade is #3 after #2
    (not #71): simulated trades are numbered below every owner trade."""
    from decimal import Decimal

    from sqlmodel import Session, col, select

    from core.learning.learner import Learner
    from core.telemetry.db import make_engine
    from core.telemetry.models import TradeRow

    db = make_engine("sqlite://")
    with Session(db) as s:
        s.add_all([TradeRow(pair="BTC/USD", amount=Decimal("0.01"), entry_price=Decimal(30000)) for _ in range(2)])
        s.commit()
    learner = Learner()
    for _ in range(2):  # a second bootstrap replaces the first's trades, still below the owner's
        learner.bootstrap_from_backtest(db, {"BTC/USD": btc_4h}, "4h")
    with Session(db) as s:
        s.add(TradeRow(pair="BTC/USD", amount=Decimal("0.01"), entry_price=Decimal(31000)))
        s.commit()
        owner = s.exec(select(TradeRow.id).where(TradeRow.source == "paper").order_by(col(TradeRow.id))).all()
        simulated = s.exec(select(TradeRow.id).where(TradeRow.source == "bootstrap")).all()
    assert owner == [1, 2, 3]
    assert simulated and max(i for i in simulated if i is not None) < 0
