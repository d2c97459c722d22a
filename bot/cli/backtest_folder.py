"""`zyn backtest --data DIR` without --learn: every pair file in the folder, one row per pair and
totals. The per-file work is core.kernel.jobs.summarize_file; it fans out through Dask
(`distributed`, bot/wiring/dask_map.py) — ZYN_DASK_SCHEDULER=tcp://host:port uses an existing cluster,
otherwise a local cluster when the folder is big enough to repay starting one, else this process."""

from __future__ import annotations

import os
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.wiring.dask_map import task_map
from core.domain import UserError
from core.market_data.csv_loader import csv_files
from core.markets.pairs import pair_from_filename
from core.markets.timeframes import timeframe_seconds

if TYPE_CHECKING:
    from core.config import Settings

# below this much CSV in total, starting worker processes (each importing numba and loading the
# kernel) costs more than the work: 200 pairs x 1 y of 1h (~100 MB) run faster in this process
LOCAL_CLUSTER_MIN_CANDLE_BYTES = 1 << 30


def pair_files(folder: str) -> list[Path]:
    """The finest-timeframe file of each pair in the folder (as the replay feed picks them)."""
    best: dict[str, tuple[int, Path]] = {}
    for f in csv_files(folder):
        try:
            pair, tf = pair_from_filename(f.name)
        except UserError:
            continue  # not a pair file (e.g. a notes.csv): not part of the universe
        sec = timeframe_seconds(tf)
        if pair not in best or sec < best[pair][0]:
            best[pair] = (sec, f)
    if not best:
        raise UserError(f"{folder}: no pair files named like KRAKEN_BTC-USD_1h.csv")
    return [best[p][1] for p in sorted(best)]


def run_folder(folder: str, timeframe: str | None, settings: Settings) -> dict[str, Any]:
    t0 = time.perf_counter()
    files = [str(f) for f in pair_files(folder)]
    if timeframe:
        timeframe_seconds(timeframe)
    rows, engine = _fan_out(files, timeframe, settings)
    return {"timeframe": timeframe or _common_tf(rows), "engine": engine, "pairs": rows,
            "totals": totals(rows, time.perf_counter() - t0)}


def _common_tf(rows: list[dict[str, Any]]) -> str:
    tfs = {str(r["timeframe"]) for r in rows}
    return tfs.pop() if len(tfs) == 1 else "mixed"


def _fan_out(files: list[str], timeframe: str | None, settings: Settings) -> tuple[list[dict[str, Any]], str]:
    from core.kernel.jobs import summarize_file  # lazy: keeps numpy out of this import

    big = sum(Path(f).stat().st_size for f in files) >= LOCAL_CLUSTER_MIN_CANDLE_BYTES
    with task_map(local_cluster=len(files) >= 2 and big, workers=min(len(files), os.cpu_count() or 1),
                  scheduler=settings.dask_scheduler) as (run, engine):
        return run(partial(summarize_file, timeframe=timeframe, cache=settings.candle_cache or None), files), engine


def totals(rows: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    start = sum(float(r["start_equity"]) for r in rows)
    final = sum(float(r["final_equity"]) for r in rows)
    trades = sum(int(r["trades"]) for r in rows)
    wins = sum(int(r["wins"]) for r in rows)
    return {
        "pairs": len(rows),
        "candles": sum(int(r["candles"]) for r in rows),
        "trades": trades,
        "wins": wins,
        "losses": sum(int(r["losses"]) for r in rows),
        "win_rate": wins / trades if trades else None,
        "fees_paid": sum(float(r["fees_paid"]) for r in rows),
        "start_equity": start,
        "final_equity": final,
        "total_return": final / start - 1.0 if start else None,
        "mean_return": sum(float(r["total_return"]) for r in rows) / len(rows),
        "worst_max_drawdown": max(float(r["max_drawdown"]) for r in rows),
        "seconds": round(seconds, 4),
    }


def format_table(report: dict[str, Any]) -> str:
    cols = ("pair", "timeframe", "candles", "trades", "win_rate", "total_return", "max_drawdown", "sharpe")
    lines = [" ".join(f"{c:>13}" for c in cols)]
    for r in report["pairs"]:
        lines.append(" ".join(f"{_cell(r.get(c)):>13}" for c in cols))
    t = report["totals"]
    lines.append(" ".join(f"{_cell(v):>13}" for v in (
        f"TOTAL {t['pairs']}", report["timeframe"], t["candles"], t["trades"], t["win_rate"], t["total_return"],
        t["worst_max_drawdown"], None)))
    lines.append(f"engine: {report['engine']}; {t['seconds']:.2f} s")
    return "\n".join(lines)


def _cell(v: Any) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:,.4f}"
    return str(v)
