"""The sim's `book` channel as a raw client sees it: ack with the depth, a snapshot of 10 levels a
side in full precision with Kraken's CRC32, then updates of the changed levels whose checksum is
the one of the book after them (the test's own arithmetic, from Kraken's checksum guide)."""

from __future__ import annotations

import json
import re
import zlib
from decimal import Decimal
from typing import Any

from websockets.sync.client import ClientConnection, connect

from core.domain import Candle
from tests.fakes.sim_server import HOUR_MS, START_MS, PaperSim


def recv(ws: ClientConnection, raw: bool = False) -> Any:
    while True:
        text = ws.recv(timeout=5)
        msg = json.loads(text, parse_float=Decimal)
        if msg.get("channel") != "heartbeat":
            return (msg, text) if raw else msg


def crc(asks: dict[Decimal, Decimal], bids: dict[Decimal, Decimal]) -> int:
    def part(levels: list[tuple[Decimal, Decimal]]) -> str:
        return "".join(f"{p:f}".replace(".", "").lstrip("0") + f"{q:f}".replace(".", "").lstrip("0")
                       for p, q in levels[:10])

    text = part(sorted(asks.items())) + part(sorted(bids.items(), reverse=True))
    return zlib.crc32(text.encode())


def test_book_snapshot_and_updates_carry_the_checksum_of_the_book_they_leave(sim: PaperSim) -> None:
    url = sim.url.replace("http://", "ws://") + "/ws/v2"
    with connect(url) as ws:
        recv(ws)  # status
        ws.send(json.dumps({"method": "subscribe", "req_id": 3,
                            "params": {"channel": "book", "symbol": ["BTC/USD"], "depth": 10}}))
        ack = recv(ws)
        assert ack["success"] and ack["result"] == {"channel": "book", "symbol": "BTC/USD", "depth": 10,
                                                    "snapshot": True}
        snap, text = recv(ws, raw=True)
        assert (snap["channel"], snap["type"]) == ("book", "snapshot")
        [item] = snap["data"]
        assert len(item["asks"]) == 10 and len(item["bids"]) == 10
        # full precision on the wire: every qty with Kraken's 8 decimals, every price with the pair's 1
        assert len(re.findall(r'"qty": \d+\.\d{8}[,}]', text)) == 20
        assert len(re.findall(r'"price": \d+\.\d[,}]', text)) == 20
        asks = {lvl["price"]: lvl["qty"] for lvl in item["asks"]}
        bids = {lvl["price"]: lvl["qty"] for lvl in item["bids"]}
        assert max(bids) < min(asks)
        assert item["checksum"] == crc(asks, bids)
        for i, price in enumerate((30500.0, 29500.0, 29400.0)):
            sim.candles.traded("BTC/USD", Candle(START_MS + 3 * HOUR_MS, 30000.0, 30600.0, 29300.0, price, 1.0 + i))
            update = recv(ws)
            assert (update["channel"], update["type"]) == ("book", "update")
            [item] = update["data"]
            for side, levels in ((asks, item["asks"]), (bids, item["bids"])):
                for lvl in levels:
                    if lvl["qty"] == 0:
                        side.pop(lvl["price"], None)
                    else:
                        side[lvl["price"]] = lvl["qty"]
            asks = dict(sorted(asks.items())[:10])
            bids = dict(sorted(bids.items(), reverse=True)[:10])
            assert item["checksum"] == crc(asks, bids)
            assert min(asks) > Decimal(str(price)) > max(bids)  # the book follows the trade
        ws.send(json.dumps({"method": "subscribe", "params": {"channel": "book", "symbol": ["BTC/USD"],
                                                               "depth": 7}}))
        assert recv(ws)["error"] == "Invalid depth"
