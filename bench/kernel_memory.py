"""What the compiled kernel (the compiled flavour, core/kernel/flavour.py) costs a process in memory,
step by step, in a fresh interpreter.

    .venv/bin/python bench/kernel_memory.py [--order numba,live_step,live_warm,run_loop]

Issue 20.5 asks whether numba's ~110 MB in `zyn run` is avoidable for the live path: is it LLVM
itself or the compiled functions loaded, and would loading only `live_step` (not the backtest
loop the evidence gate runs) help? Each step is timed (CPU) and measured as the growth of the
process's anonymous and file-backed resident memory (/proc/self/status RssAnon, RssFile):
- `numba`: importing numba (and llvmlite's 179 MB shared library) through core.kernel.jit;
- `live_step`, `live_warm`: the autopilot's kernels, loaded from numba's on-disk cache;
- `run_loop`: the backtest loop, through KernelBacktester as the evidence gate runs it, over 2,000
  synthetic candles (a sine walk: load data, not market data; only the load is measured).
Run it twice: the first run of a changed kernel compiles and writes the cache.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def rss_parts() -> tuple[float, float]:
    """(anonymous, file-backed) resident MB."""
    parts = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("RssAnon:", "RssFile:")):
                parts[line.split(":")[0]] = int(line.split()[1]) / 1024
    return parts["RssAnon"], parts["RssFile"]


def load_numba() -> None:
    from core.kernel.jit import import_numba

    import_numba()


def live_step() -> None:
    import numpy as np

    from core.kernel import layout as L
    from core.kernel.compiled import live_step as step  # the compiled flavour (core/kernel/flavour.py)

    fp, ip = np.zeros(L.N_P, np.float64), np.zeros(L.N_Q, np.int64)
    fp[L.P_LOT_SCALE] = 1e8
    st, fs, ring = np.zeros(L.N_I, np.int64), np.zeros(L.N_F, np.float64), np.zeros(L.SMA_N, np.float64)
    step(0, 1.0, 1.0, 1.0, False, False, 1000.0, 1.0, True, st, fs, ring, fp, ip)


def live_warm() -> None:
    import numpy as np

    from core.kernel import layout as L
    from core.kernel.compiled import live_warm as warm  # the compiled flavour

    st, fs, ring = np.zeros(L.N_I, np.int64), np.zeros(L.N_F, np.float64), np.zeros(L.SMA_N, np.float64)
    warm(0, 1.0, 1.0, 1.0, False, st, fs, ring)


def run_loop() -> None:
    import numpy as np

    from core.kernel.backtest import KernelBacktester
    from core.market_data.arrays import CandleArrays
    from core.markets.catalog import market_for

    n = 2000
    ts = np.arange(n, dtype=np.int64) * 3_600_000 + 1_600_000_000_000
    close = 100 + np.cumsum(np.sin(np.arange(n)))
    arrays = CandleArrays(ts, close, close + 1, close - 1, close)
    # the evidence gate's call (PairBacktest's kernel), forced compiled: 2,000 candles alone run interpreted
    KernelBacktester("BTC/USD", "1h", market_for("BTC/USD"), flavour="compiled").run(arrays)


STEPS: dict[str, Callable[[], None]] = {"numba": load_numba, "live_step": live_step, "live_warm": live_warm,
                                        "run_loop": run_loop}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--order", default="numba,live_step,live_warm,run_loop", help=f"comma-separated, of {list(STEPS)}")
    args = ap.parse_args(argv)
    import numpy  # noqa: F401 - numpy is in every zyn run before the kernel: not the kernel's cost

    from core.research.pair_backtest import PairBacktest  # noqa: F401 - the same for Zyn's own modules

    anon0, file0 = rss_parts()
    print(f"before: RSS {anon0 + file0:.1f} MB (anon {anon0:.1f}, file-backed {file0:.1f}) with numpy and Zyn's "
          f"modules imported; load average {os.getloadavg()}")
    for name in args.order.split(","):
        a0, f0 = rss_parts()
        t0 = time.process_time()
        STEPS[name.strip()]()
        cpu = time.process_time() - t0
        a1, f1 = rss_parts()
        print(f"  {name:10s} +{a1 + f1 - a0 - f0:6.1f} MB (anon {a1 - a0:+6.1f}, file-backed {f1 - f0:+6.1f}); "
              f"CPU {cpu:.2f} s; RSS now {a1 + f1:.1f} MB")
    anon, file = rss_parts()
    print(f"kernel total: +{anon + file - anon0 - file0:.1f} MB (anon {anon - anon0:+.1f}, file-backed "
          f"{file - file0:+.1f}); load average {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
