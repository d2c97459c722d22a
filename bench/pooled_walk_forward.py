"""Round-2 learner bench: the pooled walk-forward of every pre-registered variant on a set of folders.

Why: the protocol (bench/results/learner_protocol_2026-11-30.md) chooses a variant on the dev set
(kraken + kraken_cdd pooled as one universe) and then runs the frozen one once on binance. The
CLI takes one folder; this script pools several and prints one table per variant plus a summary
line each, so every variant, including the failures, is on record.
Usage: python bench/pooled_walk_forward.py [--folders kraken,kraken_cdd] [--variants V0,L-a,...]
       [--timeframe 4h] [--folds 5] [--seeds 20] [--data DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bot.wiring.dask_map import task_map  # noqa: E402
from core.learning.pooled_data import load_folder, merge  # noqa: E402
from core.learning.pooled_walk_forward import VARIANTS, PooledResult, pooled_walk_forward  # noqa: E402


def _pct(x: object) -> str:
    return f"{100 * float(x):+7.2f}" if isinstance(x, int | float) else "    n/a"


def table(res: PooledResult) -> str:
    lines = [
        f"variant {res.variant}: {res.timeframe}, {res.folds} folds, {res.seeds} control seeds, "
        f"{len(res.pairs)} pairs, {res.seconds:.1f} s",
        f"{'pair':24} {'base tr':>7} {'base%':>7} {'lrn tr':>6} {'learn%':>7} {'skip/sig':>9} {'ctrl%':>7}",
    ]
    for p in res.pairs:
        b, lr = p.baseline.summary(), p.learned.summary()
        lines.append(
            f"{p.pair:24} {b['trades']!s:>7} {_pct(b['total_return'])} {lr['trades']!s:>6} "
            f"{_pct(lr['total_return'])} {p.skipped:>4}/{p.signals:<4} {_pct(p.control_return)}"
        )
    s = res.summary()
    skipped, signals = sum(p.skipped for p in res.pairs), sum(p.signals for p in res.pairs)
    lines.append(
        f"SUMMARY {res.variant}: skipped {skipped}/{signals}; baseline {_pct(s['baseline_return'])} %, "
        f"learned {_pct(s['learned_return'])} %, control {_pct(s['control_return'])} %, "
        f"learned-control {_pct(float(s['learned_return']) - float(s['control_return']))} pts "  # type: ignore[arg-type]
        f"seeds beaten {s['seeds_beaten']}/{s['control_seeds']}, skill {s['skill']}; "
        f"avg max DD baseline {_pct(s['baseline_max_drawdown'])} %, learned {_pct(s['learned_max_drawdown'])} %"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--data", default=os.environ.get("ZYN_SHARED_DATA", str(REPO.parent / "shared" / "data")))
    ap.add_argument("--folders", default="kraken,kraken_cdd")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--timeframe", default="4h")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--dask", action="store_true", help="run the per-pair jobs on a local Dask cluster "
                    "(ZYN_DASK_SCHEDULER=tcp://host:port: on that cluster)")
    ap.add_argument("--out", default="")
    args = ap.parse_args(argv)
    folders = [f for f in args.folders.split(",") if f]
    t_load = time.perf_counter()
    uni = merge([load_folder(Path(args.data) / f, args.timeframe, label=f"{f}:") for f in folders])
    print(f"loaded {len(uni.data)} pairs in {time.perf_counter() - t_load:.1f} s", flush=True)
    texts = []
    with task_map(local_cluster=args.dask) as (tasks, _engine):
        for variant in [v for v in args.variants.split(",") if v]:
            t0 = time.perf_counter()
            res = pooled_walk_forward(uni.data, args.timeframe, args.folds, args.seeds, variant, tasks=tasks)
            res.seconds = time.perf_counter() - t0
            texts.append(table(res))
            print(texts[-1], flush=True)
    if args.out:
        Path(args.out).write_text(f"folders {','.join(folders)}\n\n" + "\n\n".join(texts) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
