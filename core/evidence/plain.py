"""The plain strategy's trades on one pair, as evidence: what the gate is computed from.

Why the plain strategy (no gate, no learner): the evidence asks "does the strategy itself pay on
this pair?", and shadow trades are exactly the entries the strategy would have made, so live and
shadow trades are one sequence whatever the gate decides. It runs through the Strategy port on
the compiled kernel (`core.research.pair_backtest.PairBacktest`): same fees, sizing and stop-first
bracket as `zyn backtest`. At start the autopilot computes it over the candle store; the `--servant`
walk-forward over the whole file, handing the gate only trades already closed at each evaluation.
"""

from __future__ import annotations

from core.domain import ClosedTrade, Market
from core.evidence.records import EvidenceTrade
from core.market_data.arrays import CandleArrays
from core.markets.timeframes import timeframe_ms
from core.research.pair_backtest import PairBacktest
from core.strategy.entry_rules import EntryRules


def closed_ms(trade: ClosedTrade, timeframe: str) -> int:
    """When a trade's exit is known: the close of the candle in which it filled."""
    return trade.exit_ts + timeframe_ms(timeframe)


def as_evidence(trades: list[ClosedTrade], timeframe: str) -> list[EvidenceTrade]:
    return [EvidenceTrade(t.pair, t.entry_ts, closed_ms(t, timeframe), t.r_multiple) for t in trades]


def plain_run(pair: str, timeframe: str, market: Market, arrays: CandleArrays,  # noqa: PLR0913
              backtest: PairBacktest | None = None, rules: EntryRules | None = None) -> list[ClosedTrade]:
    """The plain strategy's closed trades (a position still open at the last candle is not one);
    with `rules`, the strategy with those advanced modules on (core/evidence/module_set.py)."""
    bt = backtest or PairBacktest()
    return list(bt.run(pair, timeframe, market, arrays, rules=rules).trades)


def plain_trades(pair: str, timeframe: str, market: Market, arrays: CandleArrays,  # noqa: PLR0913
                 backtest: PairBacktest | None = None, rules: EntryRules | None = None) -> list[EvidenceTrade]:
    """The plain strategy's closed trades on this pair's candles, as evidence (R, fees included)."""
    return as_evidence(plain_run(pair, timeframe, market, arrays, backtest, rules), timeframe)
