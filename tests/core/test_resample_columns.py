"""Resampling candle columns gives exactly the row resampler's candles (every float the same) on
real files with gaps, flat candles and a still-forming last bucket."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.domain import Candle, UserError
from core.market_data.arrays import CandleArrays
from core.market_data.csv_loader import load_arrays, load_csv
from core.market_data.resample import resample
from core.market_data.resample_columns import resample_columns
from core.markets.pairs import pair_from_filename

CASES = [
    ("kraken/KRAKEN_BTC-USD_1h.csv", "4h"),  # Kraken's missing hours
    ("kraken_cdd/KRAKEN-CDD_XRP-USD_1h.csv", "1d"),  # forward-filled flat candles
    ("kraken_small/KRAKEN_BTC-USDT_1m.csv", "1h"),  # 1,367 missing minutes
    ("kraken_small/KRAKEN_BTC-USDT_5m.csv", "4h"),  # 48 candles a bucket
    ("binance/BINANCE_APE-USDT_5m.csv", "15m"),
]


@pytest.mark.parametrize(("rel", "target"), CASES)
def test_columns_resample_to_the_row_resamplers_candles(data_dir: Path, rel: str, target: str) -> None:
    path = data_dir / rel
    _pair, tf = pair_from_filename(path.name)
    want = resample(load_csv(path), tf, target)
    got = resample_columns(load_arrays(path, volume=True), tf, target).to_candles()
    assert len(got) == len(want) > 10
    assert got == want


def test_a_forming_last_bucket_is_dropped_and_bad_targets_refused() -> None:
    hour = 3_600_000
    candles = CandleArrays.from_candles(_hours(9))
    out = resample_columns(candles, "1h", "4h")
    assert out.ts.tolist() == [0, 4 * hour]  # hour 8 opens a bucket still forming
    assert out.volume is not None and out.volume.tolist() == [sum(VOLS[:4]), sum(VOLS[4:8])]
    assert out.high.tolist() == [5.0, 9.0] and out.low.tolist() == [0.5, 4.5]
    with pytest.raises(UserError):
        resample_columns(candles, "4h", "1h")


VOLS = [0.1, 0.2, 0.30000000000000004, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def _hours(n: int) -> list[Candle]:
    return [Candle(i * 3_600_000, 1.0 + i, 2.0 + i, 0.5 + i, 1.5 + i, VOLS[i]) for i in range(n)]
