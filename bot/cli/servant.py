"""`zyn backtest --data DIR --timeframe TF --servant [--json] [--seeds N]`: the default servant walked
forward over every pair file in DIR in one shared account (core.evidence.servant).

Why its own module: loading the folder, the progress bar on stderr (stdout stays one JSON object),
the Dask fan-out of the per-pair plain runs (as `--learn`), reading how many gate variants were
tried while designing the rule (bench/results/servant_variants.tsv, one line per variant after
the header: the deflated Sharpe needs it) and the table. The rule is core.evidence.DEFAULT_RULE,
the risk cap core.strategy.account_risk's defaults (3 % total open risk, 5 positions).
"""

from __future__ import annotations

import argparse
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.learn_pooled import port_backtest
from bot.cli.output import print_report
from bot.cli.walk_run import fanned_out, load_universe, walk_timeframe
from core.domain import UserError
from core.evidence.servant import servant_walk_forward
from core.market_data.arrays import CandleArrays
from core.strategy.account_risk import AccountRiskConfig

if TYPE_CHECKING:
    from core.config import Settings

VARIANTS_LOG = Path(__file__).resolve().parents[2] / "bench" / "results" / "servant_variants.tsv"
# below this many candles in all, worker processes cost more than the per-pair runs they share: the 50
# binance_dev_4h pairs (0.34 M candles, 20 seeds) took 5-7 CPU-s / 19-32 s in one process against
# 11-13 CPU-s / 47-53 s on a local cluster at load 15-20 (bench/results/walk_forward_20_3_s5.txt)
LOCAL_CLUSTER_MIN_CANDLES = 2_000_000


def variants_tried(log: Path = VARIANTS_LOG) -> int:
    """Lines after the header of the committed variants log (at least 1: the rule itself)."""
    if not log.is_file():
        print(f"note: {log} not found; counting 1 variant for the deflated Sharpe", file=sys.stderr)
        return 1
    lines = [ln for ln in log.read_text(encoding="utf-8").splitlines()[1:] if ln.strip()]
    return max(1, len(lines))


def cmd_servant(args: argparse.Namespace, settings: Settings) -> int:
    tf = walk_timeframe(args)
    if args.learn:
        raise UserError("--servant already includes the learner (when its switch would be on); drop --learn")
    backtest = port_backtest(settings)
    t0 = time.perf_counter()
    universe = load_universe(args.data, tf, settings.candle_cache)
    data = {p: (CandleArrays.from_candles(c), m) for p, (c, m) in universe.data.items()}
    candles = sum(len(a) for a, _m in data.values())
    with fanned_out(candles >= LOCAL_CLUSTER_MIN_CANDLES, settings.dask_scheduler, 3 + args.seeds,
                    "servant walk-forward") as (tasks, engine, progress):
        account = AccountRiskConfig(max_total_risk=Decimal(repr(settings.max_total_risk_pct)) / 100,
                                    max_positions=settings.max_positions)  # the owner's cap, as live
        result = servant_walk_forward(data, tf, seeds=args.seeds, variants_tried=variants_tried(),
                                      progress=progress, tasks=tasks, backtest=backtest, account=account)
    result.seconds = time.perf_counter() - t0
    print_report(result.contract(), args.json, _format)
    print(f"servant walk-forward: {len(data)} pairs, rule {result.rule.name}, {result.walk.evaluations} gate "
          f"evaluations, {result.seconds:.1f} s ({engine})", file=sys.stderr)
    return 0


def _pct(x: Any) -> str:
    return f"{100 * x:+.2f} %" if isinstance(x, int | float) else "n/a"


def _format(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = [f"servant walk-forward {report['timeframe']}: {len(report['pairs'])} pairs, one shared account",
             f"{'pair':16} {'signals':>8} {'live':>6} {'shadow':>7} {'servant':>9} {'plain':>9}"]
    for p in report["pairs"]:
        lines.append(f"{p['pair']:16} {p['signals']:>8} {p['live_trades']:>6} {p['shadow_trades']:>7} "
                     f"{_pct(p['return_contribution']):>9} {_pct(p['baseline_contribution']):>9}")
    dsr = s["deflated_sharpe"]
    lines.append(
        f"plain {_pct(s['baseline_return'])} (max drawdown {_pct(s['baseline_max_drawdown'])}), servant "
        f"{_pct(s['servant_return'])} (max drawdown {_pct(s['servant_max_drawdown'])}), random gates "
        f"{_pct(s['control_return'])} ({s['control_seeds']} seeds, servant above {s['seeds_beaten']}); "
        f"{s['live_trades']} live, {s['shadow_trades']} shadow; deflated Sharpe "
        f"{dsr:.3f} over {s['variants_tried']} variants; "
        f"skill: {'yes' if s['skill'] else 'no'}")
    return "\n".join(lines)
