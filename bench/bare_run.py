"""Whole-process yardstick: read the CSV(s) with pyarrow and run bench/bare_loop.py's numba loop.
Prints {"trades": N}. Usage: python bench/bare_run.py FILE_OR_DIR"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bare_loop import bare_backtest  # noqa: E402


def run(path: Path) -> int:
    t = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        include_columns=["timestamp", "open", "high", "low", "close"]))
    cols = [np.ascontiguousarray(t.column(c).to_numpy()) for c in ("timestamp", "open", "high", "low", "close")]
    trades, _ = bare_backtest(cols[0], *cols[1:], 8, 0.0001, 0.5, 10_000.0)  # Kraken BTC/USD minimums
    return int(trades)


def main() -> None:
    target = Path(sys.argv[1])
    files = sorted(target.glob("*.csv")) if target.is_dir() else [target]
    print(json.dumps({"trades": sum(run(f) for f in files)}))


if __name__ == "__main__":
    main()
