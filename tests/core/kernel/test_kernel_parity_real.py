"""The compiled kernel makes the reference backtest's trades on every real candle file in
../shared/data (each at its own timeframe, plus a 4h resample of two), trade by trade and to the cent."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.market_data.csv_loader import load_csv
from core.market_data.resample import resample
from core.markets.catalog import market_for
from core.markets.pairs import pair_from_filename
from tests.conftest import shared_data
from tests.core.kernel.parity import run_both


def _files() -> list[Path]:
    root = shared_data()
    return sorted(root.rglob("*.csv")) if root.is_dir() else []


@pytest.mark.parametrize("path", _files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_kernel_matches_reference_on_real_file(path: Path) -> None:
    pair, tf = pair_from_filename(path.name)
    ker = run_both(pair, tf, market_for(pair), load_csv(path))
    assert ker.candles > 0


@pytest.mark.parametrize("rel", ["kraken/KRAKEN_BTC-USD_1h.csv", "binance/BINANCE_ETH-USDT_1h.csv"])
def test_kernel_matches_reference_on_4h_resample(rel: str) -> None:
    path = shared_data() / rel
    if not path.is_file():
        pytest.fail(f"real candles not found at {path} (set ZYN_SHARED_DATA)")
    pair, tf = pair_from_filename(path.name)
    ker = run_both(pair, "4h", market_for(pair), resample(load_csv(path), tf, "4h"))
    assert len(ker.trades) > 10


def test_every_real_folder_is_covered() -> None:
    folders = {p.parent.name for p in _files()}
    assert {"kraken", "kraken_cdd", "kraken_small", "binance", "binance_dev_4h"} <= folders
