"""The Strategy port: strategies are chosen by name, and a second strategy (a toy, tests only)
trades the same candles in the backtest and in the paper replay without an edit to either."""

from __future__ import annotations

import pytest

from core.config import load_settings
from core.domain import Market, UserError
from core.kernel.strategies import strategy_named
from core.market_data.csv_loader import load_csv
from core.research.backtest import Backtester
from core.strategy.pinned import Sma20Atr
from core.trading.replay import ReplayDriver
from tests.core.trading.helpers import build_stack, shared_data
from tests.fakes.toy_strategy import EveryNth

PAIR = "BTC/USD"


def test_the_pinned_strategy_is_the_default_and_is_chosen_by_name() -> None:
    assert load_settings({}).strategy == "sma20_atr"
    assert isinstance(strategy_named(load_settings({"ZYN_STRATEGY": "SMA20_ATR"}).strategy), Sma20Atr)


def test_an_unknown_strategy_name_is_one_line() -> None:
    with pytest.raises(UserError, match=r"ZYN_STRATEGY='nope' must be one of sma20_atr$"):
        load_settings({"ZYN_STRATEGY": "nope"})
    with pytest.raises(UserError, match="unknown strategy 'nope'; known: sma20_atr"):
        strategy_named("nope")


def test_a_second_strategy_trades_the_same_candles_in_backtest_and_replay() -> None:
    path = shared_data() / "kraken" / "KRAKEN_BTC-USD_1h.csv"
    if not path.is_file():
        pytest.skip(f"no shared data at {path} (set ZYN_SHARED_DATA)")
    candles = load_csv(path)[:600]
    market = Market(PAIR, "BTC", "USD", lot_decimals=8, pair_decimals=16)
    expected = Backtester(PAIR, "1h", market, strategy=EveryNth()).run(candles).trades
    stack = build_stack({PAIR: market}, start_ms=candles[0].ts, strategy=EveryNth())
    ReplayDriver(stack.exchange, stack.autopilot, stack.clock, {PAIR: ("1h", candles)},
                 trading=stack.service).run_to_end()
    got = stack.service.journal.closed_trades(PAIR)
    assert len(expected) >= 10
    assert [(r.entry_ms, r.exit_reason) for r in got] == [(t.entry_ts, t.reason) for t in expected]
    assert [r.amount for r in got] == [t.amount for t in expected]
