"""The composition root's candle store on live market data: after start, the background backfill
fills it from the Kraken sim (OHLC for the trading and mtf timeframes, the Trades tape back
ZYN_HISTORY_DAYS), the feed keeps what it hands out, and a replay keeps its candles up to the clock."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.sim_exchange.runner import SimExchange, build_sim_exchange
from bot.wiring.app import build_zyn
from bot.wiring.history import start_backfill
from core.clock import SimClock
from core.config import load_settings
from core.market_data.store_sql import SqlCandleStore
from tests.fakes.sim_server import SimServer

H = 3_600_000
DAY = 86_400_000


@pytest.fixture
def sim(tmp_path: Path, data_dir: Path) -> Iterator[tuple[SimExchange, str]]:
    data = data_dir / "kraken" / "KRAKEN_BTC-USD_1h.csv"
    sim = build_sim_exchange(str(data), "", "", {"USD": Decimal(1000)}, 3600.0, f"sqlite:///{tmp_path}/sim.db",
                             warmup_candles=1200)
    server = SimServer(sim.app).start()
    try:
        yield sim, server.url
    finally:
        server.stop()


def test_paper_on_live_prices_backfills_in_the_background(tmp_path: Path, sim: tuple[SimExchange, str]) -> None:
    server, url = sim
    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "live",
                              "KRAKEN_API_URL": url, "ZYN_PAIRS": "BTC/USD", "ZYN_TIMEFRAME": "1h",
                              "ZYN_HISTORY_DAYS": "40"})
    zyn = build_zyn(settings, clock=server.clock)
    try:
        assert zyn.market.kind == "live"
        running = start_backfill(zyn.settings, zyn.market, zyn.exchange, zyn.candles, zyn.lifecycle)
        assert running is not None and running.done.wait(60)
        now = server.clock.now_ms()
        stored = {(c.pair, c.timeframe): c for c in SqlCandleStore(zyn.db).coverage()}
        assert set(stored) == {("BTC/USD", "1h"), ("BTC/USD", "4h"), ("BTC/USD", "1d")}  # trading + mtf's
        hourly = stored[("BTC/USD", "1h")]
        assert hourly.first_ms == now - now % H - 40 * DAY  # the tape reached ZYN_HISTORY_DAYS back
        assert hourly.last_ms + H <= now and hourly.candles > 720
        assert zyn.feed is not None
        server.clock.advance(DAY)  # a day later the feed hands out a newer daily candle: it is kept
        server.replayer.step()
        daily = zyn.feed.closed_candles("BTC/USD", "1d", limit=3)
        assert daily[-1].ts > stored[("BTC/USD", "1d")].last_ms
        assert zyn.candles.history("BTC/USD", "1d")[-3:] == daily
    finally:
        zyn.close()


def test_backfill_off_starts_nothing(tmp_path: Path) -> None:
    settings = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "live",
                              "KRAKEN_API_URL": "http://127.0.0.1:9", "ZYN_BACKFILL": "off"})
    zyn = build_zyn(settings, clock=SimClock(1_700_000_000_000))
    try:
        assert start_backfill(zyn.settings, zyn.market, zyn.exchange, zyn.candles, zyn.lifecycle) is None
    finally:
        zyn.close()
