"""Load data: N generated pairs built from the real hourly candles of the shared data.

Why: the 1,000-pair tick (issue 20.4) and the 240-pair soak (20.5) need more pairs on one calendar
than the shared data holds (15 Binance + 2 Kraken hourly files). Each generated pair is a real
file's candles, time-shifted (taken from an earlier stretch of that file and relabelled onto the
common hours) and price-scaled (volume scaled the other way, so the traded value stays real). The
shapes are the market's own; the pairs are not: they are labelled LOAD data everywhere (file prefix
`LOAD_`, bases `L0000`..), written into a temp folder, never into the repo, and never used for a
strategy or research figure.
"""

from __future__ import annotations

import random
from pathlib import Path

from core.domain import Candle
from core.market_data.csv_loader import load_csv

HOUR = 3_600_000


def real_hourly(shared: Path) -> list[Path]:
    """The real 1h files the load pairs are made from (Binance first, then Kraken)."""
    return sorted((shared / "binance").glob("*_1h.csv")) + sorted((shared / "kraken").glob("*_1h.csv"))


def load_name(i: int) -> str:
    return f"L{i:04d}"


def shifted(source: list[Candle], stamps: list[int], shift: int, scale: float) -> list[Candle]:
    """`len(stamps)` candles of `source` ending `shift` rows before its end, on `stamps`, prices x scale."""
    end = len(source) - shift
    rows = source[end - len(stamps):end]
    return [
        Candle(ts, c.open * scale, c.high * scale, c.low * scale, c.close * scale, c.volume / scale)
        for ts, c in zip(stamps, rows, strict=True)
    ]


def write_csv(path: Path, candles: list[Candle]) -> None:
    lines = ["timestamp,open,high,low,close,volume"]
    lines += [f"{c.ts},{c.open:.10g},{c.high:.10g},{c.low:.10g},{c.close:.10g},{c.volume:.8g}" for c in candles]
    path.write_text("\n".join(lines) + "\n")


def build_load_folder(out: Path, shared: Path, pairs: int, hours: int, end_ms: int | None = None) -> list[str]:
    """Write `pairs` LOAD pairs of `hours` hourly candles each (all on the same hours, ending at
    `end_ms` or at the shortest real file's last hour) into `out`; returns their names (`L0000/USD`)."""
    out.mkdir(parents=True, exist_ok=True)
    sources = [load_csv(f) for f in real_hourly(shared)]
    if not sources:
        raise SystemExit(f"no real hourly files under {shared} (binance/*_1h.csv, kraken/*_1h.csv)")
    last = end_ms if end_ms is not None else min(s[-1].ts for s in sources)
    stamps = [last - (hours - 1 - k) * HOUR for k in range(hours)]
    names: list[str] = []
    for i in range(pairs):
        source = sources[i % len(sources)]
        room = len(source) - hours
        if room < 0:
            raise SystemExit(f"a real file has fewer than {hours} hourly candles: ask for fewer days")
        rnd = random.Random(i)  # noqa: S311 - load data, not security
        shift = (i // len(sources)) * 97 % (room + 1)  # a different stretch of the file per copy
        scale = 10 ** rnd.uniform(-2.0, 2.0)
        write_csv(out / f"LOAD_{load_name(i)}-USD_1h.csv", shifted(source, stamps, shift, scale))
        names.append(f"{load_name(i)}/USD")
    return names
