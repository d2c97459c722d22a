"""Candle CSVs read column-wise by pyarrow's C++ reader and checked with vectorised numpy.

The fast path for well-formed files. Anything it cannot vouch for (a parse error, a NaN, a bad
row, an odd header) sends the file through the strict row-by-row reader in csv_loader, which names
the problem and the line in one sentence — so messages stay exactly the same, and only bad or
unusual files pay the slow path.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

from core.market_data.arrays import F64, CandleArrays

COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")
MAX_TS = 2**62  # far beyond any real date; keeps int64 arithmetic safe
BLOCK = 1 << 20
WHOLE_FILE_BYTES = 64 << 20


def read_columns(path: Path, volume: bool = True) -> CandleArrays | None:
    """Arrays of a clean file, or None when the strict reader must look at it; `volume=False`
    checks the volume column but does not keep it (a 10-year 1m backtest has no use for it)."""
    import pyarrow as pa  # lazy: pyarrow loads only when used
    import pyarrow.csv as pacsv  # lazy: pyarrow loads only when used

    header = _header(path)
    if header is None or any(header.count(c) != 1 for c in COLUMNS):
        return None
    types = {c: (pa.int64() if c == "timestamp" else pa.float64()) for c in COLUMNS}
    keep = [c for c in COLUMNS if volume or c != "volume"]
    big = path.stat().st_size >= WHOLE_FILE_BYTES
    try:
        read_options = pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=BLOCK)
        convert = pacsv.ConvertOptions(column_types=types, include_columns=list(COLUMNS),
                                       strings_can_be_null=False, quoted_strings_can_be_null=False)
        if not big:  # small: one threaded read is quickest
            reader: Any = pacsv.read_csv(path, read_options=read_options, convert_options=convert).to_batches()
        else:  # big: stream 1 MB blocks (larger ones make Arrow hold hundreds of MB of parsed text)
            reader = pacsv.open_csv(path, read_options=read_options, convert_options=convert)
        out = _Columns(keep, path.stat().st_size)
        for batch in reader:
            cols = {name: batch.column(name) for name in COLUMNS}
            if any(col.null_count for col in cols.values()) or batch.num_rows == 0:
                return None
            arrays = {name: col.to_numpy() for name, col in cols.items()}
            if not _rows_ok(arrays, out.last_ts):
                return None
            out.append(arrays)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, OSError):
        return None
    finally:
        if big:
            pa.default_memory_pool().release_unused()  # hand the reader's blocks back before the backtest
    return out.result()


class _Columns:
    """Output columns filled block by block: sized from the first block's bytes per row, grown if the
    guess was short; the unused tail is never touched, so it costs address space, not memory."""

    def __init__(self, names: list[str], file_bytes: int) -> None:
        self.names, self.file_bytes = names, file_bytes
        self.cols: dict[str, np.ndarray] = {}
        self.n, self.last_ts = 0, -1

    def append(self, block: dict[str, np.ndarray]) -> None:
        m = len(block["timestamp"])
        if not self.cols:
            cap = int(self.file_bytes / BLOCK * m * 1.05) + m + 16
            self.cols = {c: np.empty(cap, np.int64 if c == "timestamp" else np.float64) for c in self.names}
        elif self.n + m > len(self.cols["timestamp"]):
            cap = max(2 * len(self.cols["timestamp"]), self.n + m)
            for c in self.names:
                grown = np.empty(cap, self.cols[c].dtype)
                grown[: self.n] = self.cols[c][: self.n]
                self.cols[c] = grown
        for c in self.names:
            self.cols[c][self.n : self.n + m] = block[c]
        self.n += m
        self.last_ts = int(block["timestamp"][-1])

    def result(self) -> CandleArrays | None:
        if self.n == 0:
            return None
        c, n = self.cols, self.n
        vol: F64 | None = c["volume"][:n] if "volume" in c else None
        return CandleArrays(c["timestamp"][:n], c["open"][:n], c["high"][:n], c["low"][:n], c["close"][:n], vol)


def _header(path: Path) -> list[str] | None:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:  # a byte-order mark is not a column name
            first = next(csv.reader(fh), None)
    except (UnicodeDecodeError, csv.Error, OSError):
        return None
    if not first:
        return None
    return [h.strip().lower() for h in first]


def _rows_ok(a: dict[str, np.ndarray], last_ts: int) -> bool:
    ts, o, h, lo, c, v = (a[k] for k in COLUMNS)
    for x in (o, h, lo, c):
        if not (np.isfinite(x).all() and (x > 0).all()):
            return False
    if not (np.isfinite(v).all() and (v >= 0).all()):
        return False
    if (h < np.maximum(np.maximum(o, c), lo)).any() or (lo > np.minimum(o, c)).any():
        return False
    if ts[0] <= last_ts or (ts < 10**11).any() or (ts >= MAX_TS).any():
        return False
    return not bool((np.diff(ts) <= 0).any())
