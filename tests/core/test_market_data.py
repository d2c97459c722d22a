from pathlib import Path

import pytest

from core.domain import UserError
from core.market_data.csv_loader import load_csv, load_dataset
from core.market_data.resample import resample

HEADER = "timestamp,open,high,low,close,volume\n"


def write(tmp_path: Path, body: str, name: str = "KRAKEN_BTC-USD_1h.csv") -> Path:
    p = tmp_path / name
    p.write_text(HEADER + body)
    return p


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("1546300800000,1,2,0.5,1.5,1\n1546300800000,1,2,0.5,1.5,1\n", "duplicate timestamp"),
        ("1546304400000,1,2,0.5,1.5,1\n1546300800000,1,2,0.5,1.5,1\n", "not in time order"),
        ("1546300800000,nan,2,0.5,1.5,1\n", "NaN"),
        ("1546300800000,-1,2,0.5,1.5,1\n", "positive"),
        ("1546300800000,abc,2,0.5,1.5,1\n", "not a number"),
        ("1546300800000,1,0.9,0.5,1.5,1\n", "high/low"),
        ("", "no candles"),
    ],
)
def test_bad_rows_are_refused_with_one_line(tmp_path: Path, body: str, needle: str) -> None:
    with pytest.raises(UserError) as err:
        load_csv(write(tmp_path, body))
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_missing_column(tmp_path: Path) -> None:
    p = tmp_path / "KRAKEN_BTC-USD_1h.csv"
    p.write_text("timestamp,open,high,low,close\n1546300800000,1,2,0.5,1.5\n")
    with pytest.raises(UserError, match="missing column"):
        load_csv(p)


def test_real_files_with_gaps_load_and_resample(data_dir: Path) -> None:
    candles = load_csv(data_dir / "kraken" / "KRAKEN_BTC-USD_1h.csv")
    assert len(candles) > 30_000
    four = resample(candles, "1h", "4h")
    assert all(c.ts % (4 * 3600_000) == 0 for c in four)
    assert len(four) < len(candles) / 3.9
    first = [c for c in candles if c.ts < four[0].ts + 4 * 3600_000]
    assert four[0].high == max(c.high for c in first) and four[0].close == first[-1].close
    one_min = load_csv(data_dir / "kraken_small" / "KRAKEN_BTC-USDT_1m.csv")
    assert len(resample(one_min, "1m", "1h")) > 100


def test_dataset_reads_pair_and_timeframe_from_names(data_dir: Path) -> None:
    ds = load_dataset(data_dir / "kraken")
    assert set(ds) == {"BTC/USD", "ETH/USD"} and ds["BTC/USD"][0] == "1h"
