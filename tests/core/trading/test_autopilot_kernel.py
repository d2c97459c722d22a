"""The live autopilot decides with the compiled kernel (through the Strategy port), and its
decisions over a real candle file are the kernel backtest's, candle by candle: the action, the
words, the indicators, the size and the bracket, the equity to the cent, with and without the
advanced modules' flags."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import Session, select

from core.domain import Market
from core.kernel.backtest import KernelBacktester
from core.kernel.signal import KernelPairSignal
from core.market_data.arrays import CandleArrays
from core.strategy.entry_rules import EntryRules
from core.strategy.profit_target import DailyTarget
from core.strategy.sessions import parse_sessions
from core.telemetry.models import DecisionRow
from core.trading.replay import ReplayDriver
from tests.core.trading.helpers import build_stack
from tests.core.trading.test_parity import _candles

N = 2500


def _modules() -> EntryRules:
    return EntryRules.fixed("1h", ["mtf", "profit_target"], target=DailyTarget(0.001, "breakeven"),
                            sessions=parse_sessions("06:00-22:00"))


def _near(a: float | None, b: float | None, rel: float = 1e-12) -> bool:
    if a is None or b is None:
        return a is b
    return a == b or abs(a - b) <= rel * max(1.0, abs(b))


@pytest.mark.parametrize("rules", [None, _modules], ids=["plain", "modules"])
def test_autopilot_decisions_equal_the_kernel_backtest_candle_by_candle(
        rules: Callable[[], EntryRules] | None) -> None:
    pair = "ETH/USD"
    candles = _candles(pair, N)
    market = Market(pair, "ETH", "USD", lot_decimals=8, pair_decimals=16)
    kernel = KernelBacktester(pair, "1h", market, keep_decisions=True, rules=rules() if rules else None).run(
        CandleArrays.from_candles(candles))
    stack = build_stack({pair: market}, start_ms=candles[0].ts, rules=rules() if rules else None)
    ReplayDriver(stack.exchange, stack.autopilot, stack.clock, {pair: ("1h", candles)},
                 trading=stack.service).run_to_end()
    assert isinstance(stack.autopilot._run(pair).strategy, KernelPairSignal)  # the live path is the kernel's
    with Session(stack.db) as s:
        live = sorted(s.exec(select(DecisionRow).where(DecisionRow.pair == pair)).all(), key=lambda r: r.ts_ms)
    assert len(live) == N - 1  # every closed candle with a next open
    want = {d.ts: d for d in kernel.decisions}
    enters = 0
    for row in live:
        d = want[row.ts_ms]
        label = f"candle {row.ts_ms}"
        if row.action == "flatten":  # the autopilot's words for a kill-switch trip in position
            assert d.action == "hold" and row.reason.endswith(d.reason), label
        else:
            assert (row.action, row.reason) == (d.action, d.reason), f"{label}: {row.reason!r} != {d.reason!r}"
        assert row.price == d.close and _near(row.sma, d.sma) and _near(row.atr, d.atr), label
        assert row.equity is not None and d.equity is not None and abs(row.equity - d.equity) < 0.005, label
        if d.action == "enter":
            enters += 1
            assert row.amount == float(d.amount) and _near(row.stop, d.stop) and _near(row.target, d.target), label
    assert enters >= 10
