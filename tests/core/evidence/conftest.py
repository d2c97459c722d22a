"""Small real candle slices for the evidence tests (read from ../shared/data, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.domain import Market
from core.market_data.arrays import CandleArrays
from core.market_data.csv_loader import load_arrays
from core.market_data.resample_columns import resample_columns
from core.markets.catalog import market_for

PAIRS = ("BTC", "ETH", "LTC", "XRP")


@pytest.fixture
def four_pairs_4h(data_dir: Path) -> dict[str, tuple[CandleArrays, Market]]:
    """The four kraken_cdd pairs at 4h over their first ~2.3 years (about 5,000 candles each)."""
    out = {}
    for base in PAIRS:
        arrays = load_arrays(data_dir / "kraken_cdd" / f"KRAKEN-CDD_{base}-USD_1h.csv")
        four = resample_columns(arrays, "1h", "4h")
        candles = four.to_candles()[:5000]
        out[f"{base}/USD"] = (CandleArrays.from_candles(candles), market_for(f"{base}/USD"))
    return out


@pytest.fixture
def compiled_kernel() -> None:
    """Load the kernel's compiled flavour, so every later call in this process uses it.

    Why: the record-vs-fresh-run tests re-run the kernel at every close (O(n²) candles, millions); the
    interpreted flavour (chosen for small calls while the compiled one is not loaded) made each of them
    take 20-45 s. Both flavours are bit-equal (tests/core/kernel/test_flavours.py); these tests check the
    record's incremental bookkeeping, which is the same code in either."""
    import importlib

    importlib.import_module("core.kernel.compiled")
