"""A replay reads, per pair, the file that builds its trading timeframe from the earliest candle, the
finer one on a tie (core/market_data/pair_files.py).

Found replaying `../shared/data/binance` at 1h: SOL/USDT was read from its 15m file (from 2022-04)
although its 1h file starts 2021-10, because the finest file used to win — SOL had no price for
six months. Here on temporary files shaped the same way."""

from __future__ import annotations

from pathlib import Path

from core.market_data.csv_loader import load_dataset

HOUR = 3_600_000
QUARTER = 900_000


def _write(folder: Path, name: str, start_ms: int, step_ms: int, n: int) -> None:
    rows = [f"{start_ms + i * step_ms},100,101,99,100.5,1" for i in range(n)]
    (folder / name).write_text("timestamp,open,high,low,close,volume\n" + "\n".join(rows) + "\n", encoding="utf-8")


def test_a_pair_with_a_1h_and_a_15m_file_replays_the_1h_file_at_1h(tmp_path: Path) -> None:
    early, late = 1_633_046_400_000, 1_648_771_200_000  # 2021-10-01, 2022-04-01
    _write(tmp_path, "BINANCE_SOL-USDT_1h.csv", early, HOUR, 48)
    _write(tmp_path, "BINANCE_SOL-USDT_15m.csv", late, QUARTER, 96)
    _write(tmp_path, "BINANCE_BTC-USDT_1h.csv", early, HOUR, 48)
    ds = load_dataset(tmp_path, columnar=False, timeframe="1h")
    assert ds["SOL/USDT"][0] == "1h" and ds["SOL/USDT"][1][0].ts == early
    assert ds["BTC/USDT"][0] == "1h"
    assert load_dataset(tmp_path, columnar=False)["SOL/USDT"][0] == "15m"  # no timeframe given: the finest, as before


def test_files_that_start_together_replay_the_finer_one_at_the_trading_timeframe(tmp_path: Path) -> None:
    """kraken_small's 1m and 1h files start together: a 1h replay keeps walking the 1m candles."""
    start = 1_633_046_400_000
    _write(tmp_path, "KRAKEN_BTC-USD_1h.csv", start, HOUR, 48)
    _write(tmp_path, "KRAKEN_BTC-USD_1m.csv", start, 60_000, 48 * 60)
    assert load_dataset(tmp_path, columnar=False, timeframe="1h")["BTC/USD"][0] == "1m"


def test_without_a_file_of_the_timeframe_the_one_reaching_back_furthest_that_can_build_it(tmp_path: Path) -> None:
    early, late = 1_633_046_400_000, 1_648_771_200_000
    _write(tmp_path, "BINANCE_SOL-USDT_1h.csv", early, HOUR, 48)
    _write(tmp_path, "BINANCE_SOL-USDT_15m.csv", late, QUARTER, 96)
    _write(tmp_path, "BINANCE_SOL-USDT_1d.csv", early - 100 * 24 * HOUR, 24 * HOUR, 200)  # cannot build 4h
    ds = load_dataset(tmp_path, columnar=False, timeframe="4h")
    assert ds["SOL/USDT"][0] == "1h" and ds["SOL/USDT"][1][0].ts == early
    _write(tmp_path, "BINANCE_SOL-USDT_15m.csv", early, QUARTER, 96)  # both start together: the finer one
    assert load_dataset(tmp_path, columnar=False, timeframe="4h")["SOL/USDT"][0] == "15m"
