"""`zyn sim-exchange` typed bare, as the README's table and the contract show it (`--data` optional).

It used to die with a traceback (`Path(None)`); now it replays `PAPER_DATA` or the README's own
replay candles (`../shared/data/kraken` beside the checkout), and with neither it says so in one line.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import ccxt

from tests.readme.jimmy import clean_env, free_port, zyn


def _checkout_beside_shared(tmp_path: Path, data_dir: Path) -> Path:
    """A checkout folder with `../shared/data/kraken` beside it, as in the README's replay command."""
    kraken = tmp_path / "shared" / "data" / "kraken"
    kraken.mkdir(parents=True)
    (kraken / "KRAKEN_BTC-USDT_1h.csv").symlink_to(data_dir / "kraken_small" / "KRAKEN_BTC-USDT_1h.csv")
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    return checkout


def _keys(proc: subprocess.Popen[str]) -> tuple[str, str]:
    lines = [proc.stdout.readline() for _ in range(4)]  # type: ignore[union-attr]
    assert lines[0].startswith("candles: ../shared/data/kraken"), lines
    key = next(ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("API key"))
    secret = next(ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("API secret"))
    return key, secret


def test_bare_sim_exchange_serves_the_shared_candles(tmp_path: Path, data_dir: Path) -> None:
    checkout = _checkout_beside_shared(tmp_path, data_dir)
    port = free_port()
    proc = subprocess.Popen([*zyn(), "sim-exchange", "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=clean_env(), cwd=checkout)
    try:
        key, secret = _keys(proc)
        ex = ccxt.kraken({"apiKey": key, "secret": secret, "enableRateLimit": False})
        base = f"http://127.0.0.1:{port}"
        ex.urls["api"] = {**ex.urls["api"], "public": base, "private": base}
        deadline = time.monotonic() + 30
        while True:  # the key lines come before the server listens: wait for the positive signal
            try:
                ticker = ex.fetch_ticker("BTC/USDT")
                break
            except ccxt.NetworkError:
                assert time.monotonic() < deadline, "the sim never answered"
                time.sleep(0.2)
        assert ticker["last"] > 0
        assert ex.fetch_balance()["total"]["USD"] == 10000  # the table's default --balance USD=10000
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert (checkout / "var" / "sim_exchange.db").is_file()  # its own database by default


def test_bare_sim_exchange_without_candles_is_one_line(tmp_path: Path) -> None:
    out = subprocess.run([*zyn(), "sim-exchange", "--port", str(free_port())], capture_output=True,
                         text=True, env=clean_env(), cwd=tmp_path, timeout=120)
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1 and "--data" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "var").exists()  # nothing written
