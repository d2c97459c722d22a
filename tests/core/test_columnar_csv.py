"""The column-wise reader gives exactly the strict row reader's candles on every real file, refuses
what it refuses (by handing the file to it), and the optional .npz cache returns the same arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.domain import UserError
from core.market_data import csv_loader
from core.market_data.arrays import CandleArrays
from core.market_data.columnar import read_columns
from tests.conftest import shared_data


def _files() -> list[Path]:
    root = shared_data()
    return sorted(root.rglob("*.csv")) if root.is_dir() else []


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.name)
def test_columnar_reader_equals_row_reader(path: Path) -> None:
    fast = read_columns(path)
    assert fast is not None, "a clean real file must take the fast path"
    slow = CandleArrays.from_candles(csv_loader._load_rows(path))
    for name in ("ts", "open", "high", "low", "close", "volume"):
        assert np.array_equal(getattr(fast, name), getattr(slow, name)), name


def test_odd_but_valid_files_still_load(tmp_path: Path) -> None:
    p = tmp_path / "KRAKEN_BTC-USD_1h.csv"
    p.write_text("Volume, Close ,low,high,open,timestamp,trades\n1,1.5,0.5,2,1,1546300800000.0,3\n\n"
                 "2,1.6,0.5,2,1.5,1546304400000,4\n")
    candles = csv_loader.load_csv(p)
    assert [(c.ts, c.close, c.volume) for c in candles] == [(1546300800000, 1.5, 1.0), (1546304400000, 1.6, 2.0)]
    assert len(csv_loader.load_arrays(p)) == 2


def test_cache_returns_same_arrays_and_notices_edits(tmp_path: Path) -> None:
    cache = tmp_path / "cache"  # the ZYN_CANDLE_CACHE setting
    p = tmp_path / "KRAKEN_BTC-USD_1h.csv"
    p.write_text("timestamp,open,high,low,close,volume\n1546300800000,1,2,0.5,1.5,1\n")
    first = csv_loader.load_arrays(p, cache=cache)
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    again = csv_loader.load_arrays(p, cache=cache)
    assert np.array_equal(first.close, again.close)
    p.write_text("timestamp,open,high,low,close,volume\n1546300800000,1,2,0.5,1.5,1\n1546304400000,1,2,0.5,1.7,1\n")
    assert csv_loader.load_arrays(p, cache=cache).close.tolist() == [1.5, 1.7]
    p.write_text("timestamp,open,high,low,close,volume\n1546300800000,1,2,0.5,1.5,-1\n")
    with pytest.raises(UserError, match="line 2: negative volume"):
        csv_loader.load_arrays(p, cache=cache)
