"""`zyn data import` / `zyn data status` as the contract's extension rows describe them: both file
formats, names that carry the pair and timeframe (or flags when they do not), one-line refusals
that write nothing, an idempotent re-import, and the status JSON. Through `bot.cli.main.main`
(the console script's function) in this process, and twice as a real `python -m bot` process."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

H_S = 3600


@pytest.fixture(autouse=True)
def _own_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):  # ZYN_SHARED_DATA says where the test candles are: not a setting
        if key.startswith(("ZYN_", "PAPER_", "KRAKEN_", "DATABASE_URL")) and key != "ZYN_SHARED_DATA":
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/zyn.db")
    monkeypatch.chdir(tmp_path)  # no stray .env is read


def zyn(tmp_path: Path, *args: str, process: bool = False) -> subprocess.CompletedProcess[str]:
    """`zyn data ARGS`: in this process (`main`, stdout/stderr captured), or as a real process."""
    if process:
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[3]))
        return subprocess.run([sys.executable, "-m", "bot", "data", *args], capture_output=True, text=True,
                              cwd=tmp_path, env=env, timeout=120)
    from bot.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["data", *args])
    return subprocess.CompletedProcess(["zyn", "data", *args], code, out.getvalue(), err.getvalue())


def status(tmp_path: Path, process: bool = False) -> list[dict[str, object]]:
    out = zyn(tmp_path, "status", "--json", process=process)
    assert out.returncode == 0, out.stderr
    rows: list[dict[str, object]] = json.loads(out.stdout)["pairs"]
    return rows


def one_line_refusal(out: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr and out.stdout == ""
    for needle in needles:
        assert needle in out.stderr


@pytest.fixture
def ours(tmp_path: Path, data_dir: Path) -> Path:
    """The first 500 rows of the real Kraken BTC/USD hourly file, under this contract's naming."""
    lines = (data_dir / "kraken" / "KRAKEN_BTC-USD_1h.csv").read_text().splitlines()[:501]
    path = tmp_path / "in" / "KRAKEN_BTC-USD_1h.csv"
    path.parent.mkdir()
    path.write_text("\n".join(lines) + "\n")
    return path


def kraken_ohlcvt(path: Path, ours: Path, bom: bool = True) -> Path:
    """The same candles as Kraken's download writes them: seconds, a trades column, no header."""
    rows = [ln.split(",") for ln in ours.read_text().splitlines()[1:]]
    body = "".join(f"{int(r[0]) // 1000},{','.join(r[1:6])},{17 + i}\n" for i, r in enumerate(rows))
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + body.encode())
    return path


def test_import_of_our_csv_then_status_json_as_real_processes(tmp_path: Path, ours: Path) -> None:
    out = zyn(tmp_path, "import", str(ours), process=True)
    assert out.returncode == 0, out.stderr
    assert "BTC/USD 1h, 500 candles (500 new)" in out.stdout
    assert status(tmp_path, process=True) == [{"pair": "BTC/USD", "timeframe": "1h", "first": "2019-01-01T00:00:00Z",
                                 "last": "2019-01-21T19:00:00Z", "candles": 500}]


def test_kraken_ohlcvt_download_with_a_byte_order_mark_is_read_in_seconds(tmp_path: Path, ours: Path) -> None:
    path = kraken_ohlcvt(tmp_path / "XBTUSD_60.csv", ours)
    out = zyn(tmp_path, "import", str(path))
    assert out.returncode == 0, out.stderr
    assert "Kraken OHLCVT" in out.stdout and "BTC/USD 1h, 500 candles" in out.stdout
    [row] = status(tmp_path)
    assert (row["first"], row["last"], row["candles"]) == ("2019-01-01T00:00:00Z", "2019-01-21T19:00:00Z", 500)
    # Kraken names the interval in minutes: 240 is 4h (and these hourly rows are refused as 4h)
    four = kraken_ohlcvt(tmp_path / "ETHUSD_240.csv", ours, bom=False)
    one_line_refusal(zyn(tmp_path, "import", str(four)), "ETHUSD_240.csv", "not 4h apart")


def test_reimport_changes_nothing(tmp_path: Path, ours: Path) -> None:
    assert zyn(tmp_path, "import", str(ours)).returncode == 0
    again = zyn(tmp_path, "import", str(ours))
    assert again.returncode == 0 and "(0 new)" in again.stdout
    assert [r["candles"] for r in status(tmp_path)] == [500]


