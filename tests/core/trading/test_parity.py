"""Replay through PaperExchange + TradingService + Autopilot makes the backtest's trades.

The exact run uses a Market with pair_decimals=16 (lot 8, no minimums): the paper exchange
rounds trigger prices to pair_decimals, and at 8 decimals the rounded stop fills drift the cash
by ~1e-9 per stop, which over a few hundred candles flips the last lot digit of an ETH size now
and then. At 16 decimals nothing is rounded (a float's repr has fewer decimals at these prices),
so the two ledgers are the same Decimals: same trades, same amounts, same P&L. A second run with
the real Kraken BTC/USD rules (price to 0.1, ordermin, costmin) must still trade at the same
candles. Data: ZYN_SHARED_DATA (default <repo>/../shared/data).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.domain import Candle, Market
from core.market_data.csv_loader import load_csv
from core.markets.catalog import market_for
from core.research.backtest import Backtester
from core.research.metrics import ClosedTrade
from core.telemetry.models import TradeRow
from core.trading.replay import ReplayDriver
from tests.core.trading.helpers import build_stack, shared_data

N_CANDLES = 3000


def _candles(pair: str, n: int) -> list[Candle]:
    path = shared_data() / "kraken" / f"KRAKEN_{pair.replace('/', '-')}_1h.csv"
    if not path.is_file():
        pytest.skip(f"no shared data at {path} (set ZYN_SHARED_DATA)")
    return load_csv(path)[:n]


def _both(pair: str, market: Market, n: int) -> tuple[list[ClosedTrade], list[TradeRow], int]:
    candles = _candles(pair, n)
    backtest = Backtester(pair, "1h", market).run(candles)
    stack = build_stack({pair: market}, start_ms=candles[0].ts)
    driver = ReplayDriver(stack.exchange, stack.autopilot, stack.clock, {pair: ("1h", candles)}, trading=stack.service)
    driver.run_to_end()
    return backtest.trades, stack.service.journal.closed_trades(pair), driver.ticks


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a))


@pytest.mark.parametrize("pair", ["BTC/USD", "ETH/USD"])
def test_replay_matches_backtest_exactly(pair: str) -> None:
    base = pair.split("/")[0]
    market = Market(pair, base, "USD", lot_decimals=8, pair_decimals=16)
    expected, got, ticks = _both(pair, market, N_CANDLES)
    assert ticks == N_CANDLES - 1  # one decision per closed candle that has a next open
    assert len(expected) > 50
    assert len(got) == len(expected)
    for bt, row in zip(expected, got, strict=True):
        assert row.entry_ms == bt.entry_ts
        assert row.exit_ms is not None and row.exit_ms // 3_600_000 * 3_600_000 == bt.exit_ts
        assert row.exit_reason == bt.reason
        assert Decimal(repr(row.amount)) == Decimal(repr(bt.amount))
        assert _close(row.entry_price, bt.entry_price) and _close(row.exit_price or 0.0, bt.exit_price)
        assert row.pnl is not None and _close(row.pnl, bt.pnl)
        assert row.r_multiple is not None and _close(row.r_multiple, bt.r_multiple)
        assert _close(row.fees, bt.fees)


def test_replay_with_real_kraken_rules_trades_at_the_same_candles() -> None:
    pair = "BTC/USD"
    expected, got, _ = _both(pair, market_for(pair), 2000)
    assert len(expected) > 30
    assert [
        (r.entry_ms, r.exit_ms // 3_600_000 * 3_600_000 if r.exit_ms else None, r.exit_reason) for r in got
    ] == [(t.entry_ts, t.exit_ts, t.reason) for t in expected]
