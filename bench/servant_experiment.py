"""Run one pre-registered gate variant of bench/results/servant_variants.tsv over one dev folder.

Usage: .venv/bin/python bench/servant_experiment.py VARIANT DIR TIMEFRAME [SEEDS]
Prints one JSON line: the variant, the folder, the timeframe and the `--servant` summary. A variant
that is not in the log is refused: every variant is counted before it is run (servant_protocol.md).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bot.cli.servant import VARIANTS_LOG, variants_tried
from core.evidence.rule import GateRule
from core.evidence.servant import servant_walk_forward
from core.kernel.arrays import CandleArrays
from core.learning.pooled_data import load_folder


def rule_of(variant: str) -> GateRule:
    rows = [ln.split("\t") for ln in VARIANTS_LOG.read_text(encoding="utf-8").splitlines()[1:] if ln.strip()]
    for row in rows:
        if row[0] == variant:
            return GateRule(name=row[0], min_trades=int(row[1]), lookback_days=int(row[2]),
                            prior_trades=float(row[3]), z=float(row[4]), enter_above=float(row[5]),
                            exit_below=float(row[6]), review_days=int(row[7]))
    raise SystemExit(f"{variant}: not in {VARIANTS_LOG}; append it first")


def main() -> None:
    variant, folder, tf = sys.argv[1], sys.argv[2], sys.argv[3]
    seeds = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    rule = rule_of(variant)
    t0 = time.perf_counter()
    uni = load_folder(folder, tf)
    data = {p: (CandleArrays.from_candles(c), m) for p, (c, m) in uni.data.items()}
    res = servant_walk_forward(data, tf, seeds=seeds, rule=rule, variants_tried=variants_tried())
    print(json.dumps({"variant": variant, "data": Path(folder).name, "timeframe": tf, "pairs": len(data),
                      "seconds": round(time.perf_counter() - t0, 1), **res.summary()}))


if __name__ == "__main__":
    main()
