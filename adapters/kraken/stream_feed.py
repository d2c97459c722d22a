"""Market data from Kraken's WebSocket v2, with REST polling as the fallback: a `MarketFeed`.

Why: polling one REST OHLC call per pair per candle cannot carry a universe (Kraken's public
REST allows about one call a second per IP); one socket streams `ohlc` and `ticker` for hundreds
of symbols. What this feed does:
- subscribes on demand: the first `closed_candles(pair, tf)` adds `ohlc` at that interval and
  `ticker` for the pair (so the traded pairs, the universe and the mtf timeframes are all covered
  by whoever asks), in v2 symbols (BTC/USD, never XBT);
- seeds each series once from REST OHLC (history older than the stream), then serves candles
  from the stream, closed by the clock (`ws_candles`), repairing gaps once from REST;
- falls back to plain REST polling (the `KrakenPublicFeed` it wraps) whenever the socket is not
  alive — and says which one answered (`transport()`: "websocket" | "rest", shown in status);
- subscribes `book` (depth 10) for the traded pairs and keeps their top of book, checked by
  Kraken's checksum (`ws_book`); a mismatch resubscribes that pair (a fresh snapshot); `top(pair)`
  gives bid/ask and the spread while the socket is alive (status shows it);
- starts its socket on first use (only the processes that read market data open one) and stops
  it with the process (`stop`, kept by the composition root's lifecycle).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from loguru import logger

from adapters.kraken.feed import KrakenPublicFeed
from adapters.kraken.ws_book import OrderBooks, TopOfBook
from adapters.kraken.ws_candles import StreamCandles
from adapters.kraken.ws_client import KrakenSocket
from core.domain import Candle
from core.markets.timeframes import timeframe_ms
from core.ports import Clock

log = logger.bind(component="kraken_ws")
INTERVALS = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)  # minutes Kraken streams
SEED_ROWS = 720  # Kraken's REST OHLC keeps 720 rows
BOOK_DEPTH = 10  # the top of book is all Zyn uses; the checksum covers exactly 10 levels


class StreamFeed:
    def __init__(self, rest: KrakenPublicFeed, url: str, clock: Clock, *, stall_s: float = 10.0,
                 backoff_s: float = 0.5) -> None:
        self._rest, self._clock = rest, clock
        self.candles = StreamCandles()
        self.books = OrderBooks(BOOK_DEPTH)
        self.book_resubscribes = 0
        self._tickers: dict[str, float] = {}
        self._ticker_pairs: set[str] = set()
        self._lock = threading.Lock()
        self.socket = KrakenSocket(url, self._subscriptions, self._on_message, stall_s=stall_s,
                                   backoff_s=backoff_s)
        self.rest_calls = 0  # REST OHLC calls made by this feed (seed, repair, fallback)
        self._last_transport = "rest"
        self._reads = 0

    # ------------------------------------------------------------------ MarketFeed
    def pairs(self) -> Sequence[str]:
        return self._rest.pairs()

    def closed_candles(self, pair: str, timeframe: str, limit: int = 200) -> list[Candle]:
        tf_ms = timeframe_ms(timeframe)
        if tf_ms % 60_000 or tf_ms // 60_000 not in INTERVALS:
            return self._rest_closed(pair, timeframe, limit)  # not a streamed interval
        self._want(pair, tf_ms)
        if not self.socket.alive():
            self._transport("rest")
            return self._rest_closed(pair, timeframe, limit)
        now = self._clock.now_ms()
        if not self.candles.seeded(pair, tf_ms):
            self._book_rest(pair, timeframe, tf_ms, now)
        gaps = self.candles.gaps(pair, tf_ms, now)
        if gaps:
            log.bind(pair=pair, timeframe=timeframe, gaps=len(gaps)).info("repairing stream gaps from REST OHLC")
            self._book_rest(pair, timeframe, tf_ms, now)
            self.candles.mark_repaired(pair, tf_ms, gaps)
        self._transport("websocket")
        self._reads += 1
        if self._reads % 5_000 == 0:
            self.candles.forget_before(2 * SEED_ROWS)  # bounded memory on a long run
        return self.candles.closed(pair, tf_ms, now, limit)

    def last_price(self, pair: str) -> float | None:
        with self._lock:
            price = self._tickers.get(pair)
            new = pair not in self._ticker_pairs
            self._ticker_pairs.add(pair)
        if new:
            self._subscribe_ticker([pair])
        if price is not None and self.socket.alive():
            return price
        return self._rest.last_price(pair)

    def top(self, pair: str) -> TopOfBook | None:
        """The pair's best bid and ask from the checked book, while the socket is alive."""
        return self.books.top(pair) if self.socket.alive() else None

    def quote_line(self, pair: str, side: str, amount: Decimal) -> str:
        """One line for a market order's echo: the spread and the fill the book implies ("" when
        there is no live, checked book for the pair)."""
        top = self.top(pair)
        fill = self.books.fill_estimate(pair, side, amount) if top is not None else None
        if top is None or fill is None:
            return ""
        mid = (top.bid + top.ask) / 2
        price, covered = fill
        slip = abs(price - mid) / mid * 10_000
        deeper = "" if covered else f" (more than the top {BOOK_DEPTH} levels hold: at least)"
        return (f"Book: bid {top.bid:f} / ask {top.ask:f}, spread {top.spread_bps:.1f} bps; "
                f"a market {side} of {amount:f} fills at about {price.quantize(top.ask):f}, "
                f"{slip:.1f} bps from mid{deeper}.")

    # ------------------------------------------------------------------ state
    @property
    def rest(self) -> KrakenPublicFeed:
        """The REST polling feed underneath (the fallback)."""
        return self._rest

    def transport(self) -> str:
        """"websocket" while the socket is alive and answering, else "rest"."""
        return "websocket" if self.socket.alive() else "rest"

    def healthy(self) -> bool:
        """The watchdog's probe: the socket delivers (heartbeats count) — or nobody asked for it yet."""
        return (self.socket.connects == 0 and self.socket.last_message_at is None) or self.socket.alive()

    def stop(self) -> None:
        self.socket.stop()

    # ------------------------------------------------------------------ internals
    def _transport(self, now: str) -> None:
        if now != self._last_transport:
            log.bind(transport=now).info("market data now via {}", now)
            self._last_transport = now

    def _want(self, pair: str, tf_ms: int) -> None:
        if self.candles.track(pair, tf_ms):
            minutes = tf_ms // 60_000
            self.socket.send(self._ohlc_request(minutes, [pair]))
            with self._lock:
                new_ticker = pair not in self._ticker_pairs
                self._ticker_pairs.add(pair)
            if new_ticker:
                self._subscribe_ticker([pair])
        self.socket.start()

    def _subscribe_ticker(self, pairs: list[str]) -> None:
        self.socket.send({"method": "subscribe", "params": {"channel": "ticker", "symbol": pairs},
                          "req_id": self.socket.request_id()})
        self.socket.start()

    def _ohlc_request(self, minutes: int, pairs: list[str]) -> dict[str, Any]:
        return {"method": "subscribe", "params": {"channel": "ohlc", "symbol": pairs, "interval": minutes,
                                                  "snapshot": True}, "req_id": self.socket.request_id()}

    def _subscriptions(self) -> list[dict[str, Any]]:
        """Everything this feed streams (sent on every new connection)."""
        out = [self._ohlc_request(m, pairs) for m, pairs in sorted(self.candles.subscriptions().items())]
        with self._lock:
            tickers = sorted(self._ticker_pairs)
        if tickers:
            out.append({"method": "subscribe", "params": {"channel": "ticker", "symbol": tickers},
                        "req_id": self.socket.request_id()})
        traded = list(self._rest.pairs())
        if traded:
            out.append(self._book_request("subscribe", traded))
        return out

    def _book_request(self, method: str, pairs: list[str]) -> dict[str, Any]:
        params: dict[str, Any] = {"channel": "book", "symbol": pairs}
        if method == "subscribe":
            params.update(depth=BOOK_DEPTH, snapshot=True)
        return {"method": method, "params": params, "req_id": self.socket.request_id()}

    def _resubscribe_books(self, pairs: list[str]) -> None:
        """A checksum mismatch: the book is wrong from here on; drop it and ask for a snapshot."""
        log.bind(pairs=pairs, mismatches=self.books.mismatches).warning(
            "book checksum mismatch: resubscribing {}", ", ".join(pairs))
        self.book_resubscribes += 1
        self.socket.send(self._book_request("unsubscribe", pairs))
        self.socket.send(self._book_request("subscribe", pairs))

    def _on_message(self, message: dict[str, Any]) -> None:
        channel = message.get("channel")
        if channel == "ohlc":
            self.candles.apply(message)
        elif channel == "book":
            bad = self.books.apply(message)
            if bad:
                self._resubscribe_books(bad)
        elif channel == "ticker":
            with self._lock:
                for item in message.get("data") or []:
                    if isinstance(item, dict) and item.get("symbol") and item.get("last") is not None:
                        self._tickers[str(item["symbol"])] = float(item["last"])
        elif message.get("success") is False:
            log.bind(error=message.get("error"), symbol=message.get("symbol")).warning(
                "market socket refused a request: {}", message.get("error"))

    def _book_rest(self, pair: str, timeframe: str, tf_ms: int, now: int) -> None:
        closed = self._rest_closed(pair, timeframe, SEED_ROWS)
        self.candles.book_rest(pair, tf_ms, closed, now)

    def _rest_closed(self, pair: str, timeframe: str, limit: int) -> list[Candle]:
        self.rest_calls += 1
        return self._rest.closed_candles(pair, timeframe, limit)
