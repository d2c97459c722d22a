"""Kraken REST shapes and order semantics of the sim, seen by raw HTTP and by real ccxt."""

from __future__ import annotations

import re
from decimal import Decimal

import ccxt
import pytest

from core.domain import Candle
from tests.adapters.sim_exchange.conftest import RawClient
from tests.fakes.sim_server import HOUR_MS, START_MS, PaperSim

PRICE = r"\d+\.?\d*"
DESCR = re.compile(rf"^(buy|sell) \d+\.\d{{8}} [A-Z]+ @ (market|(limit|stop loss|take profit) {PRICE})$")


def _ccxt(sim: PaperSim) -> ccxt.kraken:
    ex = ccxt.kraken({"apiKey": sim.api_key, "secret": sim.api_secret, "enableRateLimit": False})
    ex.urls["api"] = {**ex.urls["api"], "public": sim.url, "private": sim.url}
    return ex


def test_public_shapes(raw: RawClient, sim: PaperSim) -> None:
    assert raw.public("Time")["result"]["unixtime"] == sim.clock.now_ms() // 1000
    pairs = raw.public("AssetPairs")["result"]
    assert pairs["XXBTZUSD"]["altname"] == "XBTUSD" and pairs["XXBTZUSD"]["wsname"] == "XBT/USD"
    assert raw.public("Assets")["result"]["XXBT"]["altname"] == "XBT"
    ohlc = raw.public("OHLC", pair="XBTUSD", interval=60)["result"]
    rows = ohlc["XXBTZUSD"]
    first = [START_MS // 1000, "30000.0", "30060.0", "29940.0", "30000.0", "30000.0", "1.50000000", 1]
    assert rows[0] == first
    assert ohlc["last"] == rows[-2][0]  # the last row is the forming candle
    assert raw.public("Ticker", pair="ETHUSD")["result"]["XETHZUSD"]["c"][0] == "2020.00"
    assert raw.public("Ticker", pair="NOPEUSD")["error"] == ["EQuery:Unknown asset pair"]
    assert raw.public("Depth", pair="XBTUSD", count=3)["result"]["XXBTZUSD"]["asks"][0][0] == "30000.0"


def test_ohlc_keeps_720_rows_and_resamples(raw: RawClient, sim: PaperSim) -> None:
    for i in range(3, 1003):
        sim.walk("BTC/USD", Candle(START_MS + i * HOUR_MS, 30000, 30010, 29990, 30000, 1.0))
    rows = raw.public("OHLC", pair="XXBTZUSD", interval=60)["result"]["XXBTZUSD"]
    assert len(rows) == 720
    four = raw.public("OHLC", pair="XXBTZUSD", interval=240)["result"]["XXBTZUSD"]
    assert four[1][0] - four[0][0] == 4 * 3600
    assert raw.public("OHLC", pair="XXBTZUSD", interval=5)["error"] == ["EGeneral:Invalid arguments:interval"]


def test_addorder_refusals_use_kraken_strings(raw: RawClient) -> None:
    def add(**kw: str) -> list[str]:
        params = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01", "price": "29000"}
        errors: list[str] = raw.private("AddOrder", **{**params, **kw})["error"]
        return errors

    assert add(volume="abc") == ["EGeneral:Invalid arguments:volume"]
    assert add(volume="-1") == ["EGeneral:Invalid arguments:volume"]
    assert add(volume="0.00001") == ["EOrder:Order minimum not met"]
    assert add(volume="10") == ["EOrder:Insufficient funds"]
    too_fine = "EOrder:Invalid price:XBTUSD price can only be specified up to 1 decimals."
    assert add(price="29000.25") == [too_fine]
    assert add(pair="FOOBAR") == ["EQuery:Unknown asset pair"]
    assert add(validate="True") == ["EGeneral:Invalid arguments:validate"]
    assert raw.private("CancelOrder", txid="OAAAAA-BBBBB-CCCCCC")["error"] == ["EOrder:Unknown order"]


def test_validate_checks_but_changes_nothing(raw: RawClient, sim: PaperSim) -> None:
    order = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01", "price": "29000"}
    answer = raw.private("AddOrder", **order, validate="true")
    assert answer == {"error": [], "result": {"descr": {"order": "buy 0.01000000 XBTUSD @ limit 29000.0"}}}
    assert sim.exchange.fetch_open_orders() == []


def test_descr_order_follows_krakens_text(raw: RawClient) -> None:
    for kind, price in (("market", ""), ("limit", "29000"), ("stop-loss", "28000"), ("take-profit", "35000")):
        side = "buy" if kind in ("market", "limit") else "sell"
        answer = raw.private("AddOrder", pair="XBTUSD", type=side, ordertype=kind, volume="0.01", price=price)
        assert answer["error"] == [], kind
        assert DESCR.match(answer["result"]["descr"]["order"]), answer
    opened = raw.private("OpenOrders", trades="true")["result"]["open"]
    assert {o["descr"]["ordertype"] for o in opened.values()} == {"limit", "stop-loss", "take-profit"}


def test_conditional_close_is_placed_after_the_parent_fills(sim: PaperSim) -> None:
    ex = _ccxt(sim)
    stop_close = {"close": {"ordertype": "stop-loss", "price": 28000}}
    ex.create_order("BTC/USD", "market", "buy", 0.01, None, stop_close)
    [stop] = sim.exchange.fetch_open_orders()
    got = (stop.side, stop.type, stop.price, stop.amount)
    assert got == ("sell", "stop-loss", Decimal("28000.0"), Decimal("0.01"))
    limit_close = {"close": {"ordertype": "limit", "price": 31000}}
    limit = ex.create_order("BTC/USD", "limit", "buy", 0.02, 29500, limit_close)
    opened = ex.fetch_open_orders()
    entry = next(o for o in opened if o["id"] == limit["id"])
    assert entry["info"]["descr"]["close"] == "close position @ limit 31000.0"
    assert len(opened) == 2  # the close waits for the fill
    sim.walk("BTC/USD", Candle(START_MS + 3 * HOUR_MS, 30000, 30050, 29400, 29600, 2.0))
    sells = [o for o in sim.exchange.fetch_open_orders() if o.side == "sell" and o.type == "limit"]
    assert [(o.price, o.amount) for o in sells] == [(Decimal("31000.0"), Decimal("0.02"))]


def test_userref_and_cl_ord_id_filters(raw: RawClient) -> None:
    base = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01"}
    raw.private("AddOrder", **base, price="29000", userref="42")
    raw.private("AddOrder", **base, price="29100", cl_ord_id="my-ref")
    assert len(raw.private("OpenOrders", userref="42")["result"]["open"]) == 1
    [mine] = raw.private("OpenOrders", cl_ord_id="my-ref")["result"]["open"].values()
    assert mine["cl_ord_id"] == "my-ref" and mine["descr"]["price"] == "29100.0"
    assert raw.private("CancelOrder", txid="42")["result"]["count"] == 1
    assert raw.private("CancelAll")["result"]["count"] == 1
    closed = raw.private("ClosedOrders")["result"]
    assert closed["count"] == 2 and {o["status"] for o in closed["closed"].values()} == {"canceled"}


@pytest.mark.parametrize("method", ["Balance", "BalanceEx", "TradesHistory", "QueryOrders"])
def test_private_answers_are_enveloped(raw: RawClient, method: str) -> None:
    answer = raw.private(method, **({"txid": "OAAAAA-BBBBB-CCCCCC"} if method == "QueryOrders" else {}))
    assert answer["error"] == [] and "result" in answer
