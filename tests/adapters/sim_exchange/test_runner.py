"""build_sim_exchange on the shared real Kraken candles: warm-up history, replay, ccxt on top."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import ccxt
import pytest

from adapters.sim_exchange.runner import build_sim_exchange
from core.domain import UserError
from tests.fakes.sim_server import SimServer

DATA = Path(os.environ.get("ZYN_SHARED_DATA", Path(__file__).parents[4] / "shared" / "data"))
ETH_BTC = DATA / "kraken_small" / "KRAKEN_ETH-BTC_1h.csv"


@pytest.mark.skipif(not ETH_BTC.exists(), reason="shared data not present")
def test_replay_serves_real_candles(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/s.db"
    sim = build_sim_exchange(str(ETH_BTC), "", "", {"BTC": Decimal(1)}, 3600.0, db, warmup_candles=50)
    assert sim.generated_keys and sim.api_key and sim.api_secret
    server = SimServer(sim.app).start()
    try:
        ex = ccxt.kraken({"apiKey": sim.api_key, "secret": sim.api_secret, "enableRateLimit": False})
        ex.urls["api"] = {**ex.urls["api"], "public": server.url, "private": server.url}
        assert "ETH/BTC" in ex.load_markets()
        assert len(ex.fetch_ohlcv("ETH/BTC", "1h")) == 51  # 50 closed + the forming one
        assert sim.replayer.step() == 1  # the next candle's opening quote
        last = ex.fetch_ticker("ETH/BTC")["last"]
        low = ex.create_order("ETH/BTC", "limit", "buy", 1.0, round(last * 0.5, 5))
        sim.clock.advance(10 * 3_600_000)
        assert sim.replayer.step() == 20  # ten candles: a walk and the next opening quote each
        assert len(ex.fetch_ohlcv("ETH/BTC", "1h")) == 61
        assert ex.fetch_order(low["id"])["status"] == "open"  # far below the market: never reached
        ex.create_order("ETH/BTC", "market", "buy", 0.1)
        assert ex.fetch_balance()["total"]["ETH"] == 0.1
    finally:
        server.stop()


def test_key_pair_must_be_complete(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="both"):
        build_sim_exchange(str(ETH_BTC), "key", "", {}, 60.0, f"sqlite:///{tmp_path}/s.db")
