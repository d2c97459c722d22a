"""Optional binary cache of clean candle files (ZYN_CANDLE_CACHE=folder, passed in as `folder`): a
.npz per source file, keyed by its absolute path, size and modification time, so an edited file is
read again."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.market_data.arrays import CandleArrays

Reader = Callable[[Path, bool], CandleArrays | None]
FIELDS = ("ts", "open", "high", "low", "close")


def _key(path: Path, volume: bool) -> str:
    st = path.stat()
    raw = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{int(volume)}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def cached(path: Path, volume: bool, read: Reader, folder: str | Path | None = None) -> CandleArrays | None:
    if not folder:
        return read(path, volume)
    target = Path(folder) / f"{path.stem}-{_key(path, volume)}.npz"
    if target.is_file():
        try:
            with np.load(target) as z:
                vol = z["volume"] if "volume" in z.files else None
                return CandleArrays(z["ts"], z["open"], z["high"], z["low"], z["close"], vol)
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache entry is read again from the CSV
    arrays = read(path, volume)
    if arrays is not None:
        _store(target, arrays)
    return arrays


def _store(target: Path, a: CandleArrays) -> None:
    data = {f: getattr(a, f) for f in FIELDS}
    if a.volume is not None:
        data["volume"] = a.volume
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp.npz")
        np.savez(tmp, **data)
        tmp.replace(target)
    except OSError:
        return  # the cache is an optimisation: an unwritable folder just means no cache
