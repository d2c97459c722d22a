"""CPU and wall time of fitting the pooled walk-forward's fold models, with BLAS free or held to one thread.

Why: issue 20 measured 46 % of the `--learn` CPU in OpenBLAS's spinning `blas_thread_server` while
`one_thread()` limited only OpenMP. This bench fits exactly the fold models `zyn backtest --data DIR
--learn` fits (the frozen variant, every distinct cut-off) over a real dev folder, twice and
prints wall time, process CPU time (all threads) and a digest of the fitted models' P(win) on 500
training rows; run it before and after a change to `core.learning.learner_ml.one_thread` (same
digest = same models).
Usage: .venv/bin/python bench/fit_threads.py [DIR] [TIMEFRAME]   (default ../shared/data/binance_dev_4h 4h)
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_info

from core.kernel.arrays import CandleArrays
from core.learning.learn_features import Universe
from core.learning.pooled_data import load_folder
from core.learning.pooled_tasks import CellFoldModel, PairInput, run_baseline
from core.learning.pooled_walk_forward import JUDGED_VARIANT, Trainer, _train_trades
from core.learning.walk_forward import fold_starts
from core.markets.timeframes import timeframe_ms
from core.research.pair_backtest import PairBacktest

REPO = Path(__file__).resolve().parents[1]


def cutoffs(data: dict[str, tuple[list[Any], object]], folds: int = 5) -> list[int]:
    return [candles[i].ts for candles, _m in data.values() for i in fold_starts(len(candles), folds)]


def main() -> None:
    folder = sys.argv[1] if len(sys.argv) > 1 else str(REPO.parent.parent / "shared" / "data" / "binance_dev_4h")
    tf = sys.argv[2] if len(sys.argv) > 2 else "4h"
    uni = load_folder(folder, tf)
    bt = PairBacktest()
    baselines = {p: run_baseline(PairInput(p, tf, m, CandleArrays.from_candles(c), 0, bt))
                 for p, (c, m) in uni.data.items()}
    universe = Universe({p: c for p, (c, _m) in uni.data.items()}, {p: r.trades for p, r in baselines.items()}, tf)
    trades = _train_trades(baselines, universe, timeframe_ms(tf))
    cuts = cutoffs(uni.data)
    pools = sorted({(i["user_api"], i["internal_api"], i["num_threads"]) for i in threadpool_info()})
    print(f"{len(uni.data)} pairs, {len(trades)} training trades, {len(set(cuts))} distinct cut-offs; pools {pools}")
    trainer = Trainer(trades, JUDGED_VARIANT, tf, universe)
    wall, cpu = time.perf_counter(), time.process_time()
    trainer.fit_all(cuts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    x = [t.features for t in trades[:500]]
    digest = hashlib.sha256(json.dumps(
        [None if isinstance(f, CellFoldModel) or f.model is None else f.model.probs(x) for f in trainer.cache.values()]
    ).encode()).hexdigest()[:16]
    print(f"fitting {len(trainer.cache)} fold models: wall {wall:.1f} s, process CPU {cpu:.1f} s (all threads); "
          f"P(win) digest {digest}")


if __name__ == "__main__":
    main()
