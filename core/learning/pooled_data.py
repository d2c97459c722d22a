"""Load a folder of pair files as one universe for the pooled walk-forward.

Why: `zyn backtest --data DIR --learn` and the bench both need "every pair in DIR at timeframe
TF". When a pair has several files (e.g. 1m, 5m, 1h) the coarsest one that can build TF is used
(fewest rows to read); a pair that cannot reach TF, or has too few candles, is left out and
named, so the caller can say so in one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.domain import Candle, Market, UserError
from core.market_data.csv_loader import load_arrays
from core.market_data.resample_columns import resample_columns
from core.markets.catalog import market_for
from core.markets.pairs import pair_from_filename
from core.markets.timeframes import timeframe_ms


@dataclass
class FolderUniverse:
    data: dict[str, tuple[list[Candle], Market]]
    skipped: list[str] = field(default_factory=list)  # "file: reason"


def pair_files(folder: Path, timeframe: str) -> dict[str, tuple[Path, str]]:
    """pair -> (file, its timeframe): the coarsest file per pair whose timeframe divides TF."""
    target = timeframe_ms(timeframe)
    best: dict[str, tuple[Path, str]] = {}
    for f in sorted(folder.glob("*.csv")):
        try:
            pair, tf = pair_from_filename(f.name)
            tf_ms = timeframe_ms(tf)
        except UserError:
            continue
        if tf_ms > target or target % tf_ms:
            continue
        if pair not in best or tf_ms > timeframe_ms(best[pair][1]):
            best[pair] = (f, tf)
    return best


def load_folder(folder: str | Path, timeframe: str, min_candles: int = 12, label: str = "",
                cache: str | None = None) -> FolderUniverse:
    """Every usable pair file of `folder`, resampled to `timeframe` (pair keys prefixed by `label`);
    `cache`: the candle cache folder (ZYN_CANDLE_CACHE), if any."""
    path = Path(folder)
    if not path.is_dir():
        raise UserError(f"{folder}: no such folder")
    files = pair_files(path, timeframe)
    if not files:
        raise UserError(f"{folder}: no <EXCHANGE>_<BASE>-<QUOTE>_<tf>.csv file that can build {timeframe} candles")
    out = FolderUniverse({})
    for pair, (f, tf) in sorted(files.items()):
        candles = resample_columns(load_arrays(f, volume=True, cache=cache), tf, timeframe).to_candles()
        if len(candles) < min_candles:
            out.skipped.append(f"{f.name}: {len(candles)} {timeframe} candles")
            continue
        out.data[f"{label}{pair}"] = (candles, market_for(pair))
    return out


def merge(universes: Sequence[FolderUniverse]) -> FolderUniverse:
    out = FolderUniverse({})
    for u in universes:
        out.data.update(u.data)
        out.skipped += u.skipped
    return out
