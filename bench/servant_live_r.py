"""Mean R of the signals the default gate takes live vs all signals of the same pairs (why random gates win).

Usage: .venv/bin/python bench/servant_live_r.py [DIR] [TIMEFRAME]   (default ../shared/data/binance_dev_4h 4h)
"""

from __future__ import annotations

import sys
from pathlib import Path

from core.evidence.servant import servant_walk_forward
from core.kernel.arrays import CandleArrays
from core.learning.pooled_data import load_folder

REPO = Path(__file__).resolve().parents[1]


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else float("nan")


def main() -> None:
    folder = sys.argv[1] if len(sys.argv) > 1 else str(REPO.parent.parent / "shared" / "data" / "binance_dev_4h")
    tf = sys.argv[2] if len(sys.argv) > 2 else "4h"
    uni = load_folder(folder, tf)
    res = servant_walk_forward({p: (CandleArrays.from_candles(c), m) for p, (c, m) in uni.data.items()}, tf, seeds=1)
    every: list[float] = []
    picked_pairs: list[float] = []
    live: list[float] = []
    for tape in res.tapes:
        rs = [t.r_multiple for t in tape.trades]
        flags = res.live[tape.pair]
        every += rs
        if any(flags):
            picked_pairs += rs
            live += [r for r, f in zip(rs, flags, strict=True) if f]
    print(f"mean R: all signals {_mean(every):+.3f} (n={len(every)}); every signal of the pairs the gate went live "
          f"on {_mean(picked_pairs):+.3f} (n={len(picked_pairs)}); the signals it took live {_mean(live):+.3f} "
          f"(n={len(live)})")


if __name__ == "__main__":
    main()
