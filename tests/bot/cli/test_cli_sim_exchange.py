"""`zyn sim-exchange` as a user starts it, driven by real ccxt over HTTP on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import ccxt

from tests.ports import free_port


def _client(proc: subprocess.Popen[str], port: int) -> tuple[ccxt.kraken, str]:
    """ccxt on the key pair the sim printed, once the sim answers (ticker BTC/USDT)."""
    lines = [proc.stdout.readline() for _ in range(3)]  # type: ignore[union-attr]
    key = next(ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("API key"))
    secret = next(ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("API secret"))
    ex = ccxt.kraken({"apiKey": key, "secret": secret, "enableRateLimit": False})
    base = f"http://127.0.0.1:{port}"
    ex.urls["api"] = {**ex.urls["api"], "public": base, "private": base}
    deadline = time.time() + 20
    while True:
        try:
            ex.fetch_ticker("BTC/USDT")
            return ex, key
        except ccxt.NetworkError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def test_sim_exchange_cli_serves_kraken_to_ccxt(tmp_path: Path, data_dir: Path) -> None:
    """The command line exactly as the README shows it, with no variable the README does not name."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZYN_", "DATABASE_URL", "PAPER_", "KRAKEN_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "sim-exchange", "--port", str(port), "--data",
         str(data_dir / "kraken_small" / "KRAKEN_BTC-USDT_1h.csv"), "--balance", "USDT=5000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )
    try:
        ex, key = _client(proc, port)
        ticker = ex.fetch_ticker("BTC/USDT")
        assert ticker["last"] > 0
        assert ex.fetch_balance()["total"]["USDT"] == 5000
        bad = ccxt.kraken({"apiKey": key, "secret": "c2VjcmV0", "enableRateLimit": False})
        bad.urls["api"] = ex.urls["api"]
        try:
            bad.fetch_balance()
            raise AssertionError("a wrong signature must be refused")
        except ccxt.ExchangeError as exc:  # ccxt has no mapping for this Kraken string
            assert "EAPI:Invalid signature" in str(exc)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert (tmp_path / "var" / "sim_exchange.db").is_file()  # its own database, not Zyn's
    assert not (tmp_path / "var" / "zyn.db").exists()


def test_sim_exchange_cli_bad_balance_is_exit_2() -> None:
    out = subprocess.run([sys.executable, "-m", "bot", "sim-exchange", "--balance", "USD=lots",
                          "--port", str(free_port())],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "USD=lots" in out.stderr and "Traceback" not in out.stderr


def test_sim_exchange_cli_injects_faults_and_staking_balances(tmp_path: Path, data_dir: Path) -> None:
    """`--fault` and `--staked` reproduce the test suite's faults from the command line."""
    port = free_port()
    env = {**os.environ, "ZYN_LOG_LEVEL": "ERROR"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "sim-exchange", "--port", str(port), "--db", f"sqlite:///{tmp_path}/sim.db",
         "--data",
         str(data_dir / "kraken_small" / "KRAKEN_BTC-USDT_1h.csv"), "--balance", "USDT=5000",
         "--fault", "BalanceEx=error,times=1,error=EAPI:Invalid nonce", "--staked", "DOT.S=12.5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        ex, _ = _client(proc, port)
        try:
            ex.privatePostBalanceEx()
            raise AssertionError("the injected fault must answer first")
        except ccxt.InvalidNonce as exc:
            assert "EAPI:Invalid nonce" in str(exc)
        balances = ex.privatePostBalanceEx()["result"]
        assert balances["DOT.S"]["balance"] == "12.5" and "USDT" in balances
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_sim_exchange_cli_bad_fault_is_exit_2() -> None:
    out = subprocess.run([sys.executable, "-m", "bot", "sim-exchange", "--fault", "AddOrder=explode",
                          "--port", str(free_port())],  # not the default 8090: it may be taken
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "--fault" in out.stderr


def test_sim_exchange_cli_bad_day_kind_is_exit_2() -> None:
    """Issue 19: `--bad-day SEED --bad-day-kinds LIST` is checked before anything starts."""
    out = subprocess.run([sys.executable, "-m", "bot", "sim-exchange", "--bad-day", "4", "--bad-day-kinds", "rain",
                          "--port", str(free_port())],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "--bad-day-kinds 'rain'" in out.stderr
