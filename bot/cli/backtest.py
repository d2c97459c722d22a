"""`zyn backtest`: the autopilot's own strategy/risk code over a CSV of candles."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.alerts.charts import ChartUnavailable, backtest_png
from bot.cli.backtest_folder import format_table, run_folder
from bot.cli.backtest_strategy import backtest_with
from bot.cli.output import clean, print_json, print_report
from bot.cli.servant import cmd_servant
from core.domain import UserError
from core.kernel.strategies import strategy_named
from core.market_data.csv_loader import load_csv
from core.market_data.resample import resample
from core.markets.catalog import market_for
from core.markets.pairs import normalize_pair, pair_from_filename
from core.markets.timeframes import timeframe_seconds
from core.strategy.entry_rules import EntryRules
from core.strategy.features import parse_feature_list
from core.strategy.mtf import confirming_timeframes
from core.strategy.profit_target import DailyTarget

if TYPE_CHECKING:
    from core.config import Settings


def load_backtest_candles(args: argparse.Namespace) -> tuple[str, str, list[Any]]:
    file_pair, file_tf = pair_from_filename(args.data)
    pair = normalize_pair(args.pair) if args.pair else file_pair
    tf = args.timeframe or file_tf
    timeframe_seconds(tf)
    candles = resample(load_csv(args.data), file_tf, tf)
    if len(candles) < 2:
        raise UserError(f"{args.data}: too few candles for a backtest at {tf}")
    return pair, tf, candles


def _cmd_folder(args: argparse.Namespace, settings: Settings) -> int:
    """`--servant`, `--learn` or the plain strategy over every pair file of a folder."""
    if getattr(args, "servant", False):
        if not Path(args.data).is_dir():
            raise UserError(f"--servant walks a folder of pair files forward; {args.data} is not a folder")

        return cmd_servant(args, settings)
    if args.learn:
        from bot.cli.learn_pooled import cmd_pooled_learn  # lazy: keeps numpy, sqlalchemy, sqlmodel out of this import

        return cmd_pooled_learn(args, settings)
    if getattr(args, "features", None):
        raise UserError("--features runs on one pair file; give --data FILE (a folder runs the plain strategy)")

    print_report(run_folder(args.data, args.timeframe, settings), args.json, format_table)
    return 0


def cmd_backtest(args: argparse.Namespace, settings: Settings) -> int:
    if not Path(args.data).exists():  # before reading a pair from the name of a file that is not there
        raise UserError(f"--data {args.data}: no such file or folder")
    if getattr(args, "servant", False) or Path(args.data).is_dir():
        return _cmd_folder(args, settings)
    if args.plot:
        _check_plot_path(args.plot)  # fail in one line before minutes of backtest, not after
    if args.learn:
        from bot.cli.learn_pooled import port_backtest  # lazy: keeps numpy, sqlalchemy, sqlmodel out of this import

        # lazy: keeps numpy, sqlalchemy, sqlmodel out of this import
        from core.learning.walk_forward import walk_forward

        pair, tf, candles = load_backtest_candles(args)
        wf = walk_forward(candles, pair, tf, market_for(pair), backtest=port_backtest(settings))
        if args.plot:
            curves = {"baseline": wf.baseline.equity_curve, "learned": wf.learned.equity_curve}
            _plot(args.plot, [c.ts for c in candles], curves, f"{pair} {tf} walk-forward equity")
        print_report(wf.contract(), args.json, _format_learn)
        return 0
    file_pair, file_tf = pair_from_filename(args.data)
    tf = args.timeframe or file_tf
    timeframe_seconds(tf)
    features, rules = backtest_rules(args, tf, settings)

    # through the Strategy port: the pinned strategy's compiled kernel, else the reference Backtester
    strategy = strategy_named(settings.strategy)
    result, times = backtest_with(strategy, args.data, args.timeframe,
                                  normalize_pair(args.pair) if args.pair else file_pair, rules)
    summary = clean(result.summary())
    if args.features is not None:  # only with --features: the contract's field list stays as it is
        summary["features"] = list(features)
    if args.plot:
        _plot(args.plot, [int(t) for t in times], {"equity": [float(x) for x in result.equity_curve]},
              f"{result.pair} {result.timeframe} equity")
    if args.json:
        print_json(summary)
    else:
        print(_format(summary))
    return 0


def backtest_rules(args: argparse.Namespace, tf: str, settings: Settings) -> tuple[tuple[str, ...], Any]:
    """`--features LIST` -> the same EntryRules the autopilot uses (its module settings, at `tf`)."""
    features = parse_feature_list(getattr(args, "features", "") or "")
    if not features:
        return features, None
    if args.learn:
        raise UserError("--features is not available with --learn yet; run them separately")
    ms = settings.modules
    confirming_timeframes(tf, ms.mtf_timeframes)  # ZYN_MTF_TIMEFRAMES checked against this run's timeframe
    rules = EntryRules.fixed(
        tf, features, target=DailyTarget(ms.profit_target_pct, ms.profit_target_action),
        sessions=ms.sessions, mtf_timeframes=ms.mtf_timeframes,
    )
    return features, rules


MONEY_FIELDS = frozenset({"final_equity", "fees_paid", "start_equity"})  # to the cent, like every reply


def _fmt_value(v: Any, key: str = "") -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:,.2f}" if key in MONEY_FIELDS else f"{v:,.4f}"
    return str(v)


def _format(summary: dict[str, Any]) -> str:
    return "\n".join(f"{k:>14}: {_fmt_value(v, k)}" for k, v in summary.items())


def _format_learn(report: dict[str, Any]) -> str:
    keys = [k for k in report["baseline"] if k not in ("pair", "timeframe")]
    lines = [f"walk-forward {report['baseline'].get('pair')} {report['baseline'].get('timeframe')}: "
             f"{report['folds']} folds, {report['skipped_by_learner']} entries skipped by the learner",
             f"{'':>14}  {'baseline':>14}  {'learned':>14}"]
    lines += [f"{k:>14}  {_fmt_value(report['baseline'][k], k):>14}  {_fmt_value(report['learned'].get(k), k):>14}"
              for k in keys]
    return "\n".join(lines)


def _check_plot_path(path: str) -> None:
    target = Path(path)
    if target.is_dir():
        raise UserError(f"--plot {path} is a directory; give a file name such as equity.png")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UserError(f"--plot {path}: no such folder {folder}")
    if not os.access(folder, os.W_OK):
        raise UserError(f"--plot {path}: folder {folder} is not writable")


def _plot(path: str, times: list[int], curves: dict[str, list[float]], title: str) -> None:
    """Write the PNG (dates on the x-axis) or fail with one line; never silently skip."""
    try:
        Path(path).write_bytes(backtest_png(times, curves, title))
    except OSError as exc:
        raise UserError(f"cannot write plot {path}: {exc.strerror}") from None
    except ChartUnavailable as exc:
        raise UserError(f"--plot {path}: {exc}") from None
    print(f"plot written to {path}", file=sys.stderr)
