"""Read candle CSVs strictly: a bad file is refused with one line naming the problem and the row.

Accepted: header containing timestamp,open,high,low,close,volume (ms UTC, candle open time),
rows strictly increasing. Refused: missing columns, unparsable/NaN/inf values, non-positive
prices, high/low inconsistent with open/close, negative volume, unsorted or duplicate rows,
timestamps out of range. Clean files are read column-wise (core.market_data.columnar); this
row-by-row reader is the strict path that names the bad line.
"""

from __future__ import annotations

import csv
import itertools
import math
from pathlib import Path
from typing import TYPE_CHECKING

from core.domain import Candle, UserError
from core.market_data.pair_files import files_for_timeframe
from core.markets.pairs import pair_from_filename
from core.markets.timeframes import timeframe_seconds

if TYPE_CHECKING:
    from core.market_data.arrays import CandleArrays

COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")
MAX_TS = 2**62


def load_csv(path: str | Path, columnar: bool = True) -> list[Candle]:
    """`columnar=False`: the row reader only (same candles and messages, no pyarrow import)."""
    p = _existing(path)
    if not columnar:
        return _load_rows(p)
    from core.market_data.columnar import read_columns  # lazy: keeps numpy out of this import

    arrays = read_columns(p)
    if arrays is not None:
        return arrays.to_candles()
    return _load_rows(p)


def load_arrays(path: str | Path, volume: bool = False, cache: str | Path | None = None) -> CandleArrays:
    """Candle columns for the kernel; same checks and messages as `load_csv`. With `cache` a folder
    (the ZYN_CANDLE_CACHE setting), clean files are cached there as .npz (keyed by path, size, mtime)."""
    from core.market_data.arrays import CandleArrays  # lazy: keeps numpy out of this import
    from core.market_data.candle_cache import cached  # lazy: keeps numpy out of this import
    from core.market_data.columnar import read_columns  # lazy: keeps numpy out of this import

    p = _existing(path)
    arrays = cached(p, volume, read_columns, cache)
    if arrays is not None:
        return arrays
    return CandleArrays.from_candles(_load_rows(p))


def _existing(path: str | Path) -> Path:
    p = Path(path)
    if not p.is_file():
        raise UserError(f"{p}: no such file")
    return p


def _load_rows(p: Path, limit: int | None = None) -> list[Candle]:
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:  # Excel writes a byte-order mark
            reader = csv.reader(fh)
            return _parse(reader if limit is None else itertools.islice(reader, limit + 1), p.name)
    except UnicodeDecodeError:
        raise UserError(f"{p.name}: not a text CSV file") from None
    except csv.Error as exc:
        raise UserError(f"{p.name}: unreadable CSV ({exc})") from None


def _first_ts(p: Path) -> int:
    """The time of a file's first candle (rows are strictly increasing, so its earliest)."""
    rows = _load_rows(p, limit=1)
    if not rows:
        raise UserError(f"{p.name}: no candles")
    return rows[0].ts


def check_head(path: str | Path, rows: int = 3) -> None:
    """The strict checks on the header and the first rows only: what `zyn run` can afford before it
    creates anything (an empty or foreign file is refused in milliseconds; a bad row deep in a
    large file is still named when the file is loaded)."""
    _load_rows(_existing(path), limit=rows)


def _parse(reader: object, name: str) -> list[Candle]:
    rows = iter(reader)  # type: ignore[call-overload]
    header = next(rows, None)
    if header is None:
        raise UserError(f"{name}: empty file")
    cols = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in cols]
    if missing:
        raise UserError(f"{name}: missing column(s) {', '.join(missing)} (need {','.join(COLUMNS)})")
    idx = [cols.index(c) for c in COLUMNS]
    out: list[Candle] = []
    for line_no, row in enumerate(rows, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        candle = _row(row, idx, name, line_no)
        if out and candle.ts <= out[-1].ts:
            what = "duplicate timestamp" if candle.ts == out[-1].ts else "rows not in time order"
            raise UserError(f"{name} line {line_no}: {what} ({candle.ts})")
        out.append(candle)
    if not out:
        raise UserError(f"{name}: no candles")
    return out


def _row(row: list[str], idx: list[int], name: str, line_no: int) -> Candle:
    if len(row) <= max(idx):
        raise UserError(f"{name} line {line_no}: expected {len(COLUMNS)} values, got {len(row)}")
    try:
        ts_raw = row[idx[0]].strip()
        ts = int(float(ts_raw)) if "." in ts_raw or "e" in ts_raw.lower() else int(ts_raw)
        o, h, low, c, v = (float(row[i]) for i in idx[1:])
    except ValueError:
        raise UserError(f"{name} line {line_no}: not a number in {','.join(row)[:80]!r}") from None
    except OverflowError:  # int(float("1e309")): infinity has no integer
        raise UserError(f"{name} line {line_no}: timestamp {ts_raw[:40]} is out of range") from None
    values = (o, h, low, c, v)
    if any(math.isnan(x) or math.isinf(x) for x in values):
        raise UserError(f"{name} line {line_no}: NaN or infinite value")
    if min(o, h, low, c) <= 0:
        raise UserError(f"{name} line {line_no}: prices must be positive")
    if v < 0:
        raise UserError(f"{name} line {line_no}: negative volume")
    if h < max(o, c, low) or low > min(o, c):
        raise UserError(f"{name} line {line_no}: high/low inconsistent with open/close")
    if ts < 10**11:
        raise UserError(f"{name} line {line_no}: timestamp {ts} is not in milliseconds")
    if ts >= MAX_TS:
        raise UserError(f"{name} line {line_no}: timestamp {str(ts)[:40]} is out of range")
    return Candle(ts, o, h, low, c, v)


def csv_files(path: str | Path) -> list[Path]:
    """A CSV file or every *.csv in a folder (sorted); UserError when there is none."""
    p = Path(path)
    if p.is_file():
        return [p]
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() == ".csv")
        if files:
            return files
        raise UserError(f"{p}: no .csv files in this folder")
    raise UserError(f"{p}: no such file or folder")


COLUMNAR_FROM_BYTES = 16 << 20  # `columnar=None`: pyarrow only for this much CSV (issue 20.5)


def load_dataset(path: str | Path, columnar: bool | None = True,
                 timeframe: str | None = None) -> dict[str, tuple[str, list[Candle]]]:
    """pair -> (timeframe, candles) for a file or folder. With `timeframe` (the replay's trading
    timeframe) a pair with several files reads the one `core.market_data.pair_files` picks (its file
    of that timeframe first); without it the finest timeframe wins per pair.

    `columnar=None` (the paper replay of `zyn run`): pyarrow's reader (~44 MB resident for the
    life of the process) only when the files add up to COLUMNAR_FROM_BYTES; two pairs of 1h
    candles are read row by row in a fraction of a second, to the same candles."""
    files = csv_files(path)
    if timeframe is not None:
        files = files_for_timeframe(files, timeframe, _first_ts)
    if columnar is None:
        columnar = sum(f.stat().st_size for f in files) >= COLUMNAR_FROM_BYTES
    found: dict[str, tuple[str, list[Candle]]] = {}
    for f in files:
        pair, tf = pair_from_filename(f.name)
        if pair in found and timeframe_seconds(found[pair][0]) <= timeframe_seconds(tf):
            continue
        found[pair] = (tf, load_csv(f, columnar))
    return found
