"""`zyn backtest`: the autopilot's own strategy/risk code over a CSV of candles."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING, Any

from core.backtest import BacktestResult
from core.domain import UserError
from core.market_data.csv_loader import load_csv
from core.market_data.resample import resample
from core.markets_catalog import market_for
from core.pairs import normalize_pair, pair_from_filename
from core.timeframes import timeframe_seconds

if TYPE_CHECKING:
    from core.kernel.backtest import KernelResult


def load_backtest_candles(args: argparse.Namespace) -> tuple[str, str, list[Any]]:
    file_pair, file_tf = pair_from_filename(args.data)
    pair = normalize_pair(args.pair) if args.pair else file_pair
    tf = args.timeframe or file_tf
    timeframe_seconds(tf)
    candles = resample(load_csv(args.data), file_tf, tf)
    if len(candles) < 2:
        raise UserError(f"{args.data}: too few candles for a backtest at {tf}")
    return pair, tf, candles


def cmd_backtest(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.cli import print_json

    if not args.learn and Path(args.data).is_dir():
        from bot.backtest_folder import format_table, run_folder

        _out(run_folder(args.data, args.timeframe), args.json, format_table)
        return 0
    if args.learn:
        from core.walk_forward import run_walk_forward

        pair, tf, candles = load_backtest_candles(args)
        report = run_walk_forward(candles, pair, tf, market_for(pair))
        _out(report, args.json, _format_learn)
        return 0
    from core.kernel.jobs import backtest_file

    file_pair, _ = pair_from_filename(args.data)
    result = backtest_file(args.data, args.timeframe, normalize_pair(args.pair) if args.pair else file_pair)
    summary = _clean(result.summary())
    if args.plot:
        _plot(result, args.plot)
    if args.json:
        print_json(summary)
    else:
        print(_format(summary))
    return 0


def _out(report: dict[str, Any], as_json: bool, fmt: Any) -> None:
    from bot.cli import print_json

    report = _clean(report)
    print_json(report) if as_json else print(fmt(report))


def _clean(obj: Any) -> Any:
    """JSON has no NaN/inf: an undefined figure is null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    return obj


def _fmt_value(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:,.4f}"
    return str(v)


def _format(summary: dict[str, Any]) -> str:
    return "\n".join(f"{k:>14}: {_fmt_value(v)}" for k, v in summary.items())


def _format_learn(report: dict[str, Any]) -> str:
    keys = [k for k in report["baseline"] if k not in ("pair", "timeframe")]
    lines = [f"walk-forward {report['baseline'].get('pair')} {report['baseline'].get('timeframe')}: "
             f"{report['folds']} folds, {report['skipped_by_learner']} entries skipped by the learner",
             f"{'':>14}  {'baseline':>14}  {'learned':>14}"]
    lines += [f"{k:>14}  {_fmt_value(report['baseline'][k]):>14}  {_fmt_value(report['learned'].get(k)):>14}"
              for k in keys]
    return "\n".join(lines)


def _plot(result: BacktestResult | KernelResult, path: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(range(len(result.equity_curve)), result.equity_curve, linewidth=1)
    ax.set_title(f"{result.pair} {result.timeframe} equity")
    ax.set_xlabel("candle")
    ax.set_ylabel("equity")
    fig.tight_layout()
    try:
        fig.savefig(path, format="png")
    except OSError as exc:
        raise UserError(f"cannot write plot {path}: {exc.strerror}") from None
