"""`zyn backtest --data DIR --learn`: the pooled walk-forward over every pair file in DIR.

Why its own module: the folder backtest without `--learn` and the fast kernel live elsewhere;
this is only the learning path — load the folder, run `core.learning.pooled_walk_forward` with a progress
bar on stderr (stdout stays one JSON object), print the contract JSON or a table. The strategy is
the Strategy port's (ZYN_STRATEGY, default sma20_atr: the compiled kernel); the per-pair runs fan
out through bot/wiring/dask_map.py (ZYN_DASK_SCHEDULER, else a local cluster when the universe is big
enough to repay starting one, else this process).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING, Any

from bot.cli.output import print_report
from bot.cli.walk_run import fanned_out, load_universe, walk_timeframe
from core.kernel.strategies import strategy_named
from core.learning.pooled_walk_forward import pooled_walk_forward
from core.research.pair_backtest import PairBacktest

if TYPE_CHECKING:
    from core.config import Settings

# below this many candle-runs (pairs x candles x (2 + seeds)) starting worker processes (each
# importing numpy, numba and scikit-learn) costs more than it saves on 2 cores: 40 pairs x 18 months
# (2.9 M) took 10-25 s in one process and 21-28 s on a local cluster (bench/pooled_speed.py); 10
# binance_dev_4h pairs x up to 5 y (50 fold fits, 1.6 M) 41 CPU-s / 163 s in one process against 65 CPU-s / 221 s
# on a local cluster at load 6-12 (bench/walk_forward_speed.py, bench/results/walk_forward_20_3_s5.txt)
LOCAL_CLUSTER_MIN_CANDLE_RUNS = 50_000_000


def cmd_pooled_learn(args: argparse.Namespace, settings: Settings) -> int:
    tf = walk_timeframe(args)
    backtest = port_backtest(settings)  # an unknown ZYN_STRATEGY fails here, before any file is read
    t0 = time.perf_counter()
    universe = load_universe(args.data, tf, settings.candle_cache)
    runs = sum(len(c) for c, _m in universe.data.values()) * (2 + args.seeds)
    with fanned_out(runs >= LOCAL_CLUSTER_MIN_CANDLE_RUNS, settings.dask_scheduler, 3 * len(universe.data),
                    "walk-forward") as (tasks, engine, progress):
        result = pooled_walk_forward(universe.data, tf, seeds=args.seeds, progress=progress, tasks=tasks,
                                     backtest=backtest)
    result.seconds = time.perf_counter() - t0
    print_report(result.contract(), args.json, _format)
    print(f"pooled walk-forward: {len(universe.data)} pairs in {result.seconds:.1f} s ({engine}, "
          f"{backtest.strategy.name} on the {'kernel' if backtest.compiled else 'reference backtester'})",
          file=sys.stderr)
    return 0


def port_backtest(settings: Settings) -> PairBacktest:
    """The strategy the learner evaluates: the ZYN_STRATEGY setting through the Strategy port
    (default sma20_atr, which runs on the compiled kernel; the settings loader refused unknown names)."""
    return PairBacktest(strategy_named(settings.strategy))


def _pct(x: Any) -> str:
    return f"{100 * x:+.2f} %" if isinstance(x, int | float) else "n/a"


def _format(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = [
        f"pooled walk-forward {report['timeframe']}: {len(report['pairs'])} pairs, {report['folds']} folds "
        f"(test folds only; averages over pairs)",
        f"{'pair':16} {'baseline':>10} {'learned':>10} {'control':>10} {'skipped':>10}",
    ]
    for p in report["pairs"]:
        lines.append(
            f"{p['pair']:16} {_pct(p['baseline']['total_return']):>10} {_pct(p['learned']['total_return']):>10} "
            f"{_pct(p['control_return']):>10} {p['skipped']:>4}/{p['signals']:<5}"
        )
    lines.append(
        f"average: baseline {_pct(s['baseline_return'])}, learned {_pct(s['learned_return'])}, "
        f"random-skip control {_pct(s['control_return'])} (learned above {s['seeds_beaten']} of "
        f"{s['control_seeds']} seeds); skill: {'yes' if s['skill'] else 'no'}"
    )
    return "\n".join(lines)
