"""Generated many-pair data for load runs against the sim: LOAD DATA, never evidence about a strategy.

Why generated: the universe and the rate budget must be shown on dozens to hundreds of pairs, and
the shared data has 50 at most. Each generated pair takes real candles from `../shared/data/`
(so the price paths are realistic), scales its prices by a power of ten (some end up below 0.0001,
some above 10,000: the formats and the price filter meet both), keeps the quote volume of the
original, and shifts time so every file ends on the same 4h boundary. The files are written into
a directory the caller owns (a test's tmp dir), named `LOAD_<CODE>-USD_<tf>.csv`, with a
`LOAD_DATA.txt` saying what they are. Nothing here is committed data.
"""

from __future__ import annotations

import csv
import os
from itertools import product
from pathlib import Path
from string import ascii_uppercase

SHARED = Path(os.environ.get("ZYN_SHARED_DATA", Path(__file__).parents[3] / "shared" / "data"))
SOURCE = SHARED / "binance_dev_4h"
FOUR_HOURS_MS = 4 * 3_600_000
END_MS = 1_672_531_200_000  # 2023-01-01T00:00Z, a 4h boundary every generated file ends at
NOTE = ("LOAD DATA: generated from ../shared/data/binance_dev_4h for load and many-pair tests "
        "(prices scaled by powers of ten, times shifted). Not evidence about any strategy.\n")


def codes(n: int) -> list[str]:
    """LAA, LAB, ... : base asset names no exchange lists."""
    return ["L" + a + b for a, b in product(ascii_uppercase, repeat=2)][:n]


def generate(out: Path, n: int, rows: int = 400, source: Path = SOURCE) -> list[str]:
    """Write `n` pair files of `rows` 4h candles into `out`; returns the pairs (LAA/USD, ...)."""
    files = sorted(source.glob("*_4h.csv"))
    if not files:
        raise FileNotFoundError(f"no 4h candle files under {source}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "LOAD_DATA.txt").write_text(NOTE)
    pairs = []
    for i, code in enumerate(codes(n)):
        src = files[i % len(files)]
        with src.open() as fh:
            body = list(csv.reader(fh))[1:][-rows:]
        scale = 10.0 ** ((i % 11) - 6)  # 1e-6 ... 1e4
        shift = END_MS - (int(body[-1][0]) + FOUR_HOURS_MS)
        with (out / f"LOAD_{code}-USD_4h.csv").open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["timestamp", "open", "high", "low", "close", "volume"])
            for ts, o, h, low, c, v in body:
                w.writerow([int(ts) + shift, *(f"{float(x) * scale:.12g}" for x in (o, h, low, c)),
                            f"{float(v) / scale:.12g}"])
        pairs.append(f"{code}/USD")
    return pairs
