"""Reading candle files for `zyn data import`: this contract's CSV and Kraken's OHLCVT download.

Two formats, told apart by the first line:
- this contract's: a header naming `timestamp,open,high,low,close,volume` (any order), the
  timestamp the candle's open in Unix MILLISECONDS; checked by the same strict row reader as
  every other CSV (`core.market_data.csv_loader`), so a bad line gets the same one-line message.
- Kraken's downloadable OHLCVT: no header, seven columns `time,open,high,low,close,volume,trades`,
  `time` in Unix SECONDS (converted here), `trades` a count (checked, not kept).
A UTF-8 byte-order mark (spreadsheets write one) is skipped. Pair and timeframe come from the
file name when it follows either naming (`KRAKEN_BTC-USD_1h.csv`, `XBTUSD_240.csv`: Kraken names
the interval in minutes), else from the caller. The whole file is read and checked before the
caller writes anything, so a bad line leaves the store as it was.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.domain import Candle, UserError
from core.market_data.csv_loader import _parse, _row, csv_files
from core.markets.pairs import normalize_pair, pair_from_filename
from core.markets.timeframes import timeframe_ms

KRAKEN_NAME = re.compile(r"^([A-Za-z0-9]+)_(\d+)$")
KRAKEN_COLUMNS = 7
MAX_BYTES = 2_000_000_000  # a bigger file is not a candle file (Kraken's largest pair file is ~200 MB)


@dataclass(frozen=True)
class CandleFile:
    """One file read and checked, ready to store."""

    name: str
    pair: str
    timeframe: str
    fmt: str  # "zyn" (this contract's CSV) or "kraken" (OHLCVT)
    candles: list[Candle]


def read_candle_files(path: str | Path, pair: str | None = None, timeframe: str | None = None) -> list[CandleFile]:
    """Every file at `path` (a CSV file or a folder of them), each read whole; the first problem in
    any of them raises UserError with one line naming the file (and line)."""
    files = csv_files(path)
    if len(files) > 1 and (pair or timeframe):
        raise UserError("--pair/--timeframe name one file's pair; give a single file, not a folder")
    return [read_candle_file(f, pair, timeframe) for f in files]


def read_candle_file(path: Path, pair: str | None = None, timeframe: str | None = None) -> CandleFile:
    name = path.name
    named_pair, named_tf = _from_name(name)
    pair = normalize_pair(pair) if pair else named_pair
    timeframe = timeframe.strip() if timeframe else named_tf
    if pair is None or timeframe is None:
        raise UserError(
            f"{name}: cannot tell the pair and timeframe from the file name "
            "(expected KRAKEN_BTC-USD_1h.csv or XBTUSD_60.csv); give --pair and --timeframe"
        )
    tf_ms = timeframe_ms(timeframe)
    text = _text(path)
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    if not first:
        raise UserError(f"{name}: empty file")
    if "timestamp" in first.lower():
        fmt, candles = "zyn", _parse(csv.reader(io.StringIO(text)), name)
    elif first.split(",")[0].strip().lstrip("-").replace(".", "", 1).isdigit():
        fmt, candles = "kraken", _kraken_rows(lines, name)
    else:
        raise UserError(
            f"{name} line 1: not a candle CSV (need a header timestamp,open,high,low,close,volume "
            "or Kraken's headerless time,open,high,low,close,volume,trades)"
        )
    _check_spacing(candles, tf_ms, timeframe, name)
    return CandleFile(name, pair, timeframe, fmt, candles)


def _from_name(name: str) -> tuple[str | None, str | None]:
    stem = name[:-4] if name.lower().endswith(".csv") else name
    found = KRAKEN_NAME.match(stem)
    if found:
        try:
            return normalize_pair(found.group(1)), minutes_timeframe(int(found.group(2)))
        except UserError:
            return None, None
    try:
        return pair_from_filename(name)
    except UserError:
        return None, None


def minutes_timeframe(minutes: int) -> str:
    """Kraken's interval in minutes -> Zyn's timeframe (60 -> 1h, 1440 -> 1d)."""
    if minutes <= 0:
        raise UserError(f"bad interval {minutes}")
    if minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    if minutes % 60 == 0:
        return f"{minutes // 60}h"
    return f"{minutes}m"


def _text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UserError(f"{path.name}: too large for a candle file")
        return path.read_text(encoding="utf-8-sig")  # -sig: a leading byte-order mark is skipped
    except UnicodeDecodeError:
        raise UserError(f"{path.name}: not a text CSV file") from None
    except OSError as exc:
        raise UserError(f"{path.name}: cannot read ({exc.strerror or exc})") from None


def _kraken_rows(lines: list[str], name: str) -> list[Candle]:
    """Kraken's OHLCVT rows -> candles (seconds -> ms), with the contract's row checks."""
    out: list[Candle] = []
    idx = [0, 1, 2, 3, 4, 5]
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != KRAKEN_COLUMNS:
            raise UserError(f"{name} line {line_no}: expected {KRAKEN_COLUMNS} values "
                            f"(time,open,high,low,close,volume,trades), got {len(cells)}")
        if not cells[0].isdigit() or not cells[6].isdigit():
            raise UserError(f"{name} line {line_no}: time and trades must be whole numbers in {line[:80]!r}")
        try:
            [float(c) for c in cells[1:6]]
        except ValueError:
            raise UserError(f"{name} line {line_no}: not a number in {line[:80]!r}") from None
        candle = _row([str(int(cells[0]) * 1000), *cells[1:6]], idx, name, line_no)
        if out and candle.ts <= out[-1].ts:
            what = "duplicate time" if candle.ts == out[-1].ts else "rows not in time order"
            raise UserError(f"{name} line {line_no}: {what} ({cells[0]})")
        out.append(candle)
    if not out:
        raise UserError(f"{name}: no candles")
    return out


def _check_spacing(candles: list[Candle], tf_ms: int, timeframe: str, name: str) -> None:
    """Consecutive candles must be whole timeframes apart: a 1h file imported as 4h is refused."""
    for prev, cur in zip(candles, candles[1:], strict=False):
        if (cur.ts - prev.ts) % tf_ms:
            raise UserError(
                f"{name}: candles at {_iso(prev.ts)} and {_iso(cur.ts)} are not {timeframe} apart "
                "(is the timeframe right?)"
            )


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
