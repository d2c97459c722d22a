"""One backtest of one pair for the learner, through the Strategy port: the compiled kernel when
the strategy has one, else the reference `core.research.backtest.Backtester` driving the port's strategy.

Why its own module: the walk-forward and the pooled walk-forward must not know which strategy
they evaluate (the port is the boundary) nor which engine runs it. The kernel
(`core.kernel.backtest.KernelBacktester`) implements exactly the pinned `sma20_atr` strategy and
is parity-tested against the reference trade by trade, so for that strategy it is used; any other
strategy registered in the port runs on the reference loop. Either way the caller gets a
`BacktestResult` (trades as `ClosedTrade`, the equity curve as floats) and figures are computed
by the same `core.research.metrics` code whichever engine ran. The learner's gate is asked by the kernel
exactly where the reference asks it (an entry candidate at a candle's close).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from core.domain import Market, UserError
from core.kernel.backtest import KernelBacktester
from core.kernel.strategies import DEFAULT_STRATEGY, strategy_named
from core.market_data.arrays import CandleArrays
from core.research.backtest import Backtester, BacktestResult
from core.strategy.entry_rules import EntryRules
from core.strategy.pinned import Sma20Atr  # the one strategy the kernel implements
from core.strategy.port import GateFn, Strategy, kernel_of
from core.strategy.risk import RiskConfig

Engine = Literal["auto", "kernel", "reference"]
ENGINES: tuple[Engine, ...] = ("auto", "kernel", "reference")


def has_kernel(strategy: Strategy) -> bool:
    """True when the compiled kernel implements exactly this strategy: the pinned sma20_atr, as the
    reference class or as the port's compiled subclass (`core.kernel.signal.KernelSma20Atr`)."""
    return type(strategy) is Sma20Atr or (isinstance(strategy, Sma20Atr) and kernel_of(strategy) is not None)


def reference_of(strategy: Strategy) -> Strategy:
    """What the reference loop runs: for the pinned strategy its pure-Python reference class (the
    port's compiled subclass decides with the kernel's live step, which is not a reference)."""
    return Sma20Atr() if has_kernel(strategy) else strategy


def default_strategy() -> Strategy:
    return strategy_named(DEFAULT_STRATEGY)


@dataclass(frozen=True)
class PairBacktest:
    """How to backtest pairs for a learner: which strategy (from the port) on which engine."""

    strategy: Strategy = field(default_factory=default_strategy)
    cfg: RiskConfig = field(default_factory=RiskConfig)
    engine: Engine = "auto"

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise UserError(f"unknown backtest engine {self.engine!r}; one of {', '.join(ENGINES)}")
        if self.engine == "kernel" and not has_kernel(self.strategy):
            raise UserError(f"strategy {self.strategy.name!r} has no compiled kernel; use the reference engine")

    @property
    def compiled(self) -> bool:
        return self.engine == "kernel" or (self.engine == "auto" and has_kernel(self.strategy))

    def run(  # noqa: PLR0913
        self,
        pair: str,
        timeframe: str,
        market: Market,
        arrays: CandleArrays,
        gate: GateFn | None = None,
        start_equity: float = 10_000.0,
        rules: EntryRules | None = None,
    ) -> BacktestResult:
        """The pair's backtest over `arrays` (a learner's `gate` asked at every entry candidate; `rules`:
        the advanced modules on for the whole run, a fresh object per run as the run keeps its state)."""
        if self.compiled:

            k = KernelBacktester(pair, timeframe, market, self.cfg, start_equity, gate=gate, rules=rules).run(arrays)
            return BacktestResult(pair, timeframe, k.candles, k.trades, k.equity_curve.tolist(),
                                  start_equity=start_equity, seconds=k.seconds)
        ref = Backtester(pair, timeframe, market, self.cfg, start_equity, gate=gate,
                         strategy=reference_of(self.strategy), rules=rules)
        return ref.run(arrays.to_candles())
