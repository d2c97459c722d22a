"""Walk-forward benchmark: baseline strategy vs the learner, out-of-sample, on every pair we have.

Why: the learner is only worth running if it beats the plain strategy on data it was not trained
on. For each 1h CSV in kraken/, kraken_cdd/ and binance/ (resampled to --timeframe) this runs
`core.learning.walk_forward.walk_forward` and prints trades, win rate, profit factor, return and max
drawdown for baseline vs learned, the average, the worst pair, and a control: the same number of
entries skipped at random (does the learner beat "just trade less"?). By default each pair's
model also learns from the other pairs of the same folder, over the same earlier period only.
The control uses 20 seeds; the learner shows skill only if it beats >= 95 % of their set averages
(pre-registered protocol: bench/results/learner_protocol.md).
Usage: python bench/walk_forward.py [--timeframe 4h] [--folds 5] [--no-pool] [--data DIR]
       [--folders kraken,kraken_cdd,binance] [--seeds 20] [--method cells|ridge] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from core.domain import Candle, Market  # noqa: E402
from core.learning.learner_model import LearnerConfig  # noqa: E402
from core.learning.pooled_walk_forward import RandomGate  # noqa: E402
from core.learning.walk_forward import WalkForwardResult, fold_starts, walk_forward, window  # noqa: E402
from core.market_data.arrays import CandleArrays  # noqa: E402
from core.market_data.csv_loader import load_csv  # noqa: E402
from core.market_data.resample import resample  # noqa: E402
from core.markets.catalog import market_for  # noqa: E402
from core.markets.pairs import pair_from_filename  # noqa: E402
from core.research.pair_backtest import PairBacktest  # noqa: E402

FOLDERS = ("kraken", "kraken_cdd", "binance")
CONTROL_SEEDS = 20


@dataclass
class Row:
    name: str
    base: dict[str, object]
    learned: dict[str, object]
    skipped: int
    signals: int
    control_returns: list[float] | None  # one test-window return per random-skip seed

    @property
    def control_return(self) -> float | None:
        return sum(self.control_returns) / len(self.control_returns) if self.control_returns else None

    @property
    def gain(self) -> float:
        return _f(self.learned["total_return"]) - _f(self.base["total_return"])


def _f(x: object) -> float:
    return float(x) if isinstance(x, int | float) else 0.0


def load_folder(folder: Path, timeframe: str) -> dict[str, tuple[list[Candle], Market]]:
    out: dict[str, tuple[list[Candle], Market]] = {}
    for f in sorted(folder.glob("*_1h.csv")):
        pair, tf = pair_from_filename(f.name)
        out[pair] = (resample(load_csv(f), tf, timeframe), market_for(pair))
    return out


def control_returns(
    candles: Sequence[Candle],
    pair: str,
    tf: str,
    market: Market,
    res: WalkForwardResult,
    folds: int,
    seeds: int = CONTROL_SEEDS,
) -> list[float] | None:
    """Test-window returns when the learner's skip rate is applied at random (one per seed)."""
    if not res.audit or res.skipped_by_learner == 0:
        return None
    first = fold_starts(len(candles), folds)[0]
    p = res.skipped_by_learner / len(res.audit)
    rets = []
    arrays = CandleArrays.from_candles(candles)
    for seed in range(seeds):
        gate = RandomGate(p, candles[first].ts, random.Random(seed))
        run = PairBacktest().run(pair, tf, market, arrays, gate=gate)  # the learner's engine
        rets.append(_f(window(run, first, candles, 0.0).summary()["total_return"]))
    return rets


def run(  # noqa: PLR0913
    data: Path,
    timeframe: str,
    folds: int,
    pool: bool,
    folders: Sequence[str] = FOLDERS,
    learner: LearnerConfig | None = None,
    seeds: int = CONTROL_SEEDS,
) -> list[Row]:
    rows: list[Row] = []
    for folder in folders:
        pairs = load_folder(data / folder, timeframe)
        for pair, (candles, market) in pairs.items():
            res = walk_forward(
                candles, pair, timeframe, market, folds, pool=pairs if pool else None, learner_config=learner
            )
            rows.append(
                Row(
                    f"{folder}:{pair}",
                    res.baseline.summary(),
                    res.learned.summary(),
                    res.skipped_by_learner,
                    len(res.audit),
                    control_returns(candles, pair, timeframe, market, res, folds, seeds),
                )
            )
    return rows


