"""The sim's public WebSocket v2 (`/ws/v2`): `ohlc`, `ticker` and `book` from its candle clock, heartbeats.

Why like this (docs.kraken.com, Spot WebSocket v2): a client sends `{"method": "subscribe",
"params": {"channel": "ohlc", "symbol": ["BTC/USD"], "interval": 60}, "req_id": 1}` and gets one
acknowledgement per symbol, then a `snapshot` and `update`s as trades happen. An `ohlc` update
carries the whole candle of the running interval so far (`interval_begin`, open/high/low/close,
volume, vwap, trades) and there is NO "closed" flag: the client decides a candle is over when its
interval ends. Symbols are v2 names (BTC/USD, not XBT/USD); numbers are JSON numbers; times are
RFC 3339. `{"channel": "heartbeat"}` goes out every second; `{"method": "ping"}` is answered
`pong`. The candles are the replay's: each base candle trades at its open, half way (the paper
path's first leg, open -> low) and at its close, so a client sees the running candle change
inside its interval as it would on Kraken. The snapshot holds the last `SNAPSHOT_ROWS` candles
(the forming one included); a client backfills older history from REST OHLC. `book` (level 2,
with Kraken's CRC32 checksum on the snapshot and every update) is `ws_book`'s.
Socket faults (`ws_faults.SocketFault`) apply to data and heartbeat messages, never to the
acknowledgements.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any

from flask import Flask, Response, request
from loguru import logger
from websockets.sync.connection import Connection

from adapters.sim_exchange.candles import merge
from adapters.sim_exchange.context import SimContext
from adapters.sim_exchange.ws_book import DEPTHS, Book, changes, checksum, dumps_numbers, levels_json, make_book
from adapters.sim_exchange.ws_faults import SocketFault, first_fault
from adapters.sim_exchange.ws_upgrade import drop, pump, serve_websocket
from core.domain import Candle, ZynError
from core.markets.timeframes import bucket_start

log = logger.bind(component="sim_ws")
INTERVALS = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)
SNAPSHOT_ROWS = 10
HEARTBEAT_S = 1.0
POLL_S = 0.02
TRADES_PER_CANDLE = 3  # the replay prints each base candle's open, its first leg and its close


def rfc3339(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


@dataclass
class _Session:
    conn: Connection
    ohlc: set[tuple[str, int]] = field(default_factory=set)  # (pair, interval minutes)
    ticker: set[str] = field(default_factory=set)
    book: dict[str, tuple[int, Book]] = field(default_factory=dict)  # pair -> (depth, book as last sent)
    out: deque[dict[str, Any]] = field(default_factory=deque)  # append/popleft: thread-safe
    held: dict[str, Any] | None = None  # an out-of-order message waiting for the next one
    stalled_until: float = 0.0
    last_sent: float = 0.0
    dropped: bool = False


class MarketStream:
    """Every open public session, fed by the candle book as the replay trades."""

    def __init__(self, ctx: SimContext, faults: Callable[[], list[SocketFault]],
                 heartbeat_s: float = HEARTBEAT_S) -> None:
        self._ctx, self._faults, self._heartbeat_s = ctx, faults, heartbeat_s
        self._sessions: dict[int, _Session] = {}
        self._forming: dict[str, Candle] = {}  # pair -> the running base candle so far
        self._prints: dict[str, int] = {}  # pair -> trades printed in the running base candle
        self._books: dict[str, Book] = {}  # pair -> the book after its last trade
        self._book_lock = threading.Lock()  # a session's book state: the replay and the session thread
        self._lock = threading.Lock()
        self._fault_lock = threading.Lock()
        self._ids = count(1)
        ctx.candles.listen(self)

    # ------------------------------------------------------------------ the replay side
    def candle_traded(self, pair: str, candle: Candle, closed: bool) -> None:
        """Stream the trade. Stamped with when it traded, not when the replay got to it: a closing
        candle's last trade is before its end (so a message stamped at or after an interval's end
        tells a client that interval is over, as on Kraken)."""
        base = self._ctx.candles.base_tf_ms(pair) or 60_000
        last_ms = candle.ts + base - 1
        stamp = last_ms if closed else min(self._ctx.clock.now_ms(), last_ms)
        with self._lock:
            if closed:
                self._forming.pop(pair, None)
                self._prints.pop(pair, None)
            else:
                self._forming[pair] = candle
                self._prints[pair] = self._prints.get(pair, 0) + 1
            seed = candle.ts // 1000 + self._prints.get(pair, 0) + (7 if closed else 0)
            book = self._books[pair] = make_book(candle.close, candle.volume, seed, self._decimals(pair))
            sessions = list(self._sessions.values())
        for s in sessions:
            for sub_pair, minutes in sorted(s.ohlc):
                if sub_pair == pair:
                    item = self._ohlc_item(pair, minutes, bucket_start(candle.ts, minutes * 60_000), stamp)
                    if item is not None:
                        s.out.append(self._message("ohlc", "update", [item], stamp))
            if pair in s.ticker:
                item = self._ticker_item(pair)
                if item is not None:
                    s.out.append(self._message("ticker", "update", [item]))
            if pair in s.book:
                self._queue_book(s, pair, book, "update")

    # ------------------------------------------------------------------ one connection
    def session(self, conn: Connection) -> None:
        """Serve one client until it goes (runs in the request's thread)."""
        sid = next(self._ids)
        s = _Session(conn)
        with self._lock:
            self._sessions[sid] = s
        log.bind(session=sid).info("websocket session opened")
        hello = {"channel": "status", "type": "update", "data": [{
            "api_version": "v2", "connection_id": sid, "system": "online", "version": "2.0.0"}]}
        try:
            pump(conn, POLL_S, lambda: self._send(s, hello), lambda: s.dropped,
                 lambda raw: self._request(s, raw), lambda: self._flush(s))
        finally:
            with self._lock:
                self._sessions.pop(sid, None)
            log.bind(session=sid).info("websocket session closed")

    def _request(self, s: _Session, raw: str | bytes) -> None:
        time_in = rfc3339(self._ctx.clock.now_ms())
        try:
            req = json.loads(raw)
            method = str(req.get("method", ""))
        except (ValueError, AttributeError):
            self._reply(s, {"error": "Malformed request", "success": False}, time_in, None)
            return
        req_id = req.get("req_id")
        if method == "ping":
            self._reply(s, {"method": "pong"}, time_in, req_id)
        elif method in ("subscribe", "unsubscribe"):
            self._subscription(s, method, req.get("params") or {}, time_in, req_id)
        else:
            self._reply(s, {"error": "Method not found", "method": method, "success": False}, time_in, req_id)

    def _subscription(self, s: _Session, method: str, params: dict[str, Any], time_in: str,
                      req_id: Any) -> None:
        channel = params.get("channel")
        symbols = params.get("symbol") or []
        interval, depth = params.get("interval", 1), params.get("depth", 10)
        error = self._refusal(channel, symbols, interval, depth)
        if error:
            self._reply(s, {"error": error, "method": method, "success": False}, time_in, req_id)
            return
        good: list[str] = []
        for symbol in symbols:
            pair = str(symbol)
            if pair not in self._ctx.markets:
                self._reply(s, {"error": f"Currency pair not supported {pair}", "method": method,
                                "success": False, "symbol": pair}, time_in, req_id)
                continue
            result: dict[str, Any] = {"channel": channel, "symbol": pair}
            if channel == "ohlc":
                result.update(interval=interval, snapshot=params.get("snapshot", True))
            elif channel == "book":
                result.update(depth=depth, snapshot=params.get("snapshot", True))
            self._reply(s, {"method": method, "result": result, "success": True}, time_in, req_id)
            good.append(pair)
        with self._lock:
            for pair in good:
                if channel == "ohlc":
                    (s.ohlc.add if method == "subscribe" else s.ohlc.discard)((pair, int(interval)))
                elif channel == "book":
                    with self._book_lock:
                        s.book.pop(pair, None)
                        if method == "subscribe":
                            s.book[pair] = (int(depth), Book((), ()))
                else:
                    (s.ticker.add if method == "subscribe" else s.ticker.discard)(pair)
        if method == "subscribe" and good and params.get("snapshot", True):
            self._snapshot(s, str(channel), good, int(interval))

    def _refusal(self, channel: Any, symbols: Any, interval: Any, depth: Any) -> str:
        """Kraken's words for a subscription it will not take ("" when it will)."""
        if channel not in ("ohlc", "ticker", "book") or not isinstance(symbols, list):
            return f"Channel {channel} not supported"
        if channel == "ohlc" and (interval not in INTERVALS or not self._streams(symbols, int(interval))):
            return "Invalid interval"
        if channel == "book" and depth not in DEPTHS:
            return "Invalid depth"
        return ""

    def _streams(self, symbols: list[Any], minutes: int) -> bool:
        """The replayed data can make candles of this interval (a multiple of its timeframe)."""
        for symbol in symbols:
            base = self._ctx.candles.base_tf_ms(str(symbol))
            if base is not None and (minutes * 60_000 < base or minutes * 60_000 % base):
                return False
        return True

    def _snapshot(self, s: _Session, channel: str, pairs: list[str], minutes: int) -> None:
        if channel == "book":  # one snapshot message per symbol
            for pair in pairs:
                self._queue_book(s, pair, self._book_now(pair), "snapshot")
            return
        items: list[dict[str, Any]] = []
        for pair in pairs:
            if channel == "ticker":
                t = self._ticker_item(pair)
                items += [t] if t is not None else []
            else:
                items += self._ohlc_history(pair, minutes)
        s.out.append(self._message(channel, "snapshot", items))

    # ------------------------------------------------------------------ book
    def _decimals(self, pair: str) -> int:
        return int(self._ctx.market(pair).pair_decimals)

    def _book_now(self, pair: str) -> Book:
        with self._lock:
            book = self._books.get(pair)
        if book is None:
            last = float(self._ctx.exchange.fetch_ticker(pair).last)
            book = make_book(last, 1.0, self._ctx.clock.now_ms() // 1000, self._decimals(pair))
            with self._lock:
                book = self._books.setdefault(pair, book)
        return book

    def _queue_book(self, s: _Session, pair: str, book: Book, kind: str) -> None:
        """Queue a snapshot, or the update from what this session was last sent (its depth only);
        under one lock, so the replay's updates and a snapshot queue in the order they were made."""
        digits = self._decimals(pair)
        with self._book_lock:
            depth, sent = s.book.get(pair, (10, Book((), ())))
            now = book.top(depth)
            s.book[pair] = (depth, now)
            asks = now.asks if kind == "snapshot" else changes(sent.asks, now.asks)
            bids = now.bids if kind == "snapshot" else changes(sent.bids, now.bids)
            item = {"symbol": pair, "bids": levels_json(bids, digits), "asks": levels_json(asks, digits),
                    "checksum": checksum(now), "timestamp": rfc3339(self._ctx.clock.now_ms())}
            s.out.append({"channel": "book", "type": kind, "data": [item]})

    # ------------------------------------------------------------------ messages
    def _message(self, channel: str, kind: str, data: list[dict[str, Any]], stamp_ms: int | None = None,
                 ) -> dict[str, Any]:
        msg: dict[str, Any] = {"channel": channel, "type": kind, "data": data}
        if channel == "ohlc":
            msg["timestamp"] = rfc3339(self._ctx.clock.now_ms() if stamp_ms is None else stamp_ms)
        return msg

    def _reply(self, s: _Session, body: dict[str, Any], time_in: str, req_id: Any) -> None:
        body = {**body, "time_in": time_in, "time_out": rfc3339(self._ctx.clock.now_ms())}
        if req_id is not None:
            body["req_id"] = req_id
        self._send(s, body)

    def _ohlc_history(self, pair: str, minutes: int) -> list[dict[str, Any]]:
        interval_ms = minutes * 60_000
        now = self._ctx.clock.now_ms()
        try:
            rows, _ = self._ctx.candles.ohlc(pair, interval_ms, None, now)
        except ValueError:
            return []
        starts = [c.ts for c in rows if c.volume > 0 or c.ts != bucket_start(now, interval_ms)]
        forming = self._forming.get(pair)
        if forming is not None and bucket_start(forming.ts, interval_ms) not in starts:
            starts.append(bucket_start(forming.ts, interval_ms))
        out = [self._ohlc_item(pair, minutes, start) for start in starts[-SNAPSHOT_ROWS:]]
        return [item for item in out if item is not None]

    def _ohlc_item(self, pair: str, minutes: int, start: int, stamp_ms: int | None = None) -> dict[str, Any] | None:
        interval_ms = minutes * 60_000
        rows = self._ctx.candles.bucket(pair, interval_ms, start)
        forming = self._forming.get(pair)
        trades = TRADES_PER_CANDLE * len(rows)
        if forming is not None and start <= forming.ts < start + interval_ms:
            rows = [*rows, forming]
            trades += self._prints.get(pair, 0)
        if not rows:
            return None
        c = merge(start, rows)
        digits = self._ctx.market(pair).pair_decimals
        vwap = sum((r.high + r.low + r.close) / 3 * r.volume for r in rows) / c.volume if c.volume else c.close
        return {
            "symbol": pair, "open": round(c.open, digits), "high": round(c.high, digits),
            "low": round(c.low, digits), "close": round(c.close, digits), "trades": trades,
            "volume": round(c.volume, 8), "vwap": round(vwap, digits),
            "interval_begin": rfc3339(start), "interval": minutes,
            "timestamp": rfc3339(self._ctx.clock.now_ms() if stamp_ms is None else stamp_ms),
        }

    def _ticker_item(self, pair: str) -> dict[str, Any] | None:
        try:
            t = self._ctx.exchange.fetch_ticker(pair)
        except ZynError:
            return None
        day = self._ctx.candles.last_day(pair, self._ctx.clock.now_ms())
        last = float(t.last)
        first = day[0].open if day else last
        return {
            "symbol": pair, "bid": float(t.bid), "bid_qty": 1.0, "ask": float(t.ask), "ask_qty": 1.0,
            "last": last, "volume": round(sum(c.volume for c in day), 8),
            "vwap": last, "low": min((c.low for c in day), default=last),
            "high": max((c.high for c in day), default=last),
            "change": round(last - first, 8), "change_pct": round((last - first) / first * 100, 2) if first else 0.0,
        }

    # ------------------------------------------------------------------ sending, with faults
    def _flush(self, s: _Session) -> None:
        while s.out and not s.dropped and time.monotonic() >= s.stalled_until:
            self._deliver(s, s.out.popleft())
        now = time.monotonic()
        if not s.dropped and now >= s.stalled_until and now - s.last_sent >= self._heartbeat_s:
            self._deliver(s, {"channel": "heartbeat"})

    def _deliver(self, s: _Session, msg: dict[str, Any]) -> None:
        fault = first_fault(self._faults(), str(msg.get("channel", "")), self._fault_lock)
        if fault is None:
            self._send(s, msg)
        elif fault.kind == "drop":
            log.info("sim websocket fault: drop")
            s.dropped = True
            drop(s.conn)
        elif fault.kind == "stall":
            log.bind(seconds=fault.seconds).info("sim websocket fault: stall")
            s.stalled_until = time.monotonic() + fault.seconds
            s.out.appendleft(msg)  # goes out first when the stall ends
        elif fault.kind == "duplicate":
            self._send(s, msg)
            self._send(s, msg)
        elif fault.kind == "lose":
            log.bind(channel=msg.get("channel")).info("sim websocket fault: a message lost")
        else:  # out_of_order: this one goes after the next
            s.held = msg
            return
        if s.held is not None and msg is not s.held and fault is None:
            held, s.held = s.held, None
            self._send(s, held)

    def _send(self, s: _Session, msg: dict[str, Any]) -> None:
        s.conn.send(dumps_numbers(json.dumps(msg)))  # book prices/quantities in full precision
        s.last_sent = time.monotonic()


def add_public_socket(app: Flask, ctx: SimContext) -> MarketStream:
    """Serve `/ws/v2` on `app`; faults come from `app.config["WS_FAULTS"]` (read per message)."""
    app.config.setdefault("WS_FAULTS", [])
    stream = MarketStream(ctx, lambda: app.config.get("WS_FAULTS") or [])

    @app.route("/ws/v2", websocket=True)  # werkzeug answers 400 to an upgrade on a plain rule
    def ws_v2() -> Response:
        return serve_websocket(request, stream.session)

    app.extensions["zyn_sim_stream"] = stream
    return stream
