"""Zyn's copy of Kraken's level-2 `book` (WebSocket v2), verified by Kraken's CRC32 checksum.

Why: the spread (and so what a market order really costs) is in the book, not in the last price;
one socket carries the top of the book for every traded pair without a REST call. How
(docs.kraken.com "Book (Level 2)", "Book checksum (WebSocket v2)"): a `snapshot` replaces the
pair's book, an `update` sets each level it names (`qty` 0 removes it); after every message the
book is cut to the subscribed depth (Kraken sends no removal for a level that falls out of it);
then the checksum — CRC32 over the top 10 asks (low to high) then the top 10 bids (high to low),
each level its price then its qty in full precision with "." and leading zeros removed — must
equal the message's. Prices and quantities are read as Decimals from the wire text (the socket
client parses book messages with `parse_float=Decimal`), so "0.10000000" keeps its zeros. A
mismatch drops the pair's book and names the pair, so the feed resubscribes it (a fresh snapshot).
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

CHECKSUM_LEVELS = 10


@dataclass(frozen=True)
class TopOfBook:
    bid: Decimal
    ask: Decimal

    @property
    def spread_bps(self) -> float:
        """(ask - bid) / mid in basis points."""
        mid = (self.ask + self.bid) / 2
        return float((self.ask - self.bid) / mid * 10_000) if mid > 0 else 0.0


def book_checksum(asks: list[tuple[Decimal, Decimal]], bids: list[tuple[Decimal, Decimal]]) -> int:
    """Kraken's v2 checksum; `asks` low to high, `bids` high to low."""

    def text(levels: list[tuple[Decimal, Decimal]]) -> str:
        return "".join(format(x, "f").replace(".", "").lstrip("0") for lvl in levels[:CHECKSUM_LEVELS] for x in lvl)

    return zlib.crc32((text(asks) + text(bids)).encode()) & 0xFFFFFFFF


class OrderBooks:
    """The books of every subscribed pair; thread-safe (the socket thread writes, status reads)."""

    def __init__(self, depth: int = 10) -> None:
        self.depth = depth
        self._asks: dict[str, dict[Decimal, Decimal]] = {}
        self._bids: dict[str, dict[Decimal, Decimal]] = {}
        self._lock = threading.Lock()
        self.mismatches = 0  # checksums that did not match (each one a resubscription)

    def apply(self, message: dict[str, Any]) -> list[str]:
        """Apply one `book` message; returns the pairs whose checksum failed (their book dropped)."""
        snapshot = message.get("type") == "snapshot"
        bad: list[str] = []
        for item in message.get("data") or []:
            if not isinstance(item, dict) or not item.get("symbol"):
                continue
            pair = str(item["symbol"])
            with self._lock:
                if not snapshot and pair not in self._asks:
                    continue  # an update before its snapshot (or after a mismatch): wait for one
                if snapshot:
                    self._asks[pair], self._bids[pair] = {}, {}
                self._levels(self._asks[pair], item.get("asks") or [])
                self._levels(self._bids[pair], item.get("bids") or [])
                asks, bids = self._cut(pair)
                expected = item.get("checksum")
                if expected is not None and book_checksum(asks, bids) != int(expected):
                    del self._asks[pair], self._bids[pair]
                    self.mismatches += 1
                    bad.append(pair)
        return bad

    def top(self, pair: str) -> TopOfBook | None:
        with self._lock:
            asks, bids = self._asks.get(pair), self._bids.get(pair)
            if not asks or not bids:
                return None
            return TopOfBook(bid=max(bids), ask=min(asks))

    def fill_estimate(self, pair: str, side: str, amount: Decimal) -> tuple[Decimal, bool] | None:
        """The average price a market order of `amount` would get walking the book's levels (asks
        for a buy, bids for a sell), and whether the book's depth covered all of it (if not, the
        rest is priced at the last level seen: a floor on the real slippage)."""
        with self._lock:
            side_levels = self._asks.get(pair) if side == "buy" else self._bids.get(pair)
            if not side_levels or amount <= 0:
                return None
            levels = sorted(side_levels.items(), reverse=side != "buy")
        left, cost, price = amount, Decimal(0), levels[0][0]
        for price, qty in levels:
            take = min(left, qty)
            cost += take * price
            left -= take
            if left <= 0:
                break
        covered = left <= 0
        cost += max(left, Decimal(0)) * price
        return cost / amount, covered

    def pairs(self) -> list[str]:
        with self._lock:
            return sorted(self._asks)

    def forget(self, pair: str) -> None:
        with self._lock:
            self._asks.pop(pair, None)
            self._bids.pop(pair, None)

    @staticmethod
    def _levels(side: dict[Decimal, Decimal], levels: list[Any]) -> None:
        for level in levels:
            price, qty = Decimal(str(level["price"])), Decimal(str(level["qty"]))
            if qty == 0:
                side.pop(price, None)
            else:
                side[price] = qty

    def _cut(self, pair: str) -> tuple[list[tuple[Decimal, Decimal]], list[tuple[Decimal, Decimal]]]:
        """Truncate both sides to the depth; returns them sorted for the checksum."""
        asks = sorted(self._asks[pair].items())[: self.depth]
        bids = sorted(self._bids[pair].items(), reverse=True)[: self.depth]
        self._asks[pair], self._bids[pair] = dict(asks), dict(bids)
        return asks, bids
