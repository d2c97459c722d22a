"""The replay keeps a pair's closed candles back to the autopilot's window, not the whole replay
(issue 20.5: the soak's RSS grew with every closed candle of every pair), and trades exactly as
a replay that keeps them all — with the modules on, mtf reading the longest window."""

from __future__ import annotations

from core.domain import Market
from core.trading.replay import ReplayDriver
from tests.core.trading.helpers import build_stack
from tests.core.trading.test_parity import _candles
from tests.core.trading.test_parity_modules import rules

PAIR = "ETH/USD"


def _replay(keep: int | None) -> tuple[list[tuple[int, str | None, object]], int, int, int]:
    candles = _candles(PAIR, 3000)
    market = Market(PAIR, "ETH", "USD", lot_decimals=8, pair_decimals=16)
    stack = build_stack({PAIR: market}, start_ms=candles[0].ts, rules=rules())
    driver = ReplayDriver(stack.exchange, stack.autopilot, stack.clock, {PAIR: ("1h", candles)},
                          trading=stack.service, keep=keep)
    driver.run_to_end()
    trades = [(t.entry_ms, t.exit_reason, t.pnl) for t in stack.service.journal.closed_trades(PAIR)]
    kept = driver.history(PAIR)
    return trades, len(kept), kept[-1].ts, stack.autopilot.history_limit


def test_the_replay_keeps_at_most_twice_the_autopilots_window_and_trades_as_if_it_kept_all() -> None:
    bounded, kept, last_ts, limit = _replay(None)
    everything, kept_all, last_all, _ = _replay(10**9)
    assert kept_all == 2999 and limit <= kept < 2 * limit  # 3,000 hourly candles, the last one still open
    assert last_ts == last_all
    assert len(bounded) > 10 and bounded == everything