def test_importing_other_prices_over_stored_candles_says_how_many_it_replaced(tmp_path: Path, ours: Path) -> None:
    """Found by the acceptance audit: ETH's prices imported as XBTUSD_60.csv rewrote BTC/USD's candles
    and the line said "(0 new)". The newer reading still wins; the line now says it replaced them."""
    assert zyn(tmp_path, "import", str(ours)).returncode == 0
    rows = ours.read_text().splitlines()
    other = tmp_path / "other" / ours.name
    other.parent.mkdir()
    doubled = [",".join([r.split(",")[0], *(f"{2 * float(v):g}" for v in r.split(",")[1:])]) for r in rows[1:11]]
    other.write_text("\n".join([rows[0], *doubled]) + "\n")
    out = zyn(tmp_path, "import", str(other))
    assert out.returncode == 0 and "(0 new, 10 stored with other prices replaced)" in out.stdout, out.stdout
    again = zyn(tmp_path, "import", str(other))
    assert "(0 new)" in again.stdout and "replaced" not in again.stdout
    assert [r["candles"] for r in status(tmp_path)] == [500]


def test_a_name_without_pair_needs_the_flags(tmp_path: Path, ours: Path) -> None:
    plain = tmp_path / "candles.csv"
    plain.write_text(ours.read_text())
    one_line_refusal(zyn(tmp_path, "import", str(plain)), "candles.csv", "--pair", "--timeframe")
    out = zyn(tmp_path, "import", str(plain), "--pair", "xbt/usd", "--timeframe", "1h")
    assert out.returncode == 0, out.stderr
    assert [(r["pair"], r["timeframe"]) for r in status(tmp_path)] == [("BTC/USD", "1h")]


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("1546632000000,3800,3810,3790,oops,12", "line 90: not a number"),
        ("1546632000000,3800,3700,3790,3795,12", "line 90: high/low inconsistent"),
        ("1546632000000,3800,3810,3790,3795", "line 90: expected 6 values"),
        ("1546300800000,3800,3810,3790,3795,12", "line 90: rows not in time order"),
    ],
)
def test_a_bad_line_is_one_line_and_nothing_is_written(tmp_path: Path, ours: Path, line: str, needle: str) -> None:
    rows = ours.read_text().splitlines()
    rows[89] = line
    bad = tmp_path / "KRAKEN_ETH-USD_1h.csv"
    bad.write_text("\n".join(rows) + "\n")
    one_line_refusal(zyn(tmp_path, "import", str(bad), process=line.endswith("oops,12")), "KRAKEN_ETH-USD_1h.csv",
                     needle)
    assert status(tmp_path) == []


def test_a_bad_kraken_line_and_a_missing_file_are_one_line(tmp_path: Path, ours: Path) -> None:
    path = kraken_ohlcvt(tmp_path / "XBTUSD_60.csv", ours, bom=False)
    rows = path.read_text().splitlines()
    rows[41] = "1546448400,3800,3810,3790,3795,12"  # six values: Kraken's file has seven
    path.write_text("\n".join(rows) + "\n")
    one_line_refusal(zyn(tmp_path, "import", str(path)), "XBTUSD_60.csv line 42: expected 7 values")
    one_line_refusal(zyn(tmp_path, "import", str(tmp_path / "nope.csv")), "nope.csv")
    assert status(tmp_path) == []


def test_status_without_candles_says_so(tmp_path: Path) -> None:
    out = zyn(tmp_path, "status")
    assert out.returncode == 0 and "no candles stored yet" in out.stdout


def test_our_csv_with_a_byte_order_mark_and_a_folder_of_files(tmp_path: Path, ours: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "KRAKEN_BTC-USD_1h.csv").write_bytes(b"\xef\xbb\xbf" + ours.read_bytes())
    kraken_ohlcvt(folder / "XETHZUSD_60.csv", ours)
    out = zyn(tmp_path, "import", str(folder))
    assert out.returncode == 0, out.stderr
    assert [(r["pair"], r["candles"]) for r in status(tmp_path)] == [("BTC/USD", 500), ("ETH/USD", 500)]


def test_one_bad_file_in_a_folder_writes_none_of_them(tmp_path: Path, ours: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "KRAKEN_BTC-USD_1h.csv").write_text(ours.read_text())
    (folder / "KRAKEN_ETH-USD_1h.csv").write_text(ours.read_text().replace("3694.5", "-1", 1))
    one_line_refusal(zyn(tmp_path, "import", str(folder)), "KRAKEN_ETH-USD_1h.csv line 2: prices must be positive")
    assert status(tmp_path) == []
