"""200+ pair benchmark: one autopilot tick over every pair of the universe, with mtf and the
profit target on, through the real composition root (paper replay, SQLite, the paper exchange).

Why: with the universe on, Zyn may trade hundreds of pairs; one tick (every pair's decision at a
candle close, indicators, mtf check, journal rows, equity) must finish well inside one candle.
The data: the real Kraken BTC/USD and ETH/USD hourly files (symlinked, never copied) and
synthetic thin and thick pairs on the same hours (bench/synthetic_pairs.py) in a temp dir.
Prints the universe (default filters: how many pairs are out and why) and the tick times.
With `--pairs N` the data is N LOAD pairs instead (bench/load_pairs.py: the real hourly candles of
../shared/data, time-shifted and price-scaled; load data, not market data), all traded.
`--baseline REV` first runs the same bench (same data recipe, same session) on REV's code
(`git archive REV core bot adapters scheduler` into a temp dir, first on sys.path), then on this
tree, and prints both with the load average.
Usage: python bench/universe_tick.py [--thick 130] [--thin 110] [--days 45] [--ticks 6]
       python bench/universe_tick.py --pairs 1000 [--days 40] [--baseline main]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
CODE = os.environ.get("ZYN_BENCH_CODE")  # --baseline: another revision's core/bot/adapters first
if CODE:
    sys.path.insert(0, CODE)

from loguru import logger  # noqa: E402

from bench.load_pairs import build_load_folder  # noqa: E402
from bench.synthetic_pairs import build_folder  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.text.universe import reason_text  # noqa: E402
from bot.wiring.app import build_zyn  # noqa: E402
from bot.wiring.modules import refresh_universe  # noqa: E402
from core.markets.universe import UniverseRow, select  # noqa: E402
from core.strategy.module_settings import UniverseSettings  # noqa: E402

HOUR = 3_600_000
DATA = Path(os.environ.get("ZYN_SHARED_DATA", REPO.parent / "shared" / "data"))


KINDS = {"ranked": "in", "top_n": "beyond the top N by 24h volume", "min_volume": "24h volume below the minimum",
         "min_price": "price below the minimum", "max_spread": "spread above the maximum"}


def sched() -> tuple[float, float]:
    """The main thread's (seconds on a CPU, seconds waiting for one) since it started, from the
    kernel's schedstat: a tick's wall time = CPU + waiting for a core (the machine's load) + blocked
    (sleeps, locks, I/O: the process's own waits)."""
    run, wait, _ = Path("/proc/thread-self/schedstat").read_text().split()
    return int(run) / 1e9, int(wait) / 1e9


def reason_kind(row: UniverseRow) -> str:
    """A row's reason without its figures, to count pairs per filter (the rest: its words)."""
    return KINDS.get(row.why) or reason_text(row)


def baseline_then_this(rev: str, argv: list[str]) -> int:
    """Run this bench on `rev`'s code (exported to a temp dir), then on this tree; same arguments."""
    with tempfile.TemporaryDirectory() as code:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "core", "bot", "adapters", "scheduler"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", code], input=archive, check=True)
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], check=True,
                              capture_output=True, text=True).stdout.strip()
        base = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", rev], check=True,
                              capture_output=True, text=True).stdout.strip()
        rc = 0
        for label, env in ((f"baseline: {rev} ({base})", {"ZYN_BENCH_CODE": code}),
                           (f"this tree (HEAD {head} + working tree)", {})):
            print(f"== {label}; load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}", flush=True)
            rc |= subprocess.run([sys.executable, __file__, *argv], env={**os.environ, **env}, check=False).returncode
    return rc


