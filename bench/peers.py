"""Whole-process peers for bench/backtest_speed.py, run with the bench venv's Python (.venv-bench):
backtesting.py and vectorbt doing the same SMA20 cross-up entry at the next open with a 1.5/3 ATR14
bracket and 0.26 % fees. Their rules differ from Zyn's in what they lack (no cool-off, no daily
kill-switch, no lot/minimum rounding) and in small fill details, so their trade counts are shown
beside Zyn's, not required to be equal. Prints {"trades": N}.
Usage: .venv-bench/bin/python bench/peers.py backtesting|vectorbt FILE_OR_DIR"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")


def frame(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path)
    df.index = pd.to_datetime(df["timestamp"], unit="ms")
    return df.rename(columns=str.capitalize)[["Open", "High", "Low", "Close", "Volume"]]


def atr14(high: pd.Series, low: pd.Series, close: pd.Series) -> pd.Series:
    prev = close.shift(1)
    tr = pd.concat([high - low, (high - prev).abs(), (low - prev).abs()], axis=1).max(axis=1)
    return tr.ewm(alpha=1 / 14, adjust=False, min_periods=14).mean()


def run_backtesting(df: pd.DataFrame) -> int:
    from backtesting import Strategy
    from backtesting.lib import FractionalBacktest  # whole units of a 30,000 USD coin would round to 0

    class SmaAtr(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            close = pd.Series(self.data.Close)
            self.sma = self.I(lambda: close.rolling(20).mean().to_numpy())
            self.atr = self.I(lambda: atr14(pd.Series(self.data.High), pd.Series(self.data.Low), close).to_numpy())

        def next(self) -> None:
            if self.position or len(self.data) < 22 or np.isnan(self.atr[-1]):
                return
            c, p, s, ps = self.data.Close[-1], self.data.Close[-2], self.sma[-1], self.sma[-2]
            if p <= ps and c > s:
                a = self.atr[-1]
                self.buy(size=0.25, sl=c - 1.5 * a, tp=c + 3 * a)

    stats = FractionalBacktest(df, SmaAtr, cash=10_000, commission=0.0026, exclusive_orders=True,
                               finalize_trades=True).run()
    return int(stats["# Trades"])


def _quiet_progress() -> None:
    import os

    os.environ.setdefault("TQDM_DISABLE", "1")


def run_vectorbt(df: pd.DataFrame) -> int:
    import vectorbt as vbt

    close = df["Close"]
    sma = close.rolling(20).mean()
    atr = atr14(df["High"], df["Low"], close)
    cross = (close.shift(1) <= sma.shift(1)) & (close > sma)
    entries = cross.shift(1, fill_value=False)  # act at the next open
    pf = vbt.Portfolio.from_signals(
        close, entries=entries, exits=pd.Series(False, index=close.index), price=df["Open"], open=df["Open"],
        high=df["High"], low=df["Low"], sl_stop=(1.5 * atr / close).shift(1), tp_stop=(3 * atr / close).shift(1),
        fees=0.0026, size=0.25, size_type="percent", init_cash=10_000, freq="1min",
    )
    return int(pf.trades.count())


def main() -> None:
    _quiet_progress()
    which, target = sys.argv[1], Path(sys.argv[2])
    files = sorted(target.glob("*.csv")) if target.is_dir() else [target]
    fn = run_backtesting if which == "backtesting" else run_vectorbt
    print(json.dumps({"trades": sum(fn(frame(f)) for f in files)}))


if __name__ == "__main__":
    main()
