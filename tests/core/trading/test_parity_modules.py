"""With mtf, the daily profit target (break-even stops) and sessions on, the replay through the
paper exchange and the fast backtest still make the same trades: the modules act the same live
as in the backtest (one `EntryRules`, the same hooks)."""

from __future__ import annotations

import pytest

from core.domain import Market
from core.research.backtest import Backtester
from core.strategy.entry_rules import EntryRules
from core.strategy.profit_target import DailyTarget
from core.strategy.sessions import parse_sessions
from core.trading.replay import ReplayDriver
from tests.core.trading.helpers import build_stack
from tests.core.trading.test_parity import _candles, _close


def rules() -> EntryRules:
    return EntryRules.fixed("1h", ["mtf", "profit_target"], target=DailyTarget(0.001, "breakeven"),
                            sessions=parse_sessions("06:00-22:00"))


@pytest.mark.parametrize("pair", ["ETH/USD"])
def test_replay_matches_backtest_with_the_modules_on(pair: str) -> None:
    candles = _candles(pair, 3000)
    market = Market(pair, pair.split("/")[0], "USD", lot_decimals=8, pair_decimals=16)
    bt = Backtester(pair, "1h", market, rules=rules(), keep_decisions=True).run(candles)
    plain = Backtester(pair, "1h", market).run(candles)
    stack = build_stack({pair: market}, start_ms=candles[0].ts, rules=rules())
    ReplayDriver(stack.exchange, stack.autopilot, stack.clock, {pair: ("1h", candles)},
                 trading=stack.service).run_to_end()
    got = stack.service.journal.closed_trades(pair)
    assert 10 < len(bt.trades) < len(plain.trades)
    reasons = {d.reason.split(" (")[0] for d in bt.decisions if d.action == "skip"}
    assert any("SMA20" in r for r in reasons) and any("trading sessions" in r for r in reasons)
    assert any("daily profit target reached" in r for r in reasons)
    assert [(r.entry_ms, r.exit_reason) for r in got] == [(t.entry_ts, t.reason) for t in bt.trades]
    for t, row in zip(bt.trades, got, strict=True):
        assert row.pnl is not None and _close(row.pnl, t.pnl)
