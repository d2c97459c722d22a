"""Synthetic thin and thick pairs written as CSV files beside the real ones (in a temp dir).

Why: the universe and the 200-pair tick need a Kraken-sized pair list, and we hold real candles for
only ~20 pairs. Each synthetic pair is a seeded geometric random walk of hourly candles on the
same UTC hours as a real reference file, with its own price level and 24h volume: "thick" pairs
trade millions a day, "thin" ones a few thousand, some cost less than the minimum price, some are
quoted in EUR. The real files are symlinked (never copied, never written into the repo).
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from core.domain import Candle
from core.market_data.csv_loader import load_csv

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def base_name(i: int) -> str:
    return "Q" + LETTERS[i // 26 % 26] + LETTERS[i % 26]


def walk(hours: list[int], seed: int, price: float, base_volume: float) -> list[Candle]:
    rnd = random.Random(seed)  # noqa: S311 - test data, not security
    out: list[Candle] = []
    p = price
    for ts in hours:
        o = p
        p = max(o * math.exp(rnd.gauss(0.0, 0.012)), 1e-9)
        hi = max(o, p) * (1 + abs(rnd.gauss(0.0, 0.004)))
        lo = min(o, p) * (1 - abs(rnd.gauss(0.0, 0.004)))
        out.append(Candle(ts, o, hi, lo, p, base_volume * rnd.uniform(0.3, 1.7)))
    return out


def write_csv(path: Path, candles: list[Candle]) -> None:
    lines = ["timestamp,open,high,low,close,volume"]
    lines += [f"{c.ts},{c.open:.10g},{c.high:.10g},{c.low:.10g},{c.close:.10g},{c.volume:.8g}" for c in candles]
    path.write_text("\n".join(lines) + "\n")


def build_folder(out: Path, real: list[Path], thick: int, thin: int, hours: int | None = None) -> list[str]:
    """Symlink `real` files into `out` and write `thick` + `thin` synthetic pairs on the hours of
    the first real file (its last `hours` rows when given). Returns the synthetic pairs' names."""
    out.mkdir(parents=True, exist_ok=True)
    for f in real:
        link = out / f.name
        if not link.exists():
            link.symlink_to(f.resolve())
    ref = load_csv(real[0])
    stamps = [c.ts for c in (ref[-hours:] if hours else ref)]
    names: list[str] = []
    for i in range(thick + thin):
        is_thick = i < thick
        price = 10 ** random.Random(i).uniform(-1.0, 3.0)  # noqa: S311 - 0.1 .. 1000
        if i % 17 == 5:
            price = 0.00002  # below the default minimum price
        usd_per_hour = (10 ** random.Random(1000 + i).uniform(5.0, 7.0)) if is_thick else \
            (10 ** random.Random(2000 + i).uniform(1.5, 3.5))
        quote = "EUR" if i % 23 == 7 else "USD"
        base = base_name(i)
        write_csv(out / f"SYN_{base}-{quote}_1h.csv", walk(stamps, i, price, usd_per_hour / price))
        names.append(f"{base}/{quote}")
    return names
