"""One pair file backtested through the Strategy port (`ZYN_STRATEGY`).

Why its own module: `zyn backtest` must run whatever strategy the autopilot trades. The port's
pinned `sma20_atr` exposes a compiled kernel (`core.strategy.port.kernel_of`): the file is read
column-wise and the whole-array kernel runs it, with the advanced modules' flags. A strategy
without a kernel runs in the reference `core.research.backtest.Backtester` over Candle objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core.domain import UserError
from core.market_data.csv_loader import load_csv
from core.market_data.resample import resample
from core.markets.catalog import market_for
from core.markets.pairs import pair_from_filename
from core.research.backtest import Backtester
from core.strategy.entry_rules import EntryRules
from core.strategy.port import Strategy, kernel_of
from core.strategy.risk import RiskConfig


def backtest_with(strategy: Strategy, path: str, timeframe: str | None = None, pair: str | None = None,
                  rules: EntryRules | None = None) -> tuple[Any, Iterable[int]]:
    """(result with `summary()` and `equity_curve`, candle open times) of one pair file. The kernel's
    times stay a numpy array: 10 y of 1m as Python ints would cost ~190 MB for a plot not asked for."""
    from core.kernel.jobs import load_for_backtest  # lazy: keeps numpy out of this import

    kernel = kernel_of(strategy)
    file_pair, file_tf = pair_from_filename(Path(path).name)
    name = pair or file_pair
    if kernel is not None:
        _, tf, arrays = load_for_backtest(path, timeframe)
        result = kernel.backtester(name, tf, market_for(name), RiskConfig(), rules=rules).run(arrays)
        return result, arrays.ts
    tf = timeframe or file_tf
    candles = resample(load_csv(path), file_tf, tf)
    if len(candles) < 2:
        raise UserError(f"{path}: too few candles for a backtest at {tf}")
    result = Backtester(name, tf, market_for(name), rules=rules, strategy=strategy).run(candles)
    return result, [c.ts for c in candles]
