"""KrakenPublicFeed: closed candles only, last price with a fallback."""

from __future__ import annotations

import ccxt

from adapters.kraken.exchange import KrakenExchange
from adapters.kraken.feed import KrakenPublicFeed
from adapters.sim_exchange.server import Fault
from tests.fakes.sim_server import HOUR_MS, START_MS, PaperSim


def test_closed_candles_drop_the_forming_one(kraken: KrakenExchange, sim: PaperSim) -> None:
    feed = KrakenPublicFeed(kraken, sim.clock, pairs=["BTC/USD"])
    assert list(feed.pairs()) == ["BTC/USD"]
    candles = feed.closed_candles("BTC/USD", "1h")
    assert [c.ts for c in candles] == [START_MS + i * HOUR_MS for i in range(4)]
    assert feed.closed_candles("BTC/USD", "1h", limit=2) == candles[-2:]
    assert feed.last_price("BTC/USD") == 30000.0


def test_works_over_bare_ccxt_and_falls_back_to_the_last_price(sim: PaperSim) -> None:
    raw = ccxt.kraken({"enableRateLimit": False})
    raw.urls["api"] = {**raw.urls["api"], "public": sim.url, "private": sim.url}
    feed = KrakenPublicFeed(raw, sim.clock, pairs=["ETH/USD"])
    assert len(feed.closed_candles("ETH/USD", "1h")) == 4
    assert feed.last_price("ETH/USD") == 2030.0
    sim.app.config["FAULTS"].append(Fault("Ticker", "http", status=502))
    assert feed.last_price("ETH/USD") == 2030.0
