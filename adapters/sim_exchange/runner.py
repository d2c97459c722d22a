"""`zyn sim-exchange`: serve a Kraken-compatible paper exchange that replays real candles.

Public API (the CLI calls this; everything else here is a helper):

    run_sim_exchange(
        host: str, port: int,
        data_path: str,                 # a CSV file or a folder of <EXCHANGE>_<BASE>-<QUOTE>_<tf>.csv
        api_key: str, api_secret: str,  # both "" -> a key pair is generated and printed
        balances: dict[str, Decimal],   # starting account, common names: {"USD": Decimal(10000)}
        speed: float,                   # simulated seconds per real second (PAPER_SPEED)
        db_url: str,                    # SQLAlchemy URL of the paper account (survives restarts)
        *, warmup_candles: int = 200,   # history available at once (not walked: no fills)
    ) -> None                           # blocks, serving (werkzeug, threaded) until interrupted

Pairs come from the file names (`KRAKEN_BTC-USD_1h.csv` -> BTC/USD, served as XXBTZUSD/XBTUSD)
with Kraken's trading rules from `core.markets.catalog`. A background thread moves a `SimClock`
at `speed` and, as simulated time passes each candle's open and close, quotes the open
(`set_price`) and then walks the candle (`walk_candle`), so resting orders fill the way the
paper engine and the backtest agree on. `build_sim_exchange` does everything but serve (tests).
Candles are read with `core.market_data.csv_loader` (bad files -> UserError with one line).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import Flask
from loguru import logger

from adapters.sim_exchange.auth import RateLimit, generate_key_pair
from adapters.sim_exchange.bad_day import BadDay
from adapters.sim_exchange.candles import CandleBook
from adapters.sim_exchange.counters import KrakenCounters
from adapters.sim_exchange.server import create_sim_app
from core.clock import SimClock
from core.domain import Candle, UserError
from core.market_data.csv_loader import load_dataset
from core.markets.catalog import market_for
from core.markets.timeframes import timeframe_ms
from core.paper.exchange import PaperExchange
from core.telemetry.db import make_engine

log = logger.bind(component="sim_exchange")


@dataclass(frozen=True)
class _Event:
    ts: int
    order: int  # 0 = close of a candle, 1 = open of the next (closes first at a tie), 2 = mid-candle trade
    pair: str
    candle: Candle


@dataclass
class Replayer:
    """Moves simulated time and feeds the paper exchange; `step()` is one tick (tests call it)."""

    exchange: PaperExchange
    clock: SimClock
    book: CandleBook
    events: list[_Event]
    tf_ms: dict[str, int]
    tick_s: float = 0.05
    _next: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def step(self) -> int:
        """Apply every event whose time has come; returns how many opens and closes were applied."""
        now, applied = self.clock.now_ms(), 0
        while self._next < len(self.events) and self.events[self._next].ts <= now:
            ev = self.events[self._next]
            self._next += 1
            applied += ev.order != 2  # a mid-candle trade only moves the streamed candle
            if ev.order == 1:
                self.exchange.set_price(ev.pair, Decimal(str(ev.candle.open)), ev.ts)
                self.book.traded(ev.pair, _opening(ev.candle))
            elif ev.order == 2:
                self.book.traded(ev.pair, _first_leg(ev.candle))
            else:
                self.exchange.walk_candle(ev.pair, ev.candle)
                self.book.add(ev.pair, self.tf_ms[ev.pair], ev.candle)
        return applied

    @property
    def finished(self) -> bool:
        return self._next >= len(self.events)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sim-replay", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.is_set() and not self.finished:
            self._stop.wait(self.tick_s)
            now = time.monotonic()
            self.clock.tick_real(now - last)
            last = now
            try:
                self.step()
            except Exception:  # keep serving; the failure is in the log
                log.exception("replay step failed")
        log.info("replay finished at {}", self.clock.now())


@dataclass
class SimExchange:
    app: Flask
    exchange: PaperExchange
    clock: SimClock
    candles: CandleBook
    replayer: Replayer
    api_key: str
    api_secret: str
    generated_keys: bool


def build_sim_exchange(
    data_path: str,
    api_key: str,
    api_secret: str,
    balances: dict[str, Decimal],
    speed: float,
    db_url: str,
    *,
    warmup_candles: int = 200,
    rate_limit: RateLimit | None = None,
    tier: str | None = None,
) -> SimExchange:
    """Load the data, build the paper account, the candle book, the replayer and the Flask app."""
    if bool(api_key) != bool(api_secret):
        raise UserError("give both --api-key and --api-secret, or neither (a pair is generated)")
    generated = not api_key
    if generated:
        api_key, api_secret = generate_key_pair()
    dataset = load_dataset(data_path)
    tf_ms = {pair: timeframe_ms(tf) for pair, (tf, _) in dataset.items()}
    book = CandleBook()
    warm = {pair: candles[:warmup_candles] for pair, (_, candles) in dataset.items()}
    rest = {pair: candles[warmup_candles:] for pair, (_, candles) in dataset.items()}
    start_ms = min((c[-1].ts + tf_ms[p] for p, c in warm.items() if c), default=0)
    clock = SimClock(start_ms, speed=speed)
    engine = make_engine(db_url)
    markets = {pair: market_for(pair) for pair in dataset}
    exchange = PaperExchange(
        engine, markets, clock, start_balances=balances, candle_source=_candle_source(book, clock)
    )
    for pair, candles in warm.items():
        book.extend(pair, tf_ms[pair], candles)
        if candles:
            exchange.set_price(pair, Decimal(str(candles[-1].close)), candles[-1].ts + tf_ms[pair])
    replayer = Replayer(exchange, clock, book, _events(rest, tf_ms), tf_ms)
    limit = rate_limit or (None if tier else RateLimit())  # a tier: Kraken's own counters instead
    app = create_sim_app(exchange, api_key, api_secret, clock, candles=book, rate_limit=limit)
    if tier:
        app.config["KRAKEN_COUNTERS"] = KrakenCounters(tier)
    return SimExchange(app, exchange, clock, book, replayer, api_key, api_secret, generated)


def run_sim_exchange(
    host: str,
    port: int,
    data_path: str,
    api_key: str,
    api_secret: str,
    balances: dict[str, Decimal],
    speed: float,
    db_url: str,
    *,
    warmup_candles: int = 200,
    faults: list[Any] | None = None,
    staked: dict[str, str] | None = None,
    tier: str | None = "starter",
    bad_day: BadDay | None = None,
    fill_lag_s: float = 0.0,
    close_lag_s: float = 0.0,
) -> None:
    """Serve until interrupted (see the module docstring). `fill_lag_s`: REST shows fills late;
    `close_lag_s`: REST shows conditional closes late (by the sim's clock).

    werkzeug's threaded server, not waitress: the WebSocket endpoints take over the request's raw
    socket (`werkzeug.socket`, see `ws_upgrade`), which waitress does not expose; a thread per
    connection also lets the `drop` fault cut a REST answer as a network would."""
    from werkzeug.serving import WSGIRequestHandler, make_server  # lazy: werkzeug loads only when used

    class _Quiet(WSGIRequestHandler):  # one access line per call would drown the sim's own log
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            return None

    sim = build_sim_exchange(
        data_path, api_key, api_secret, balances, speed, db_url, warmup_candles=warmup_candles, tier=tier
    )
    sim.app.config.update(FAULTS=list(faults or []), STAKED=dict(staked or {}), BAD_DAY=bad_day)
    sim.app.config["SIM"].lag.seconds = fill_lag_s  # `--fill-lag` (issue 21)
    sim.app.config["SIM"].close_lag.seconds = close_lag_s  # `--close-lag` (issue 21.3)
    if sim.generated_keys:
        print(f"API key:    {sim.api_key}\nAPI secret: {sim.api_secret}", flush=True)
    pairs = ", ".join(sorted(sim.exchange.load_markets()))
    server = make_server(host, port, sim.app, threaded=True, request_handler=_Quiet)
    print(f"Kraken sim exchange on http://{host}:{port} ({pairs}; speed {speed:g}x); "
          f"WebSocket v2 at ws://{host}:{port}/ws/v2", flush=True)
    if bad_day is not None:
        print(f"bad day: seed {bad_day.seed}, {bad_day.rate:g} of private calls get one of "
              f"{', '.join(bad_day.kinds)}", flush=True)
    sim.replayer.start()
    try:
        server.serve_forever()
    finally:
        server.server_close()
        sim.replayer.stop()


def _events(candles: dict[str, list[Candle]], tf_ms: dict[str, int]) -> list[_Event]:
    events: list[_Event] = []
    for pair, rows in candles.items():
        for c in rows:
            events.append(_Event(c.ts, 1, pair, c))
            events.append(_Event(c.ts + tf_ms[pair] // 2, 2, pair, c))
            events.append(_Event(c.ts + tf_ms[pair], 0, pair, c))
    events.sort(key=lambda e: (e.ts, e.order, e.pair))
    return events


def _opening(c: Candle) -> Candle:
    """The candle as its first trade prints it (at the open)."""
    return Candle(ts=c.ts, open=c.open, high=c.open, low=c.open, close=c.open, volume=0.0)


def _first_leg(c: Candle) -> Candle:
    """The candle half way through: the paper path's first leg (open -> low) has traded."""
    return Candle(ts=c.ts, open=c.open, high=c.open, low=c.low, close=c.low, volume=c.volume / 2)


CandleSource = Callable[[str, str, int | None, int | None], list[Candle]]


def _candle_source(book: CandleBook, clock: SimClock) -> CandleSource:
    """PaperExchange.fetch_ohlcv answers from what has been replayed (closed candles only)."""
    def source(pair: str, timeframe: str, since_ms: int | None, limit: int | None) -> list[Candle]:
        tf = timeframe_ms(timeframe)
        try:
            rows, last = book.ohlc(pair, tf, since_ms, clock.now_ms())
        except ValueError:
            raise UserError(f"no {timeframe} candles for {pair} (the data is coarser)") from None
        closed = [c for c in rows if c.ts <= last]
        return closed[-limit:] if limit else closed

    return source
