"""The incremental plain record (core/evidence/plain_record.py, core/kernel/resumable.py) equals the
from-scratch `plain_trades` / `plain_run` at every candle close, on real candles of several pairs:
the evidence gate's trades (entered_ms, closed_ms, r) and every other figure of each trade."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.domain import ClosedTrade, Market
from core.evidence import plain_trades
from core.evidence.plain import plain_run
from core.evidence.plain_record import PlainRecord
from core.kernel.resumable import ResumableRun
from core.market_data.arrays import CandleArrays
from core.market_data.csv_loader import load_arrays
from core.markets.catalog import market_for
from core.strategy.risk import RiskConfig

pytestmark = pytest.mark.usefixtures("compiled_kernel")  # O(n²) re-runs: see conftest.compiled_kernel

# (file, pair whose Kraken rules apply, first candle, candles): different lot decimals and order
# minimums, trends and volatility (the USDT files' candles under the USD pair's market rules)
SLICES = (
    ("kraken/KRAKEN_BTC-USD_1h.csv", "BTC/USD", 0, 900),
    ("binance/BINANCE_DOGE-USDT_1h.csv", "DOGE/USD", 3000, 900),
    ("binance/BINANCE_SOL-USDT_1h.csv", "SOL/USD", 6000, 900),
    ("kraken/KRAKEN_ETH-USD_1h.csv", "ETH/USD", 2000, 900),
    ("binance/BINANCE_XRP-USDT_1h.csv", "XRP/USDT", 1000, 900),
)


def _slice(data_dir: Path, name: str, first: int, count: int) -> CandleArrays:
    a = load_arrays(data_dir / name)
    assert len(a) >= first + count, name
    return CandleArrays(*(np.ascontiguousarray(x[first:first + count]) for x in (a.ts, a.open, a.high, a.low, a.close)))


@pytest.mark.parametrize(("name", "pair", "first", "count"), SLICES)
def test_the_record_extended_candle_by_candle_equals_a_fresh_run_at_every_close(
        data_dir: Path, name: str, pair: str, first: int, count: int) -> None:
    arrays, market = _slice(data_dir, name, first, count), market_for(pair)
    record = PlainRecord(pair, "1h")
    resumable = ResumableRun(pair, "1h", market, RiskConfig(), 10_000.0)
    so_far: list[ClosedTrade] = []
    for n in range(1, count + 1):
        held = arrays.head(n)
        so_far += resumable.closed(held)
        assert so_far == plain_run(pair, "1h", market, held), n  # every field of every trade
        assert record.trades(market, held) == plain_trades(pair, "1h", market, held), n
    assert len(so_far) >= 5  # the slices do trade (stops and targets), so the comparison is not empty


def test_a_corrected_candle_or_a_shorter_history_starts_the_record_again(data_dir: Path) -> None:
    arrays, market = _slice(data_dir, "binance/BINANCE_BTC-USDT_1h.csv", 0, 900), market_for("BTC/USDT")
    record = PlainRecord("BTC/USDT", "1h")
    assert record.trades(market, arrays.head(800)) == plain_trades("BTC/USDT", "1h", market, arrays.head(800))
    close = arrays.close.copy()
    close[100:] *= 0.8  # the past rewritten: the kept state no longer describes these candles
    other = CandleArrays(arrays.ts, arrays.open * 0.8, arrays.high * 0.8, arrays.low * 0.8, close)
    for held in (other.head(850), arrays.head(500), arrays.head(900)):
        assert record.trades(market, held) == plain_trades("BTC/USDT", "1h", market, held)
    small = Market("BTC/USDT", "BTC", "USDT", lot_decimals=2, ordermin=market.ordermin, costmin=market.costmin)
    assert record.trades(small, arrays) == plain_trades("BTC/USDT", "1h", small, arrays)  # another market
