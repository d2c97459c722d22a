"""Candle store speed on the real Kraken hourly files (../shared/data/kraken): what `zyn data import`
costs to write, what a re-import (all rows already there) costs, and what a reader pays for a
year of history (1h as stored, 4h built from it) — on SQLite, the default database.

Why it matters: the chat `backtest`, the learning runner and the evidence gate read history from
the store on demand, and a replay keeps its candles as the clock moves.
Usage: python bench/candle_store.py [--data ../shared/data/kraken] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.market_data.store_import import read_candle_files  # noqa: E402
from core.market_data.store_sql import SqlCandleStore  # noqa: E402
from core.telemetry.db import make_engine  # noqa: E402

YEAR_MS = 365 * 86_400_000


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "kraken"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from loguru import logger

    logger.remove()
    files = read_candle_files(args.data)
    rows: dict[str, list[float]] = {"read+check": [], "write": [], "re-import": [], "1y 1h": [], "1y 4h": []}
    total = sum(len(f.candles) for f in files)
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            files = read_candle_files(args.data)
            rows["read+check"].append(time.perf_counter() - t)
            store = SqlCandleStore(make_engine(f"sqlite:///{tmp}/bench.db"))
            t = time.perf_counter()
            for f in files:
                store.add(f.pair, f.timeframe, f.candles)
            rows["write"].append(time.perf_counter() - t)
            t = time.perf_counter()
            for f in files:
                store.add(f.pair, f.timeframe, f.candles)
            rows["re-import"].append(time.perf_counter() - t)
            f = files[0]
            until = f.candles[-1].ts
            t = time.perf_counter()
            one = [c for c in store.history(f.pair, "1h", until_ms=until) if c.ts >= until - YEAR_MS]
            rows["1y 1h"].append(time.perf_counter() - t)
            t = time.perf_counter()
            four = [c for c in store.history(f.pair, "4h", until_ms=until) if c.ts >= until - YEAR_MS]
            rows["1y 4h"].append(time.perf_counter() - t)
    print(f"candle store (SQLite), {len(files)} files, {total:,} candles, median of {args.repeat}")
    for name, times in rows.items():
        print(f"{name:<11} {statistics.median(times):8.3f} s")
    print(f"(1y reads: {len(one):,} 1h and {len(four):,} 4h candles of {files[0].pair}; the whole history is read, "
          "then cut)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
