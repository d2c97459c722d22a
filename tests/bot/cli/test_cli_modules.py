"""`zyn backtest --features` and `zyn universe` as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def zyn(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "ZYN_LOG_LEVEL": "ERROR", **(env or {})}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=full,
                          timeout=120)


def test_backtest_echoes_the_features_and_mtf_trades_less(data_dir: Path) -> None:
    data = str(data_dir / "kraken" / "KRAKEN_ETH-USD_1h.csv")
    base = zyn("backtest", "--data", data, "--timeframe", "4h", "--json")
    mtf = zyn("backtest", "--data", data, "--timeframe", "4h", "--json", "--features", "mtf,profit_target")
    assert base.returncode == 0 and mtf.returncode == 0, mtf.stderr
    b, m = json.loads(base.stdout), json.loads(mtf.stdout)
    assert "features" not in b and m["features"] == ["mtf", "profit_target"]
    assert 0 < m["trades"] < b["trades"]
    bad = zyn("backtest", "--data", data, "--features", "turbo")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "unknown feature 'turbo'" in bad.stderr


def test_universe_lists_every_pair_with_the_reason(tmp_path: Path, data_dir: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/z.db", "PAPER_FEED": "replay",
           "PAPER_DATA": str(data_dir / "kraken_small"), "ZYN_TIMEFRAME": "1h", "ZYN_PAIRS": "BTC/USDT",
           "ZYN_UNIVERSE_QUOTE": "USDT", "ZYN_UNIVERSE_MIN_VOLUME_USD": "0", "ZYN_UNIVERSE_MIN_HISTORY": "0"}
    out = zyn("universe", "--json", env=env)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    reasons = {r["pair"]: r["reason"] for r in report["universe"]}
    assert report["feature_on"] is False and set(reasons) == {"BTC/USDT", "ETH/BTC"}
    assert reasons["ETH/BTC"] == "quote BTC, not USDT"
    text = zyn("universe", env=env)
    assert text.returncode == 0 and "ETH/BTC" in text.stdout and "quote BTC, not USDT" in text.stdout


def test_universe_is_research_it_takes_no_lease_and_writes_no_ledger(tmp_path: Path, data_dir: Path) -> None:
    """`zyn universe` reads candles and the feature switch only: while another process owns the
    money it neither waits for nor touches the lease, and it builds no paper account (the old
    command built the whole Zyn, whose paper exchange wrote a fresh ledger)."""
    from sqlalchemy import text

    from core.clock import RealClock
    from core.telemetry.db import make_engine
    from scheduler.lock import SchedulerLock, live_holder

    url = f"sqlite:///{tmp_path}/z.db"
    db = make_engine(url)
    owner = SchedulerLock(db, RealClock(), lease_s=600)
    assert owner.acquire()
    env = {"DATABASE_URL": url, "PAPER_FEED": "replay", "PAPER_DATA": str(data_dir / "kraken_small"),
           "ZYN_TIMEFRAME": "1h", "ZYN_PAIRS": "BTC/USDT", "ZYN_UNIVERSE_QUOTE": "USDT",
           "ZYN_UNIVERSE_MIN_VOLUME_USD": "0", "ZYN_UNIVERSE_MIN_HISTORY": "0"}
    out = zyn("universe", "--json", env=env)
    assert out.returncode == 0, out.stderr
    assert {r["pair"] for r in json.loads(out.stdout)["universe"]} == {"BTC/USDT", "ETH/BTC"}
    assert live_holder(db, RealClock()) == owner.holder
    with db.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM paper_balances")).scalar() == 0
    owner.release()
    db.dispose()
