"""The incremental record with advanced modules on (core/evidence/plain_record.py with `rules`,
core/kernel/resumable.py) equals the kernel backtest with the same modules run from scratch over
the candles held, at every candle close: mtf, the daily profit target with trading sessions (in a
zone with daylight saving: the sessions' byte per candle is extended with the candles), and both.
Real candles from ../shared/data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from core.domain import ClosedTrade
from core.evidence.plain import plain_run, plain_trades
from core.evidence.plain_record import PlainRecord
from core.kernel.resumable import ResumableRun
from core.market_data.arrays import CandleArrays
from core.market_data.csv_loader import load_arrays
from core.markets.catalog import market_for
from core.strategy.entry_rules import EntryRules
from core.strategy.profit_target import DailyTarget
from core.strategy.risk import RiskConfig
from core.strategy.sessions import Sessions

pytestmark = pytest.mark.usefixtures("compiled_kernel")  # O(n²) re-runs: see conftest.compiled_kernel

TF = "1h"
BERLIN_DAY = Sessions(windows=((7 * 60, 21 * 60),), tz="Europe/Berlin")


def _rules(features: tuple[str, ...], action: str = "breakeven") -> Callable[[], EntryRules]:
    """A fresh rules object per run (the run keeps the daily target's state in it)."""
    return lambda: EntryRules.fixed(TF, features, target=DailyTarget(0.004, action), sessions=BERLIN_DAY)


CASES = (
    ("binance/BINANCE_BTC-USDT_1h.csv", "BTC/USDT", 0, 1400, ("mtf",), "breakeven"),
    ("binance/BINANCE_ETH-USDT_1h.csv", "ETH/USDT", 3500, 1400, ("profit_target",), "flatten"),  # over DST, 27 Mar
    ("kraken/KRAKEN_ETH-USD_1h.csv", "ETH/USD", 2000, 1400, ("mtf", "profit_target"), "breakeven"),
)


def _slice(data_dir: Path, name: str, first: int, count: int) -> CandleArrays:
    a = load_arrays(data_dir / name)
    assert len(a) >= first + count, name
    return CandleArrays(*(np.ascontiguousarray(x[first:first + count]) for x in (a.ts, a.open, a.high, a.low, a.close)))


@pytest.mark.parametrize(("name", "pair", "first", "count", "features", "action"), CASES)
def test_the_module_record_extended_candle_by_candle_equals_the_backtest_with_those_modules(  # noqa: PLR0913
        data_dir: Path, name: str, pair: str, first: int, count: int, features: tuple[str, ...], action: str) -> None:
    arrays, market = _slice(data_dir, name, first, count), market_for(pair)
    rules = _rules(features, action)
    record = PlainRecord(pair, TF, rules=rules)
    resumable = ResumableRun(pair, TF, market, RiskConfig(), 10_000.0, rules())
    so_far: list[ClosedTrade] = []
    for n in range(1, count + 1):
        held = arrays.head(n)
        fresh = plain_run(pair, TF, market, held, rules=rules())
        so_far += resumable.closed(held)
        assert so_far == fresh, n  # every field of every trade
        if n % 10 == 0 or n == count:
            assert record.trades(market, held) == plain_trades(pair, TF, market, held, rules=rules()), n
    plain = plain_run(pair, TF, market, arrays)
    assert len(so_far) >= 5 and so_far != plain  # the modules trade, and differently from the plain strategy
