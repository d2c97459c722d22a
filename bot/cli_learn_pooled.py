"""`zyn backtest --data DIR --learn`: the pooled walk-forward over every pair file in DIR.

Why its own module: the folder backtest without `--learn` and the fast kernel live elsewhere;
this is only the learning path — load the folder, run `core.pooled_walk_forward` with a progress
bar on stderr (stdout stays one JSON object), print the contract JSON or a table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from core.domain import UserError
from core.pooled_data import load_folder
from core.pooled_walk_forward import pooled_walk_forward
from core.timeframes import timeframe_seconds

DEFAULT_TIMEFRAME = "4h"


def cmd_pooled_learn(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot.cli_backtest import _out

    tf = args.timeframe or DEFAULT_TIMEFRAME
    timeframe_seconds(tf)
    if args.seeds < 1:
        raise UserError("--seeds must be at least 1")
    t0 = time.perf_counter()
    universe = load_folder(args.data, tf)
    for line in universe.skipped:
        print(f"left out {line}", file=sys.stderr)
    if not universe.data:
        raise UserError(f"{args.data}: no pair file with enough {tf} candles")
    with tqdm(total=3 * len(universe.data), desc="walk-forward", unit="step", file=sys.stderr,
              disable=None) as bar:
        result = pooled_walk_forward(
            universe.data, tf, seeds=args.seeds, progress=lambda label: _step(bar, label),
            workers=os.cpu_count() or 1,
        )
    result.seconds = time.perf_counter() - t0
    _out(result.contract(), args.json, _format)
    print(f"pooled walk-forward: {len(universe.data)} pairs in {result.seconds:.1f} s", file=sys.stderr)
    return 0


def _step(bar: Any, label: str) -> None:
    bar.set_postfix_str(label, refresh=False)
    bar.update(1)


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
        f"random-skip control {_pct(s['control_return'])} ({s['control_seeds']} seeds, learned above "
        f"{s['seeds_beaten']}); skill: {'yes' if s['skill'] else 'no'}"
    )
    return "\n".join(lines)
