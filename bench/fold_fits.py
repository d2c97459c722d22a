"""How many fold models a pooled walk-forward fits, and how many of them could be shared (issue 20.3).

Why: fold fits were cached per distinct cutoff (`core/learning/pooled_walk_forward.py::Trainer`),
so pairs on one calendar shared them; two different cutoffs with no trade closing between them
train on the same trades, and since issue 20.3 (session 5) an ML fold model is fitted once per
training set. This counts, on a real folder, the fold requests, the distinct cutoffs (the fits
per cutoff, as before) and the distinct training sets (the ML fits now), then stops before the
first fit (the baselines run; nothing is fitted).

    .venv/bin/python bench/fold_fits.py ../shared/data/binance_dev_4h [--timeframe 4h]
"""

from __future__ import annotations

import argparse
import bisect
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import core.learning.pooled_walk_forward as pw  # noqa: E402
from core.learning.pooled_data import load_folder  # noqa: E402
from core.research.task_map import TaskMap, serial_map  # noqa: E402


class _Counted(Exception):
    pass


class CountingTrainer(pw.Trainer):
    """A Trainer that reports what it would fit and fits nothing."""

    def fit_all(self, cutoffs: Sequence[int], tasks: TaskMap = serial_map) -> None:
        exits = [t.record.exit_ts for t in self.trades]
        distinct = list(dict.fromkeys(cutoffs))
        sizes = [bisect.bisect_left(exits, c) for c in distinct]
        print(f"fold requests {len(cutoffs)}, distinct cutoffs {len(distinct)} (fits per cutoff), "
              f"distinct training sets {len(set(sizes))} (ML fits now); {len(self.trades)} training trades; "
              f"rows fitted {sum(sizes)} (per cutoff) vs {sum(set(sizes))} (per training set)")
        raise _Counted


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--timeframe", default="4h")
    ap.add_argument("--seeds", type=int, default=20)
    args = ap.parse_args()
    data = load_folder(args.folder, args.timeframe).data
    t0 = time.perf_counter()
    pw.Trainer = CountingTrainer  # type: ignore[misc] - the one module attribute the run looks up
    try:
        pw.pooled_walk_forward(data, args.timeframe, seeds=args.seeds)
    except _Counted:
        pass
    print(f"{len(data)} pairs; baselines and trade features in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
