"""The resumable run (core/kernel/resumable.py) equals a fresh kernel run at every candle, on the
parity fuzzer's nasty candles: gaps over UTC days (the kill switch's day), limit moves through
stops, flat candles, tiny prices with big lot counts and exchange minimums that bite."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.domain import ClosedTrade, Market
from core.kernel.backtest import KernelBacktester
from core.kernel.resumable import ResumableRun
from core.market_data.arrays import CandleArrays
from core.markets.catalog import market_for
from core.strategy.risk import RiskConfig
from tests.core.kernel.test_kernel_parity_fuzz import CASES, fuzz_candles

SHIB = Market("SHIB/USD", "SHIB", "USD", lot_decimals=0, pair_decimals=8, ordermin=Decimal(50_000),
              costmin=Decimal("5"))


def _every_close_equals_a_fresh_run(pair: str, market: Market, arrays: CandleArrays, equity: float) -> int:
    resumable = ResumableRun(pair, "1m", market, RiskConfig(), equity)
    so_far: list[ClosedTrade] = []
    for n in range(1, len(arrays) + 1):
        held = arrays.head(n)
        so_far += resumable.closed(held)
        assert so_far == KernelBacktester(pair, "1m", market, RiskConfig(), equity).run(held).trades, n
    return len(so_far)


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize(("pair", "price", "vol"), CASES)
def test_the_resumed_run_closes_the_trades_of_a_fresh_run_at_every_candle(
        seed: int, pair: str, price: float, vol: float) -> None:
    arrays = CandleArrays.from_candles(fuzz_candles(seed, 700, price, vol))
    assert _every_close_equals_a_fresh_run(pair, market_for(pair), arrays, 10_000.0) >= 3


def test_minimums_and_lot_rounding_resume_the_same_way() -> None:
    arrays = CandleArrays.from_candles(fuzz_candles(11, 700, 0.00001, 0.02))
    assert _every_close_equals_a_fresh_run("SHIB/USD", SHIB, arrays, 300.0) >= 1
