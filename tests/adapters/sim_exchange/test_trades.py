"""The sim's public Trades endpoint, read through ccxt as a Kraken client would: Kraken's shape
(result keyed by the pair id, seven-field rows, a nanosecond `last` cursor), paging with `since`,
a tape whose aggregation gives back the replayed candles exactly, and no trade from the future."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import ccxt
import pytest

from adapters.sim_exchange.runner import SimExchange, build_sim_exchange
from core.domain import Candle
from core.market_data.store_trades import TradeCandles
from tests.fakes.sim_server import SimServer

H = 3_600_000
WARM = 600


@pytest.fixture
def sim(tmp_path: Path, data_dir: Path) -> Iterator[tuple[SimExchange, ccxt.kraken]]:
    data = data_dir / "kraken" / "KRAKEN_ETH-USD_1h.csv"
    sim = build_sim_exchange(str(data), "", "", {"USD": Decimal(1000)}, 3600.0, f"sqlite:///{tmp_path}/s.db",
                             warmup_candles=WARM)
    server = SimServer(sim.app).start()
    client = ccxt.kraken({"enableRateLimit": False})
    client.urls["api"] = {**client.urls["api"], "public": server.url, "private": server.url}
    try:
        yield sim, client
    finally:
        server.stop()


def replayed(sim: SimExchange) -> list[Candle]:
    return sim.candles.closed_rows("ETH/USD", sim.clock.now_ms())


def test_trades_have_krakens_shape_and_ccxt_reads_them(sim: tuple[SimExchange, ccxt.kraken]) -> None:
    server, client = sim
    raw = client.publicGetTrades({"pair": "ETHUSD", "count": 5})
    assert raw["error"] == [] and set(raw["result"]) == {"XETHZUSD", "last"}
    rows = raw["result"]["XETHZUSD"]
    assert len(rows) == 5
    for price, volume, time_s, side, kind, misc, trade_id in rows:
        assert isinstance(price, str) and isinstance(volume, str) and isinstance(time_s, float)
        assert side in ("b", "s") and kind in ("m", "l") and misc == "" and isinstance(trade_id, int)
    assert [r[6] for r in rows] == sorted(r[6] for r in rows)
    assert raw["result"]["last"] == str(round(rows[-1][2] * 1e9))  # the cursor: the last trade in nanoseconds
    last = replayed(server)[-1]
    assert float(rows[-1][0]) == pytest.approx(last.close) and rows[-1][2] * 1000 < last.ts + H
    trades = client.fetch_trades("ETH/USD", since=replayed(server)[0].ts, limit=8)
    assert len(trades) == 8 and trades[0]["price"] == pytest.approx(replayed(server)[0].open)
    assert {t["side"] for t in trades} <= {"buy", "sell"}


def test_paging_the_tape_with_last_gives_back_every_candle(sim: tuple[SimExchange, ccxt.kraken]) -> None:
    server, client = sim
    candles = replayed(server)
    agg, got, cursor, pages = TradeCandles(H), [], str(candles[0].ts // 1000), 0
    while True:
        result = client.publicGetTrades({"pair": "XETHZUSD", "since": cursor})["result"]
        rows = result["XETHZUSD"]
        pages += 1
        if not rows:
            assert result["last"] == cursor  # nothing newer: the cursor comes back unchanged
            break
        got += agg.feed((round(r[2] * 1000), float(r[0]), float(r[1])) for r in rows)
        cursor = result["last"]
    got.append(agg.pending())
    assert pages == -(-4 * len(candles) // 1000) + 1  # four trades a candle, 1000 a page, then an empty one
    assert [c.ts for c in got] == [c.ts for c in candles]
    for mine, theirs in zip(got, candles, strict=True):
        assert (mine.open, mine.high, mine.low, mine.close) == pytest.approx(
            (theirs.open, theirs.high, theirs.low, theirs.close), abs=0.006)  # prices to the pair's decimals
        assert mine.volume == pytest.approx(theirs.volume, abs=1e-7)


def test_the_tape_never_shows_a_candle_that_has_not_closed(sim: tuple[SimExchange, ccxt.kraken]) -> None:
    server, client = sim
    now = server.clock.now_ms()
    newest = client.publicGetTrades({"pair": "ETHUSD"})["result"]["XETHZUSD"]
    assert len(newest) == 1000 and max(r[2] for r in newest) * 1000 < now
    server.clock.advance(3 * H)
    server.replayer.step()
    later = client.publicGetTrades({"pair": "ETHUSD", "since": str(round(newest[-1][2] * 1e9))})["result"]
    assert len(later["XETHZUSD"]) == 12  # the three candles that closed since, four trades each
    assert max(r[2] for r in later["XETHZUSD"]) * 1000 < server.clock.now_ms()


@pytest.mark.parametrize(("params", "error"), [
    ({"pair": "ETHUSD", "count": "0"}, "EGeneral:Invalid arguments:count"),
    ({"pair": "ETHUSD", "count": "1001"}, "EGeneral:Invalid arguments:count"),
    ({"pair": "ETHUSD", "since": "yesterday"}, "EGeneral:Invalid arguments:since"),
    ({"pair": "NOPEUSD"}, "EQuery:Unknown asset pair"),
])
def test_bad_arguments_get_krakens_errors(sim: tuple[SimExchange, ccxt.kraken], params: dict[str, str],
                                          error: str) -> None:
    import requests

    server, client = sim
    body = requests.get(f"{client.urls['api']['public']}/0/public/Trades", params=params, timeout=5).json()
    assert body == {"error": [error]}
