"""The sim's `book` channel (Kraken WebSocket v2, level 2), made from its candle clock.

Why like this (docs.kraken.com, "Book (Level 2)" and "Book checksum (WebSocket v2)"): a client
subscribes `{"channel": "book", "symbol": [...], "depth": 10}` (depth 10, 25, 100, 500 or 1000;
default 10) and gets a `snapshot` then `update`s, each item `{"symbol", "bids": [{"price", "qty"}],
"asks": [...], "checksum", "timestamp"}`; an update carries only the levels that changed, a level
with `qty` 0 is removed, and the client truncates to its depth itself. The checksum (snapshot AND
updates in v2) is the CRC32 of the top 10 asks (low to high) then the top 10 bids (high to low),
each level as its price then its qty written in full precision with the "." and the leading
zeros removed. Numbers go out with their full precision (the pair's price decimals, 8 for qty),
trailing zeros included, as Kraken sends them — which is why the client must read them as
decimals. This is the sim's own code, written from those pages, not Zyn's client.

The book itself is made up, deterministically, around the last traded price: `LEVELS` levels a
side, one `step` apart (a few basis points, at least one tick), the quantities drawn from the
candle's volume and the level — so every trade the replay prints moves the book and sends an
update, and a test can compute what the book must be.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

DEPTHS = (10, 25, 100, 500, 1000)
LEVELS = 25  # levels a side the sim's book holds (a deeper subscription gets these)
CHECKSUM_LEVELS = 10
QTY_DECIMALS = 8
NUMBER = "#num#"  # a JSON string "#num#45285.20" is written as the bare number 45285.20
_NUMBER_RE = re.compile('"' + NUMBER + r'(-?[0-9.]+)"')

Level = tuple[Decimal, Decimal]  # (price, qty)


@dataclass(frozen=True)
class Book:
    asks: tuple[Level, ...]  # low to high
    bids: tuple[Level, ...]  # high to low

    def top(self, depth: int) -> Book:
        return Book(self.asks[:depth], self.bids[:depth])


def make_book(price: float, volume: float, seed: int, price_decimals: int) -> Book:
    """`LEVELS` a side around `price`: best bid below it, best ask above it."""
    tick = Decimal(1).scaleb(-price_decimals)
    p = Decimal(repr(price))
    step = max(tick, (p * Decimal("0.0004")).quantize(tick, ROUND_FLOOR))
    best_bid = (p - step / 2).quantize(tick, ROUND_FLOOR)
    best_ask = max((p + step / 2).quantize(tick, ROUND_CEILING), best_bid + tick)
    unit = max(Decimal(repr(volume)) / 400, Decimal("0.0001"))
    lot = Decimal(1).scaleb(-QTY_DECIMALS)

    def qty(side: int, i: int) -> Decimal:
        k = (seed * 31 + side * 17 + i * 7) % 13 + 1
        return max((unit * k / 4).quantize(lot, ROUND_FLOOR), lot)

    asks = tuple((best_ask + step * i, qty(1, i)) for i in range(LEVELS))
    bids = tuple((best_bid - step * i, qty(2, i)) for i in range(LEVELS) if best_bid - step * i > 0)
    return Book(asks, bids)


def checksum(book: Book) -> int:
    """Kraken's v2 book checksum over the top 10 levels (see the module docstring)."""

    def level_text(price: Decimal, qty: Decimal) -> str:
        return "".join(f"{x:f}".replace(".", "").lstrip("0") for x in (price, qty))

    text = "".join(level_text(*lvl) for lvl in book.asks[:CHECKSUM_LEVELS])
    text += "".join(level_text(*lvl) for lvl in book.bids[:CHECKSUM_LEVELS])
    return zlib.crc32(text.encode()) & 0xFFFFFFFF


def levels_json(levels: list[Level] | tuple[Level, ...], price_decimals: int) -> list[dict[str, str]]:
    """Levels as `{"price", "qty"}` number placeholders (see `dumps`), in full precision."""
    return [{"price": NUMBER + f"{price:.{price_decimals}f}", "qty": NUMBER + f"{qty:.{QTY_DECIMALS}f}"}
            for price, qty in levels]


def changes(old: tuple[Level, ...], new: tuple[Level, ...]) -> list[Level]:
    """What an update sends for one side: new or changed levels, and qty 0 for levels gone."""
    before, after = dict(old), dict(new)
    gone = [(price, Decimal(0)) for price in before if price not in after]
    return gone + [(price, qty) for price, qty in new if before.get(price) != qty]


def dumps_numbers(text: str) -> str:
    """JSON text with the number placeholders written as bare JSON numbers."""
    return _NUMBER_RE.sub(r"\1", text) if NUMBER in text else text
