"""One backtest job as a plain function of plain values, so a Dask worker (or this process) can
run it: file path in, JSON-ready summary out. Nothing here knows about clusters."""

from __future__ import annotations

from pathlib import Path

from core.domain import UserError
from core.kernel.backtest import KernelBacktester, KernelResult
from core.market_data.arrays import CandleArrays
from core.market_data.csv_loader import load_arrays
from core.market_data.resample import resample
from core.markets.catalog import market_for
from core.markets.pairs import pair_from_filename
from core.markets.timeframes import timeframe_seconds
from core.strategy.risk import RiskConfig


def load_for_backtest(path: str | Path, timeframe: str | None,
                      cache: str | None = None) -> tuple[str, str, CandleArrays]:
    """(pair, timeframe, arrays) of one pair file, resampled when `timeframe` asks for coarser candles;
    `cache`: the candle cache folder (ZYN_CANDLE_CACHE), if any."""
    pair, file_tf = pair_from_filename(Path(path).name)
    tf = timeframe or file_tf
    timeframe_seconds(tf)
    arrays = load_arrays(path, cache=cache)
    if tf != file_tf:
        arrays = CandleArrays.from_candles(resample(arrays.to_candles(), file_tf, tf))
    if len(arrays) < 2:
        raise UserError(f"{path}: too few candles for a backtest at {tf}")
    return pair, tf, arrays


def backtest_file(path: str, timeframe: str | None = None, pair: str | None = None,
                  cfg: RiskConfig | None = None, cache: str | None = None) -> KernelResult:
    file_pair, tf, arrays = load_for_backtest(path, timeframe, cache)
    name = pair or file_pair
    return KernelBacktester(name, tf, market_for(name), cfg or RiskConfig()).run(arrays)


def summarize_file(path: str, timeframe: str | None = None, cache: str | None = None) -> dict[str, object]:
    """The `zyn backtest --json` fields of one pair file (the unit of work of a folder run)."""
    result = backtest_file(path, timeframe, cache=cache)
    out = result.summary()
    out["file"] = Path(path).name
    out["start_equity"] = result.start_equity
    return out
