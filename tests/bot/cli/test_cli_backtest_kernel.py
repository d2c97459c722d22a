"""`zyn backtest` on the compiled kernel: bad files stay one line and exit 2 (a timestamp like
1e309 included), and a folder gives one row per pair that equals the single-file run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bot.cli.test_cli import run
from tests.conftest import shared_data

HEADER = "timestamp,open,high,low,close,volume\n"


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ("1e309,1,2,0.5,1.5,1", "timestamp 1e309 is out of range"),
        ("99999999999999999999999,1,2,0.5,1.5,1", "out of range"),
        ("1546300800000,1e309,2,0.5,1.5,1", "NaN or infinite"),
        ("1546300800000,1,2,0.5,1.5", "expected 6 values"),
    ],
)
def test_huge_or_broken_values_are_one_line_exit_2(tmp_path: Path, row: str, needle: str) -> None:
    good = "".join(f"{1546300800000 + 3_600_000 * (i + 1)},1,2,0.5,1.5,1\n" for i in range(3))
    data = tmp_path / "KRAKEN_BTC-USD_1h.csv"
    data.write_text(HEADER + row + "\n" + good)
    out = run(["backtest", "--data", str(data)], tmp_path)
    assert out.returncode == 2, out.stderr
    assert needle in out.stderr and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "line 2" in out.stderr and out.stdout == ""


def _folder(tmp_path: Path) -> Path:
    src = shared_data() / "kraken_small"
    if not src.is_dir():
        pytest.fail(f"real candles not found at {src} (set ZYN_SHARED_DATA)")
    folder = tmp_path / "universe"
    folder.mkdir()
    for f in src.glob("*.csv"):
        (folder / f.name).symlink_to(f)
    (folder / "notes.txt").write_text("not candles")
    return folder


def _drop_timing(row: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in row.items() if k not in ("seconds", "file", "start_equity")}


def test_folder_gives_one_row_per_pair_equal_to_single_file_runs(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    out = run(["backtest", "--data", str(folder), "--json"], tmp_path)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert [r["pair"] for r in report["pairs"]] == ["BTC/USDT", "ETH/BTC"]
    assert report["pairs"][0]["timeframe"] == "1m"  # the finest file of a pair
    for row in report["pairs"]:
        single = run(["backtest", "--data", str(folder / row["file"]), "--json"], tmp_path)
        assert single.returncode == 0, single.stderr
        assert _drop_timing(json.loads(single.stdout)) == _drop_timing(row)
    totals = report["totals"]
    assert totals["pairs"] == 2 and totals["trades"] == sum(r["trades"] for r in report["pairs"])
    assert totals["candles"] == sum(r["candles"] for r in report["pairs"])
    table = run(["backtest", "--data", str(folder), "--timeframe", "1h"], tmp_path)
    assert table.returncode == 0 and "TOTAL 2" in table.stdout and "BTC/USDT" in table.stdout


def test_folder_without_pair_files_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    out = run(["backtest", "--data", str(tmp_path / "empty")], tmp_path)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "no .csv files" in out.stderr
