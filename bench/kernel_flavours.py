"""The kernel's two flavours side by side (core/kernel/flavour.py): what the interpreted one costs
per candle and per live step, what loading the compiled one costs (CPU, RSS) in a fresh process,
and the break-even that `COMPILE_FROM` is set from. Same candles, same process, load average printed.

Measured on the real path: `KernelBacktester.run` (the driver and the loop, as the evidence gate
and `zyn backtest` call it) and `KernelPairSignal.decide` (the autopilot's step). The load cost is
measured in fresh interpreters with numba's on-disk cache already filled (as in every `zyn run`
after the first): numba's import, the dispatchers, the loop loaded from the cache and its first run
over 40 candles; RSS is VmRSS before and after.

A universe (issue 20.4, session 7; core.kernel.flavour.by_universe): one pair's share of a tick,
on the same real path the autopilot and the evidence gate take (`KernelPairSignal.warm`/`decide`,
`PlainRecord.trades`): its first close (warmed from `--warm` candles, the evidence record's first
run over `--history`) and a later close (one step, the record extended by one candle), in both
flavours; then how many pairs pay the compiled flavour's load back at the first close, against
the pairs from which `by_universe` picks it.

    .venv/bin/python bench/kernel_flavours.py [--candles 35000] [--rounds 3] [--warm 528] [--history 840]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from core.evidence.plain_record import PlainRecord  # noqa: E402
from core.kernel.backtest import KernelBacktester  # noqa: E402
from core.kernel.flavour import COMPILE_FROM, Flavour, by_universe  # noqa: E402
from core.kernel.signal import KernelPairSignal  # noqa: E402
from core.market_data.arrays import CandleArrays  # noqa: E402
from core.market_data.csv_loader import load_csv  # noqa: E402
from core.markets.catalog import market_for  # noqa: E402
from core.strategy.pinned import CloseContext  # noqa: E402
from core.strategy.risk import RiskConfig  # noqa: E402

DATA = Path(os.environ.get("ZYN_SHARED_DATA", REPO.parent / "shared" / "data"))
FILE = DATA / "kraken" / "KRAKEN_BTC-USD_1h.csv"

FRESH = """
import json, sys, time
sys.path.insert(0, %(repo)r)
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
from core.kernel.backtest import KernelBacktester
from core.market_data.arrays import CandleArrays
from core.market_data.csv_loader import load_csv
from core.markets.catalog import market_for
from core.kernel.signal import KernelPairSignal
from core.strategy.pinned import CloseContext
from core.strategy.risk import RiskConfig
candles = load_csv(%(file)r)[:40]
a = CandleArrays.from_candles(candles)
m = market_for('BTC/USD')
before, c0, t0 = rss(), time.process_time(), time.perf_counter()
KernelBacktester('BTC/USD', '1h', m, flavour=%(flavour)r).run(a)
s = KernelPairSignal('BTC/USD', m, RiskConfig(), flavour=%(flavour)r)
s.warm(candles[0])
s.decide(candles[1], CloseContext(10_000.0, True, False, candles[2].open))
print(json.dumps({'cpu': time.process_time() - c0, 'wall': time.perf_counter() - t0, 'rss_before': before,
                  'rss_after': rss(), 'numba': 'numba' in sys.modules}))
"""


def load_cost(flavour: Flavour) -> dict[str, float]:
    """A fresh interpreter's first backtest (40 candles) and live step in `flavour`."""
    code = FRESH % {"repo": str(REPO), "file": str(FILE), "flavour": flavour}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def per_candle(flavour: Flavour, arrays: CandleArrays) -> float:
    """CPU seconds per candle of one whole run."""
    bt = KernelBacktester("BTC/USD", "1h", market_for("BTC/USD"), flavour=flavour)
    c0 = time.process_time()
    bt.run(arrays)
    return (time.process_time() - c0) / len(arrays)


def per_step(flavour: Flavour, candles: list) -> float:  # type: ignore[type-arg]
    """CPU seconds per live step (warm on 30 candles, then decide every close)."""
    signal = KernelPairSignal("BTC/USD", market_for("BTC/USD"), RiskConfig(), flavour=flavour)
    for c in candles[:30]:
        signal.warm(c)
    c0 = time.process_time()
    for i in range(30, len(candles) - 1):
        signal.decide(candles[i], CloseContext(10_000.0, True, False, candles[i + 1].open))
    return (time.process_time() - c0) / (len(candles) - 31)


