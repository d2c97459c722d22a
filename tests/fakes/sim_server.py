"""Run the Kraken sim (adapters.sim_exchange) on 127.0.0.1 in a thread, for real-HTTP tests.

Why a real server: the Kraken adapter's tests drive real ccxt over loopback, so signing, nonces,
form encoding and response parsing are exercised exactly as against Kraken.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from adapters.sim_exchange.auth import generate_key_pair
from adapters.sim_exchange.candles import CandleBook
from adapters.sim_exchange.server import create_sim_app
from core.clock import SimClock
from core.domain import Candle
from core.markets.catalog import market_for
from core.paper.exchange import PaperExchange
from core.telemetry.db import make_engine

HOUR_MS = 3_600_000
START_MS = 1_700_000_000_000 - 1_700_000_000_000 % HOUR_MS


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class SimServer:
    """A werkzeug server in a daemon thread; `url` is the base URL to give ccxt."""

    def __init__(self, app: Flask, port: int = 0) -> None:
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", port, app, threaded=True, request_handler=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        # polled every 50 ms, not werkzeug's 500 ms: shutdown() waits for the loop to look, and
        # every test that runs the sim paid up to half a second in its teardown (109 in tests/adapters)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> SimServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@dataclass
class PaperSim:
    """Everything a test needs to steer the sim: the paper account, its clock and candles."""

    exchange: PaperExchange
    clock: SimClock
    candles: CandleBook
    app: Flask
    api_key: str
    api_secret: str
    url: str = ""

    def walk(self, pair: str, candle: Candle) -> None:
        """Replay one candle as the runner does: walk it, record it, move the clock past it."""
        self.exchange.walk_candle(pair, candle)
        self.candles.add(pair, HOUR_MS, candle)
        self.clock.set(candle.ts + HOUR_MS)


def flat_candles(start_ms: int, prices: Sequence[float], spread: float = 0.002) -> list[Candle]:
    """Hourly candles closing at `prices`, each opening at the previous close."""
    out: list[Candle] = []
    prev = prices[0]
    for i, p in enumerate(prices):
        hi, lo = max(prev, p) * (1 + spread), min(prev, p) * (1 - spread)
        out.append(Candle(ts=start_ms + i * HOUR_MS, open=prev, high=hi, low=lo, close=p, volume=1.5))
        prev = p
    return out


def build_paper_sim(
    db_dir: Path,
    prices: Mapping[str, Sequence[float]],
    balances: dict[str, Decimal] | None = None,
) -> PaperSim:
    """A PaperExchange on a SQLite file with `prices` already replayed as hourly candles."""
    clock = SimClock(START_MS)
    markets = {pair: market_for(pair) for pair in prices}
    engine = make_engine(f"sqlite:///{db_dir / 'paper.db'}")
    exchange = PaperExchange(engine, markets, clock, start_balances=balances or {"USD": Decimal(10000)})
    candles = CandleBook()
    key, secret = generate_key_pair()
    app = create_sim_app(exchange, key, secret, clock, candles=candles)
    sim = PaperSim(exchange, clock, candles, app, key, secret)
    for pair, series in prices.items():
        for c in flat_candles(START_MS, series):
            exchange.walk_candle(pair, c)
            candles.add(pair, HOUR_MS, c)
    clock.set(START_MS + max(len(s) for s in prices.values()) * HOUR_MS + 60_000)
    return sim


@contextmanager
def running(sim: PaperSim) -> Iterator[PaperSim]:
    server = SimServer(sim.app).start()
    sim.url = server.url
    try:
        yield sim
    finally:
        server.stop()
