"""Candle CSVs read column-wise by pyarrow's C++ reader and checked with vectorised numpy.

The fast path for well-formed files. Anything it cannot vouch for (a parse error, a NaN, a bad
row, an odd header) sends the file through the strict row-by-row reader in csv_loader, which names
the problem and the line in one sentence — so messages stay exactly the same, and only bad or
unusual files pay the slow path.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from core.kernel.arrays import F64, I64, CandleArrays

COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")
MAX_TS = 2**62  # far beyond any real date; keeps int64 arithmetic safe


def read_columns(path: Path, volume: bool = True) -> CandleArrays | None:
    """Arrays of a clean file, or None when the strict reader must look at it; `volume=False`
    checks the volume column but does not keep it (a 10-year 1m backtest has no use for it)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = _header(path)
    if header is None or any(header.count(c) != 1 for c in COLUMNS):
        return None
    types = {c: (pa.int64() if c == "timestamp" else pa.float64()) for c in COLUMNS}
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(),
            convert_options=pacsv.ConvertOptions(column_types=types, include_columns=list(COLUMNS),
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
        parts: dict[str, list[np.ndarray]] = {c: [] for c in COLUMNS if volume or c != "volume"}
        for batch in reader:
            if not _batch_ok(batch, parts):
                return None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, OSError):
        return None
    if not parts["timestamp"]:
        return None
    arrays = {c: _concat(v) for c, v in parts.items()}
    return _checked(arrays)


def _header(path: Path) -> list[str] | None:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            first = next(csv.reader(fh), None)
    except (UnicodeDecodeError, csv.Error, OSError):
        return None
    if not first:
        return None
    return [h.strip().lower() for h in first]


def _batch_ok(batch: object, parts: dict[str, list[np.ndarray]]) -> bool:
    cols = {name: batch.column(name) for name in COLUMNS}  # type: ignore[attr-defined]
    if any(col.null_count for col in cols.values()):
        return False
    vol = cols["volume"].to_numpy()
    if not (np.isfinite(vol).all() and (vol >= 0).all()):
        return False
    for name in parts:
        parts[name].append(cols[name].to_numpy())
    return True


def _concat(chunks: list[np.ndarray]) -> np.ndarray:
    out = np.concatenate(chunks) if len(chunks) != 1 else chunks[0].copy()
    chunks.clear()
    return out


def _checked(a: dict[str, np.ndarray]) -> CandleArrays | None:
    ts: I64 = a["timestamp"].astype(np.int64, copy=False)
    o, h, lo, c = (a[k].astype(np.float64, copy=False) for k in ("open", "high", "low", "close"))
    vol: F64 | None = a["volume"].astype(np.float64, copy=False) if "volume" in a else None
    if ts.shape[0] == 0:
        return None
    prices: tuple[F64, ...] = (o, h, lo, c)
    for x in prices:
        if not (np.isfinite(x).all() and (x > 0).all()):
            return None
    if (h < np.maximum(np.maximum(o, c), lo)).any() or (lo > np.minimum(o, c)).any():
        return None
    if (ts < 10**11).any() or (ts >= MAX_TS).any() or (np.diff(ts) <= 0).any():
        return None
    return CandleArrays(ts, o, h, lo, c, vol)
