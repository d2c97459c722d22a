"""Synthetic candles for bench/backtest_speed.py, from a fixed seed: a geometric random walk with
fat-ish tails, prices rounded to 0.01, written by pyarrow (fast) as Zyn's CSV format."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

START_MS = 1_577_836_800_000  # 2020-01-01


def candles(seed: int, n: int, step_ms: int, price: float, sigma: float) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    rets = rng.standard_t(5, n) * sigma
    close = np.round(price * np.exp(np.cumsum(rets)), 2).clip(0.01)
    op = np.concatenate(([round(price, 2)], close[:-1]))
    wick = np.abs(rng.normal(0, sigma, (2, n)))
    high = np.round(np.maximum(op, close) * (1 + wick[0]), 2)
    low = np.round(np.minimum(op, close) * (1 - wick[1]), 2).clip(0.01)
    low = np.minimum(low, np.minimum(op, close))
    high = np.maximum(high, np.maximum(op, close))
    ts = START_MS + np.arange(n, dtype=np.int64) * step_ms
    vol = np.round(rng.random(n) * 10, 4)
    return {"timestamp": ts, "open": op, "high": high, "low": low, "close": close, "volume": vol}


def write(path: Path, cols: dict[str, np.ndarray]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        pacsv.write_csv(pa.table(cols), path)


def base_name(i: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "Q" + letters[i // 26 // 26 % 26] + letters[i // 26 % 26] + letters[i % 26]


def make_all(root: Path) -> dict[str, Path]:
    """1 y and 10 y of 1m for one pair, and a folder of 200 pairs x 1 y of 1h."""
    minute = 60_000
    one = root / "1y" / "SYN_BTC-USD_1m.csv"
    ten = root / "10y" / "SYN_BTC-USD_1m.csv"
    write(one, candles(1, 525_600, minute, 30_000.0, 0.0008))
    write(ten, candles(10, 5_256_000, minute, 30_000.0, 0.0008))
    folder = root / "200x1h"
    for i in range(200):
        write(folder / f"SYN_{base_name(i)}-USD_1h.csv", candles(100 + i, 8_760, 60 * minute, 50.0 + i, 0.006))
    return {"1y": one, "10y": ten, "200x1h": folder}