def _cells(s: dict[str, object]) -> str:
    wr, pf = s["win_rate"], s["profit_factor"]
    wr_t = f"{100 * _f(wr):5.1f}" if wr is not None else "  n/a"
    pf_t = f"{_f(pf):5.2f}" if pf is not None else "  n/a"
    ret, mdd = 100 * _f(s["total_return"]), 100 * _f(s["max_drawdown"])
    return f"{_f(s['trades']):5.0f} {wr_t} {pf_t} {ret:+7.2f} {mdd:6.2f}"


def table(rows: list[Row], header: str) -> str:
    cols = "trades  win%    PF  ret%   mdd%"
    lines = [
        header,
        f"{'pair':22} | {'baseline':^33} | {'learned':^33} | skip/sig  Δret%  ctrl%",
        f"{'':22} | {cols:>33} | {cols:>33} |",
    ]
    for r in rows:
        ctrl = f"{100 * r.control_return:+6.2f}" if r.control_return is not None else "   n/a"
        lines.append(
            f"{r.name:22} | {_cells(r.base):>33} | {_cells(r.learned):>33} | {r.skipped:3}/{r.signals:<4}"
            f" {100 * r.gain:+6.2f} {ctrl}"
        )
    return "\n".join(lines + summary(rows))


def summary(rows: list[Row]) -> list[str]:
    """Averages, the worst pair, and the random-skip control (pairs without skips count as baseline)."""
    n = len(rows)

    def avg(side: str, key: str) -> float:
        return 100 * sum(_f(getattr(r, side)[key]) for r in rows) / n

    ctrl = (
        100
        * sum(r.control_return if r.control_return is not None else _f(r.base["total_return"]) for r in rows)
        / n
    )
    learned = avg("learned", "total_return")
    beaten = _seeds_beaten(rows, learned)
    worst = min(rows, key=lambda r: r.gain)
    worse = [r.name for r in rows if r.gain < -1e-9]
    return [
        f"average return: baseline {avg('base', 'total_return'):+.2f} %, "
        f"learned {avg('learned', 'total_return'):+.2f} %, random-skip control {ctrl:+.2f} %",
        f"random-skip control seeds (set averages) below the learner: {beaten[0]} of {beaten[1]}"
        " (skill bar: >= 95 %)",
        f"average max drawdown: baseline {avg('base', 'max_drawdown'):.2f} %, "
        f"learned {avg('learned', 'max_drawdown'):.2f} %",
        f"worst pair for the learner: {worst.name} ({100 * worst.gain:+.2f} % return vs baseline)",
        f"learner worse than baseline on {len(worse)} of {n} pairs: {', '.join(worse) or 'none'}",
    ]


def _seeds_beaten(rows: list[Row], learned_avg: float) -> tuple[int, int]:
    """How many control seeds' set-average returns the learner's average beats."""
    seeds = max((len(r.control_returns or []) for r in rows), default=0)
    if seeds == 0:
        return 0, 0
    per_seed = [
        100
        * sum(
            (r.control_returns[i] if r.control_returns else _f(r.base["total_return"])) for r in rows
        )
        / len(rows)
        for i in range(seeds)
    ]
    return sum(1 for x in per_seed if learned_avg > x), seeds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    default = os.environ.get("ZYN_SHARED_DATA", str(REPO.parent / "shared" / "data"))
    ap.add_argument("--data", default=default)
    ap.add_argument("--timeframe", default="4h")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--no-pool", action="store_true", help="train each pair only on its own trades")
    ap.add_argument("--folders", default=",".join(FOLDERS), help="comma-separated data folders")
    ap.add_argument("--seeds", type=int, default=CONTROL_SEEDS, help="random-skip control seeds")
    ap.add_argument("--method", default="cells", choices=("cells", "ridge"), help="learner model")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "walk_forward.txt"))
    args = ap.parse_args(argv)
    folders = [f for f in args.folders.split(",") if f]
    learner = LearnerConfig(method=args.method)
    rows = run(Path(args.data), args.timeframe, args.folds, not args.no_pool, folders, learner, args.seeds)
    mode = "own pair only" if args.no_pool else "pooled with same-folder pairs (earlier trades only)"
    text = table(
        rows,
        f"walk-forward, {args.timeframe}, {args.folds} test folds, learner {args.method}, training: {mode}; "
        f"metrics over the test folds only; folders {','.join(folders)}",
    )
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
