"""The universe against `zyn sim-exchange --data DIR` over real HTTP through ccxt: AssetPairs and
ONE batched Ticker call for every pair, 24h volume from the sim's candles."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import ccxt

from adapters.kraken.universe import KrakenUniverseSource
from adapters.sim_exchange.runner import build_sim_exchange
from bench.synthetic_pairs import build_folder
from bot.text.universe import reason_text
from core.markets.universe import select
from core.strategy.module_settings import UniverseSettings
from tests.fakes.sim_server import SimServer


class Counting:
    """WSGI middleware counting the Kraken endpoints the client called."""

    def __init__(self, app: Any) -> None:
        self.app, self.calls = app, Counter[str]()

    def __call__(self, environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        self.calls[environ["PATH_INFO"].rsplit("/", 1)[-1]] += 1
        return self.app(environ, start)


def test_sim_serves_every_pair_file_and_the_universe_uses_one_ticker_call(tmp_path: Path, data_dir: Path) -> None:
    real = [data_dir / "binance" / "BINANCE_BTC-USDT_1h.csv", data_dir / "binance" / "BINANCE_ETH-USDT_1h.csv"]
    synthetic = build_folder(tmp_path / "data", real, thick=4, thin=4, hours=400)
    sim = build_sim_exchange(str(tmp_path / "data"), "", "", {"USD": Decimal(10000)}, 60.0,
                             f"sqlite:///{tmp_path}/sim.db", warmup_candles=100)
    counting = Counting(sim.app.wsgi_app)
    sim.app.wsgi_app = counting  # type: ignore[method-assign]
    server = SimServer(sim.app).start()
    try:
        client = ccxt.kraken({"enableRateLimit": False, "timeout": 5000})
        client.urls["api"] = {**client.urls["api"], "public": server.url, "private": server.url}
        stats = KrakenUniverseSource(client).pair_stats()
    finally:
        server.stop()
    assert {s.pair for s in stats} == {"BTC/USDT", "ETH/USDT", *synthetic}
    assert counting.calls["Ticker"] == 1 and counting.calls["AssetPairs"] == 1
    btc = next(s for s in stats if s.pair == "BTC/USDT")
    day = sim.candles.last_day("BTC/USDT", sim.clock.now_ms())
    assert btc.volume_base_24h is not None and abs(btc.volume_base_24h - sum(c.volume for c in day)) < 1e-6
    assert btc.last is not None and abs(btc.last - day[-1].close) <= 0.05  # BTC/USDT: 1 price decimal
    rows = select(stats, UniverseSettings(quote="USD", min_volume_usd=1_000_000, max_pairs=3, min_history=0))
    reasons = {r.pair: reason_text(r) for r in rows}  # the words bot/ gives the row's code
    assert reasons["BTC/USDT"] == "quote USDT, not USD"
    assert sum(r.included for r in rows) <= 3
    assert any(r.startswith("24h volume") for r in reasons.values())


def test_the_sims_24h_volume_never_counts_candles_after_now() -> None:
    from adapters.sim_exchange.candles import CandleBook
    from core.domain import Candle

    hour = 3_600_000
    book = CandleBook()
    book.extend("BTC/USD", hour, [Candle(i * hour, 1, 1, 1, 1, 2.0) for i in range(100)])
    now = 50 * hour
    day = book.last_day("BTC/USD", now)
    assert [c.ts // hour for c in day] == list(range(26, 50))
    assert sum(c.volume for c in day) == 48.0