def main() -> int:  # noqa: PLR0915 - one linear script
    ap = argparse.ArgumentParser()
    ap.add_argument("--thick", type=int, default=130)
    ap.add_argument("--thin", type=int, default=110)
    ap.add_argument("--pairs", type=int, default=0, help="N LOAD pairs from the real hourly candles instead")
    ap.add_argument("--days", type=int, default=45)
    ap.add_argument("--ticks", type=int, default=6)
    ap.add_argument("--baseline", default="", help="a git revision to run first, same session")
    ap.add_argument("--evidence", choices=("on", "off"), default="on",
                    help="the evidence gate (issue 17; on by default in Zyn): off shows the tick without it")
    args = ap.parse_args()
    if args.baseline:
        argv = [a for a in sys.argv[1:] if a != args.baseline and not a.startswith("--baseline")]
        return baseline_then_this(args.baseline, argv)
    logger.remove()
    logger.add(sys.stderr, level="CRITICAL")  # e.g. "insufficient funds" with 200+ pairs is expected
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        real = [DATA / "kraken" / "KRAKEN_BTC-USD_1h.csv", DATA / "kraken" / "KRAKEN_ETH-USD_1h.csv"]
        t0 = time.perf_counter()
        if args.pairs:
            build_load_folder(folder, DATA, args.pairs, hours=args.days * 24)
        else:
            build_folder(folder, real, args.thick, args.thin, hours=args.days * 24)
        env = {"DATABASE_URL": f"sqlite:///{tmp}/zyn.db", "PAPER_FEED": "replay", "PAPER_DATA": str(folder),
               "ZYN_TIMEFRAME": "1h", "ZYN_FEATURES": "universe,mtf,profit_target",
               "ZYN_UNIVERSE_MIN_VOLUME_USD": "0", "ZYN_UNIVERSE_MAX_PAIRS": "1000", "ZYN_UNIVERSE_MIN_PRICE": "0",
               "ZYN_UNIVERSE_MIN_HISTORY": "0", "ZYN_EVIDENCE": args.evidence}
        zyn = build_zyn(load_settings(env))
        replay, universe = zyn.replay, zyn.modules.universe
        if replay is None or universe is None:  # PAPER_FEED=replay and the universe module are set above
            raise SystemExit("no replay driver or no universe module: the bench's environment did not apply")
        files = len(list(folder.iterdir()))
        print(f"modules: universe, mtf, profit_target; evidence gate {args.evidence}")
        recipe = ("LOAD pairs: real hourly candles time-shifted and price-scaled" if args.pairs
                  else f"{args.thick} thick + {args.thin} thin synthetic + 2 real")
        print(f"data: {files} pair files ({recipe}), built in {time.perf_counter() - t0:.1f}s; code from "
              f"{CODE and 'the baseline export' or 'this tree'}", flush=True)
        synth_start = max(c[0].ts for _, c in zyn.market.dataset.values())
        start = synth_start + 30 * 24 * HOUR
        replay.skip_until(start)
        stats = universe.source.pair_stats()
        rows = select(stats, UniverseSettings())
        kinds = Counter(reason_kind(r) for r in rows)
        print(f"universe with the default filters ({UniverseSettings()}):")
        for kind, n in kinds.most_common():
            print(f"  {n:4d}  {kind}")
        pairs = refresh_universe(zyn)
        print(f"benchmark universe (no volume/price/count limits, USD only): {len(pairs)} pairs traded")
        flavour = getattr(zyn.autopilot.strategy, "flavour", None)  # issue 20.4 s7: the root picks it
        print(f"kernel flavour from the root: {flavour or 'none (each call by its own work)'}; numba loaded before "
              f"the first tick: {'numba' in sys.modules}", flush=True)
        times, cpu, queued, blocked = [], [], [], []
        for k in range(args.ticks):
            before = replay.ticks
            t, c, (run0, wait0) = time.perf_counter(), time.process_time(), sched()
            replay.step(start + (k + 1) * HOUR)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)  # this process's CPU: what the load cannot inflate
            run1, wait1 = sched()
            queued.append(wait1 - wait0)
            blocked.append(times[-1] - (run1 - run0) - queued[-1])
            print(f"tick {k + 1}: {replay.ticks - before} pair decisions in {times[-1]:.2f}s (CPU {cpu[-1]:.2f}s; "
                  f"main thread waiting for a core {queued[-1]:.2f}s, blocked {blocked[-1]:.2f}s)"
                  + (" (first: indicator warm-up from the history)" if k == 0 else ""))
        steady = times[1:] or times
        print(f"one autopilot tick over {len(pairs)} pairs: median {statistics.median(steady):.2f}s "
              f"(CPU median {statistics.median(cpu[1:] or cpu):.2f}s, waiting for a core median "
              f"{statistics.median(queued[1:] or queued):.2f}s, blocked median "
              f"{statistics.median(blocked[1:] or blocked):.2f}s), "
              f"max {max(steady):.2f}s (first incl. warm-up {times[0]:.2f}s); one candle = 3600s; "
              f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}; numba loaded: "
              f"{'numba' in sys.modules}", flush=True)
        zyn.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
