"""The start-up backfill against the Kraken sim through ccxt: Kraken's OHLC for the newest 720
candles, the public Trades tape paged with `since` for the older ones, every call inside the rate
budget (the count and the spacing of the calls the sim saw are checked), the history it stores
equal to the candles the sim replayed, a progress line, and a second start that resumes instead of
reading the tape again."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from loguru import logger

from adapters.kraken.backfill import KrakenBackfill, budgeted_public
from adapters.kraken.budget import Bucket, RateBudget
from adapters.sim_exchange.runner import SimExchange, build_sim_exchange
from core.market_data.store_sql import SqlCandleStore
from core.telemetry.db import make_engine
from tests.fakes.sim_server import SimServer

H = 3_600_000
DAY = 86_400_000
WARM = 1500  # candles the sim has replayed: 720 come from OHLC, the older ones only from Trades
DAYS = 60  # the backfill's reach: 1440 hourly candles, so 720 of them from the tape (3 pages a pair)
BUCKET = Bucket(ceiling=3.0, decay_per_s=5.0)  # a small, fast budget: a burst of 3, then one call per 0.2 s


@pytest.fixture
def sim(tmp_path: Path, data_dir: Path) -> Iterator[tuple[SimExchange, str]]:
    sim = build_sim_exchange(str(data_dir / "kraken"), "", "", {"USD": Decimal(1000)}, 3600.0,
                             f"sqlite:///{tmp_path}/sim.db", warmup_candles=WARM)
    server = SimServer(sim.app).start()
    try:
        yield sim, server.url
    finally:
        server.stop()


def calls_seen(sim: SimExchange) -> list[tuple[str, float, dict[str, str]]]:
    return list(sim.app.extensions["zyn_sim_public_calls"])


def within_budget(times: list[float], bucket: Bucket) -> bool:
    """A leaky bucket lets at most ceiling + decay x duration calls into any window (+ half a call:
    the sim stamps a call when it arrives, a little after the client spent its budget)."""
    return all(j - i + 1 <= bucket.ceiling + bucket.decay_per_s * (times[j] - times[i]) + 0.5
               for i in range(len(times)) for j in range(i, len(times)))


def test_backfill_reads_ohlc_then_the_trades_tape_inside_the_budget(sim: tuple[SimExchange, str],
                                                                     tmp_path: Path) -> None:
    server, url = sim
    store = SqlCandleStore(make_engine(f"sqlite:///{tmp_path}/zyn.db"))
    progress: list[str] = []
    sink = logger.add(lambda m: progress.append(m.record["message"]), level="INFO",
                      filter=lambda r: r["extra"].get("component") == "backfill")
    try:
        run = KrakenBackfill(budgeted_public(url, RateBudget(public=BUCKET)), store, server.clock,
                             ["BTC/USD", "ETH/USD"], ["1h", "4h"], DAYS, progress_every_s=0.0).run()
    finally:
        logger.remove(sink)
    assert run.errors == {}
    now = server.clock.now_ms()
    target = now - now % H - DAYS * DAY
    for pair in ("BTC/USD", "ETH/USD"):
        replayed = [c for c in server.candles.closed_rows(pair, now) if c.ts >= target]
        stored = store.history(pair, "1h")
        assert [c.ts for c in stored] == [c.ts for c in replayed]
        for mine, theirs in zip(stored, replayed, strict=True):
            assert (mine.open, mine.high, mine.low, mine.close) == pytest.approx(
                (theirs.open, theirs.high, theirs.low, theirs.close), abs=0.06)
            assert mine.volume == pytest.approx(theirs.volume, abs=1e-6)
        assert len(store.history(pair, "4h")) >= len(replayed) // 4 - 1
    calls = calls_seen(server)
    ohlc = [c for c in calls if c[0] == "OHLC"]
    trades = [c for c in calls if c[0] == "Trades"]
    # per pair: one OHLC call per timeframe, then the tape: the trades of the candles before the
    # OHLC block (4 each, 1000 a page) up to the first trade at or past it
    tape_candles = {p: sum(1 for c in server.candles.closed_rows(p, now) if target <= c.ts) - 720
                    for p in ("BTC/USD", "ETH/USD")}
    pages = sum(-(-(4 * n + 1) // 1000) for n in tape_candles.values())
    assert len(ohlc) == 4 and len(trades) == pages and len(calls) == run.calls == 4 + pages
    assert trades[0][2]["since"] == str(target * 1_000_000)  # Kraken's nanosecond cursor from the start
    assert within_budget([c[1] for c in calls], BUCKET)
    assert calls[-1][1] - calls[0][1] >= (len(calls) - BUCKET.ceiling) / BUCKET.decay_per_s - 0.05
    assert any("backfill ETH/USD 1h: trades read up to" in line and "(100 %" in line for line in progress)
    assert any(line.startswith("backfill finished") for line in progress)

    # the next start finds the history in the store: OHLC again, the tape not at all
    again = KrakenBackfill(budgeted_public(url, RateBudget(public=BUCKET)), store, server.clock,
                           ["BTC/USD", "ETH/USD"], ["1h", "4h"], DAYS).run()
    assert again.calls == 4 and [c[0] for c in calls_seen(server)[len(calls):]] == ["OHLC"] * 4


def test_a_busy_answer_is_tried_again_and_an_unknown_pair_stops_only_that_pair(sim: tuple[SimExchange, str],
                                                                              tmp_path: Path) -> None:
    from adapters.sim_exchange.server import Fault

    server, url = sim
    server.app.config["FAULTS"] = [Fault("Trades", "error", error="EGeneral:Too many requests", times=2)]
    store = SqlCandleStore(make_engine(f"sqlite:///{tmp_path}/zyn.db"))
    run = KrakenBackfill(budgeted_public(url, RateBudget(public=Bucket(10.0, 50.0))), store, server.clock,
                         ["SOL/USD", "ETH/USD"], ["1h"], DAYS, backoff_s=0.01).run()
    assert set(run.errors) == {"SOL/USD"} and "Unknown asset pair" in run.errors["SOL/USD"]
    methods = [c[0] for c in calls_seen(server)]
    assert methods[:2] == ["OHLC", "OHLC"]  # every pair's OHLC before any tape
    assert methods.count("Trades") == 2 + 3  # two busy answers tried again, then the three pages
    now = server.clock.now_ms()
    target = now - now % H - DAYS * DAY
    assert [c.ts for c in store.history("ETH/USD", "1h")] == [
        c.ts for c in server.candles.closed_rows("ETH/USD", now) if c.ts >= target]
