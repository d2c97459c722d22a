"""Wall time of the pooled walk-forward on issue 11's workload: 40 pairs x 18 months of 1h candles at 4h.

Why generated candles: ../shared/data holds 21 pairs of 1h candles and only 6 of them span 18 months
(binance: 15 pairs x 12 months), so the 40-pair universe is written from a fixed seed by
bench/bench_data.py (a fat-tailed random walk per pair, own price level and volatility, all on the
same calendar as a real universe would be) into a cache folder (never the repo). What is timed is
the real command as the README documents it, as a whole process:
    zyn backtest --data DIR --timeframe 4h --learn --json [--seeds 20]
`--profile` instead runs it in this process under cProfile and prints where the time goes.
Usage: python bench/pooled_speed.py [--pairs 40] [--months 18] [--seeds 20] [--dir DIR] [--repeat 1]
       [--zyn PATH-TO-ZYN] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from bench_data import base_name, candles, write  # noqa: E402

HOUR_MS = 3_600_000


def build(root: Path, pairs: int, months: int) -> Path:
    """`pairs` files of `months` x 30.44 days of 1h candles, seeded by the pair's index."""
    hours = round(months * 30.44 * 24)
    folder = root / f"pooled_{pairs}x{months}m"
    for i in range(pairs):
        price = 0.5 + 1.37 ** (i % 23)  # 1.5 .. ~1,000: every lot-rounding regime
        sigma = 0.006 + 0.0004 * (i % 9)
        write(folder / f"SYN_{base_name(i)}-USD_1h.csv", candles(5000 + i, hours, HOUR_MS, price, sigma))
    return folder


def command(zyn: str, folder: Path, seeds: int) -> list[str]:
    return [zyn, "backtest", "--data", str(folder), "--timeframe", "4h", "--learn", "--json", "--seeds", str(seeds)]


def timed(cmd: list[str], local: bool) -> tuple[float, float, dict[str, object], str]:
    """(wall s, CPU s of the process and its children, the JSON, the last stderr line)."""
    env = {k: v for k, v in os.environ.items() if k != "ZYN_DASK_SCHEDULER"}
    if local:
        env["ZYN_DASK_SCHEDULER"] = "local"
    before = os.times()
    t0 = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, check=False)
    wall = time.perf_counter() - t0
    after = os.times()
    cpu = after.children_user + after.children_system - before.children_user - before.children_system
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {res.stderr.strip().splitlines()[-1:]}")
    return wall, cpu, json.loads(res.stdout), res.stderr.strip().splitlines()[-1]


def profile(folder: Path, seeds: int) -> None:
    import cProfile
    import pstats

    sys.path.insert(0, str(REPO))
    from bot.cli.main import main as zyn_main

    prof = cProfile.Profile()
    prof.enable()
    with open(os.devnull, "w") as sink:
        old, sys.stdout = sys.stdout, sink
        try:
            zyn_main(["backtest", "--data", str(folder), "--timeframe", "4h", "--learn", "--json", "--seeds",
                      str(seeds)])
        finally:
            sys.stdout = old
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(35)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--pairs", type=int, default=40)
    ap.add_argument("--months", type=int, default=18)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "zyn-bench"))
    ap.add_argument("--zyn", default=str(REPO / ".venv" / "bin" / "zyn"))
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--local-cluster", action="store_true", help="ZYN_DASK_SCHEDULER=local: force a local cluster")
    args = ap.parse_args(argv)
    folder = build(Path(args.dir), args.pairs, args.months)
    print(f"workload: {args.pairs} generated pairs (seeded) x {args.months} months of 1h in {folder}", flush=True)
    if args.profile:
        profile(folder, args.seeds)
        return 0
    cmd = command(args.zyn, folder, args.seeds)
    print("command: " + " ".join(cmd), flush=True)
    walls = []
    for _ in range(args.repeat):
        load = os.getloadavg()[0]
        wall, cpu, body, last = timed(cmd, args.local_cluster)
        walls.append(wall)
        s = body["summary"]
        print(f"wall {wall:.1f} s, CPU {cpu:.1f} s, load average before {load:.1f} ({last}); "
              f"{len(body['pairs'])} pairs, baseline {s['baseline_return']:+.4f}, "  # type: ignore[arg-type,index]
              f"learned {s['learned_return']:+.4f}, control {s['control_return']:+.4f}", flush=True)  # type: ignore[index]
    print(f"pooled walk-forward {args.pairs} pairs x {args.months} months 1h at 4h: "
          f"median {sorted(walls)[len(walls) // 2]:.1f} s over {len(walls)} run(s) on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