def per_pair_tick(flavour: Flavour, candles: list, warm: int, history: int, closes: int = 24) -> tuple[float, float]:  # type: ignore[type-arg]
    """CPU seconds of one pair's share of a universe tick: its first close (warm from `warm`
    candles, decide, the evidence record's first run over `history` candles) and a later close
    (decide, the record extended by one candle; mean of `closes`)."""
    market = market_for("BTC/USD")
    signal = KernelPairSignal("BTC/USD", market, RiskConfig(), flavour=flavour)
    record = PlainRecord("BTC/USD", "1h", flavour=flavour)
    arrays = CandleArrays.from_candles(candles[: history + closes + 1])
    c0 = time.process_time()
    for c in candles[history - 1 - warm: history - 1]:
        signal.warm(c)
    signal.decide(candles[history - 1], CloseContext(10_000.0, True, False, candles[history].open))
    record.trades(market, arrays.head(history))
    first = time.process_time() - c0
    c0 = time.process_time()
    for k in range(history, history + closes):
        signal.decide(candles[k], CloseContext(10_000.0, True, False, candles[k + 1].open))
        record.trades(market, arrays.head(k + 1))
    return first, (time.process_time() - c0) / closes


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--candles", type=int, default=35_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warm", type=int, default=528, help="candles a pair is warmed from (1h with mtf: 528)")
    ap.add_argument("--history", type=int, default=840, help="candles of the evidence record's first run")
    args = ap.parse_args()
    candles = load_csv(FILE)[: args.candles]
    arrays = CandleArrays.from_candles(candles)
    load_cost("compiled")  # fill numba's on-disk cache (no-op when it is filled)
    print(f"load average at start {load()}; {len(arrays)} real candles ({FILE.name})", flush=True)
    runs: dict[str, list[float]] = {"interpreted": [], "compiled": []}
    steps: dict[str, list[float]] = {"interpreted": [], "compiled": []}
    fresh: dict[str, list[dict[str, float]]] = {"interpreted": [], "compiled": []}
    pair_first: dict[str, list[float]] = {"interpreted": [], "compiled": []}
    pair_later: dict[str, list[float]] = {"interpreted": [], "compiled": []}
    per_candle("compiled", arrays.head(100))  # this process's compiled flavour, loaded once
    for _ in range(args.rounds):  # interleaved rounds
        for flavour in ("interpreted", "compiled"):
            runs[flavour].append(per_candle(flavour, arrays))  # type: ignore[arg-type]
            steps[flavour].append(per_step(flavour, candles[:3_000]))  # type: ignore[arg-type]
            fresh[flavour].append(load_cost(flavour))  # type: ignore[arg-type]
            first, later = per_pair_tick(flavour, candles, args.warm, args.history)  # type: ignore[arg-type]
            pair_first[flavour].append(first)
            pair_later[flavour].append(later)
    med = {f: statistics.median(v) * 1e6 for f, v in runs.items()}
    step = {f: statistics.median(v) * 1e6 for f, v in steps.items()}
    cost = {f: {k: statistics.median(r[k] for r in rows) for k in ("cpu", "wall", "rss_before", "rss_after")}
            for f, rows in fresh.items()}
    for f in ("interpreted", "compiled"):
        c = cost[f]
        print(f"{f:11s}: {med[f]:8.3f} us CPU per candle (KernelBacktester.run), {step[f]:6.2f} us CPU per live "
              f"step; fresh process, first 40-candle run + live step: {c['cpu']:.3f} s CPU, RSS "
              f"{c['rss_before']:.1f} -> {c['rss_after']:.1f} MB (+{c['rss_after'] - c['rss_before']:.1f}); "
              f"numba imported: {fresh[f][0]['numba']}")
    extra = cost["compiled"]["cpu"] - cost["interpreted"]["cpu"]
    even = extra / ((med["interpreted"] - med["compiled"]) * 1e-6)
    print(f"compiled flavour's load costs {extra:.3f} s CPU and "
          f"{cost['compiled']['rss_after'] - cost['interpreted']['rss_after']:.1f} MB more than the interpreted one; "
          f"break-even {even:,.0f} candles in one call; COMPILE_FROM = {COMPILE_FROM:,}")
    first_ms = {f: statistics.median(v) * 1e3 for f, v in pair_first.items()}
    later_us = {f: statistics.median(v) * 1e6 for f, v in pair_later.items()}
    print(f"a universe, per pair: first close (warm {args.warm} + evidence over {args.history} candles) "
          f"interpreted {first_ms['interpreted']:.2f} ms CPU, compiled {first_ms['compiled']:.2f} ms; a later "
          f"close (step + evidence by one candle) interpreted {later_us['interpreted']:.1f} us, compiled "
          f"{later_us['compiled']:.1f} us")
    saved_first = (first_ms["interpreted"] - first_ms["compiled"]) * 1e-3
    saved_later = (later_us["interpreted"] - later_us["compiled"]) * 1e-6
    print(f"the compiled load ({extra:.3f} s CPU) is paid back at the first close from {extra / saved_first:,.0f} "
          f"pairs (with {extra + 0.24:.2f} s, COMPILE_FROM's memory margin: {(extra + 0.24) / saved_first:,.0f}); "
          f"every later close saves {saved_later * 1e3 * 1000:.1f} ms per 1,000 pairs; by_universe picks compiled "
          f"from {-(-COMPILE_FROM // args.warm):,} pairs at {args.warm} warm candles "
          f"(by_universe(231, {args.warm}) = {by_universe(231, args.warm)}, "
          f"by_universe(30, {args.warm}) = {by_universe(30, args.warm)})")
    print(f"load average at end {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
