"""Zyn's copy of the level-2 book: updates, the depth cut, the checksum over the wire's digits,
and the fill a market order would get walking the levels."""

from __future__ import annotations

import json
import zlib
from decimal import Decimal
from typing import Any

from adapters.kraken.ws_book import OrderBooks, book_checksum

SNAPSHOT = ('{"channel": "book", "type": "snapshot", "data": [{"symbol": "BTC/USD", '
            '"bids": [{"price": 100.0, "qty": 0.50000000}, {"price": 99.5, "qty": 1.00000000}], '
            '"asks": [{"price": 100.5, "qty": 0.25000000}, {"price": 101.0, "qty": 2.00000000}], "checksum": CS}]}')


def wire(text: str) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(text, parse_float=Decimal)  # as the socket client reads book messages
    return message


def test_the_checksum_is_over_the_wire_digits_trailing_zeros_included() -> None:
    asks = [(Decimal("100.5"), Decimal("0.25000000")), (Decimal("101.0"), Decimal("2.00000000"))]
    bids = [(Decimal("100.0"), Decimal("0.50000000")), (Decimal("99.5"), Decimal("1.00000000"))]
    text = "1005" + "25000000" + "1010" + "200000000" + "1000" + "50000000" + "995" + "100000000"
    assert book_checksum(asks, bids) == zlib.crc32(text.encode())
    books = OrderBooks(depth=10)
    assert books.apply(wire(SNAPSHOT.replace("CS", str(zlib.crc32(text.encode()))))) == []
    top = books.top("BTC/USD")
    assert top is not None and (top.bid, top.ask) == (Decimal("100.0"), Decimal("100.5"))
    assert round(top.spread_bps, 1) == 49.9


def test_updates_set_and_remove_levels_cut_to_depth_and_a_bad_checksum_drops_the_book() -> None:
    books = OrderBooks(depth=2)
    asks = [(Decimal("100.5"), Decimal("0.25000000")), (Decimal("101.0"), Decimal("2.00000000"))]
    bids = [(Decimal("100.0"), Decimal("0.50000000")), (Decimal("99.5"), Decimal("1.00000000"))]
    books.apply(wire(SNAPSHOT.replace("CS", str(book_checksum(asks, bids)))))
    # a better bid pushes 99.5 out of depth 2 (Kraken sends no removal for it); 100.5 ask is gone
    new_asks = [(Decimal("101.0"), Decimal("2.00000000"))]
    new_bids = [(Decimal("100.2"), Decimal("0.10000000")), (Decimal("100.0"), Decimal("0.50000000"))]
    update: dict[str, Any] = {"channel": "book", "type": "update", "data": [{
        "symbol": "BTC/USD", "bids": [{"price": Decimal("100.2"), "qty": Decimal("0.10000000")}],
        "asks": [{"price": Decimal("100.5"), "qty": Decimal("0E-8")}],
        "checksum": book_checksum(new_asks, new_bids)}]}
    assert books.apply(update) == []
    top = books.top("BTC/USD")
    assert top is not None and (top.bid, top.ask) == (Decimal("100.2"), Decimal("101.0"))
    update["data"][0]["checksum"] = 12345
    assert books.apply(update) == ["BTC/USD"] and books.top("BTC/USD") is None and books.mismatches == 1
    assert books.apply(update) == []  # no book until a new snapshot: updates wait for one


def test_a_market_order_walks_the_levels_for_its_fill_estimate() -> None:
    books = OrderBooks(depth=10)
    books.apply(wire(SNAPSHOT.replace(', "checksum": CS', "")))
    price, covered = books.fill_estimate("BTC/USD", "buy", Decimal("1.25")) or (Decimal(0), False)
    assert covered and price == (Decimal("0.25") * Decimal("100.5") + Decimal("1") * Decimal("101.0")) / Decimal("1.25")
    price, covered = books.fill_estimate("BTC/USD", "sell", Decimal("2")) or (Decimal(0), True)
    assert not covered  # more than the book holds: the rest priced at the last level, a floor
    assert books.fill_estimate("ETH/USD", "buy", Decimal(1)) is None
