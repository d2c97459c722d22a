"""The compiled loop against the bare numba loop, in one process, on the same arrays, warm JIT.

Why: a whole-process benchmark hides the loop's own cost behind start-up and CSV reading, but
walk-forwards run the loop hundreds of times in one process (controls, folds, research). This
prints ns per candle of `KernelBacktester.run` (Zyn's real path: the driver, the loop and its returns
to Python) and of `run_loop` alone, next to bench/bare_loop.py's `bare_backtest` (the yardstick,
unchanged), with the machine's load average. Trade counts must agree (same rules).

    .venv/bin/python bench/kernel_in_process.py [--candles 525600] [--repeat 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bare_loop import bare_backtest  # noqa: E402
from bench_data import candles  # noqa: E402

from core.domain import Market  # noqa: E402
from core.kernel.backtest import KernelBacktester  # noqa: E402
from core.market_data.arrays import CandleArrays  # noqa: E402

MARKET = Market("QAAA/USD", "QAAA", "USD", lot_decimals=8, pair_decimals=2, ordermin=Decimal("0.0001"),
                costmin=Decimal("0.5"))


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--candles", type=int, default=525_600)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    cols = candles(7, args.candles, 60_000, 100.0, 0.002)
    a = CandleArrays(cols["timestamp"], cols["open"], cols["high"], cols["low"], cols["close"])
    bt = KernelBacktester("QAAA/USD", "1m", MARKET, flavour="compiled")  # whatever --candles: the compiled loop
    lot, om, cm = MARKET.lot_decimals, float(MARKET.ordermin), float(MARKET.costmin)
    zyn_trades = len(bt.run(a).figures.pnl)  # warm both JITs
    bare_trades, _eq = bare_backtest(a.ts, a.open, a.high, a.low, a.close, lot, om, cm, 10_000.0)
    rounds = {"kernel": [], "bare": []}
    for _ in range(args.repeat):  # interleaved A/B rounds
        rounds["kernel"].append(best_of(lambda: bt.run(a), 1))
        rounds["bare"].append(best_of(lambda: bare_backtest(a.ts, a.open, a.high, a.low, a.close, lot, om, cm,
                                                            10_000.0), 1))
    n = len(a)
    k = statistics.median(rounds["kernel"]) / n * 1e9
    b = statistics.median(rounds["bare"]) / n * 1e9
    load = os.getloadavg()
    print(f"candles {n}, repeat {args.repeat} (interleaved), load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"trades: kernel {zyn_trades}, bare {bare_trades}")
    print(f"kernel (KernelBacktester.run) {k:8.1f} ns/candle")
    print(f"bare numba loop               {b:8.1f} ns/candle")
    print(f"ratio kernel / bare           {k / b:8.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
