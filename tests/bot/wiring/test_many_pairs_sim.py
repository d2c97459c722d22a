"""200 pairs for a day against the sim with Kraken's starter-tier counters enforced (issue 21).

A complete Zyn (`build_zyn`, paper on live prices, ZYN_EVIDENCE=off: the autopilot may decide to
buy) trades 200 generated LOAD-DATA pairs (tests/fakes/load_pairs.py: real candles, price-scaled,
time-shifted; never evidence about a strategy) at 4h on the sim's clock. The test moves that
clock a candle at a time (sim-time acceleration without a race against a loaded CI machine: a
day of six closes in seconds), waits until the socket has streamed the close of every pair, and
runs the autopilot. Market data streams over the sim's WebSocket v2; REST OHLC only seeds each
series once. Shown: every pair is decided at every close, the sim refused nothing
(its own counters, not Zyn's budget), Zyn logged no rate-limit error, and REST OHLC is not
called per pair per candle. The time from close to decision and the calls per hour, socket vs
REST, are measured by bench/kraken_stream.py (not asserted here: no timed tests).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from adapters.sim_exchange.runner import SimExchange
from bot.wiring.app import build_zyn
from core.config import load_settings
from core.telemetry.models import ErrorRow
from tests.fakes.load_pairs import SOURCE
from tests.fakes.load_sim import load_sim, stream_of
from tests.fakes.sim_server import SimServer

pytestmark = pytest.mark.skipif(not SOURCE.exists(), reason="shared data not present")

PAIRS = 200
FOUR_H = 4 * 3_600_000
CLOSES = 6  # a day of 4h candles


@pytest.fixture
def running_sim(tmp_path: Path) -> Iterator[tuple[SimExchange, SimServer, list[str]]]:
    sim, pairs = load_sim(tmp_path, PAIRS, rows=232)
    server = SimServer(sim.app).start()
    try:
        yield sim, server, pairs
    finally:
        server.stop()


def test_two_hundred_pairs_run_a_day_under_the_starter_counters_with_no_refusal(
    tmp_path: Path, running_sim: tuple[SimExchange, SimServer, list[str]]
) -> None:
    sim, server, pairs = running_sim
    env = {"ZYN_MODE": "paper", "PAPER_FEED": "live", "KRAKEN_API_URL": server.url, "ZYN_PAIRS": ",".join(pairs),
           "ZYN_TIMEFRAME": "4h", "ZYN_EVIDENCE": "off", "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db"}
    zyn = build_zyn(load_settings(env), clock=sim.clock)
    try:
        zyn.autopilot.run_once()  # seeds every series from REST once; the socket opens
        feed = stream_of(zyn)
        deadline = time.monotonic() + 30
        while feed.transport() != "websocket":
            assert time.monotonic() < deadline, "the market socket never came up"
            time.sleep(0.05)
        seeded = feed.rest_calls
        first_close = (sim.clock.now_ms() // FOUR_H + 1) * FOUR_H
        decided: dict[int, set[str]] = {}
        for n in range(CLOSES):
            close = first_close + n * FOUR_H
            sim.clock.set(close)
            sim.replayer.step()  # the candle's trades and its close, then the next candle's open
            deadline = time.monotonic() + 30
            while not all((c := feed.candles.latest(p, FOUR_H)) is not None and c.ts >= close for p in pairs):
                assert time.monotonic() < deadline, "the socket did not stream every pair's close"
                time.sleep(0.02)
            got = decided.setdefault(close, set())
            while len(got) < PAIRS:  # one run decides them all; a second only if one was busy
                assert time.monotonic() < deadline, f"{len(got)} of {PAIRS} decided at {close}"
                got |= {r.pair for r in zyn.autopilot.run_once()
                        if r.reason != "no market data" and r.ts_ms + FOUR_H == close}
        assert all(d == set(pairs) for d in decided.values())  # every pair, every close
        counters = sim.app.config["KRAKEN_COUNTERS"]
        assert counters.refused == {}  # the sim's own referee (Kraken's starter counters)
        assert not sim.app.extensions.get("zyn_sim_refusals")  # and no other refusal by the sim
        with Session(zyn.db) as s:
            errors = [e.message for e in s.exec(select(ErrorRow)).all()]
        assert not [e for e in errors if "rate limit" in e.lower()]
        assert feed.rest_calls - seeded < PAIRS  # not one REST OHLC per pair per candle (that is 1,200)
        assert feed.transport() == "websocket"
    finally:
        zyn.close()
