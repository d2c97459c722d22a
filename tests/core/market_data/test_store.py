"""The candle store: idempotent writes, history cut at a time, coarser timeframes built from finer
ones, the replay's clock bound (nothing from the future is stored or read), the feed that keeps
what it hands out — on the SQL store (the one Zyn builds, on SQLite and PostgreSQL) and the
in-memory one alike."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from core.clock import SimClock
from core.domain import Candle
from core.market_data.store import CandleStore, ClockBoundStore, MemoryCandleStore
from core.market_data.store_feed import StoringFeed
from core.market_data.store_sql import SqlCandleStore
from core.telemetry.db import make_engine
from tests.pg import BACKENDS, fresh_engine

H = 3_600_000
T0 = 1_700_006_400_000  # a 4h boundary (1_700_006_400_000 % 14_400_000 == 0)


def hourly(n: int, start: int = T0, price: float = 100.0) -> list[Candle]:
    return [Candle(start + i * H, price + i, price + i + 2, price + i - 1, price + i + 1, 1.0 + i) for i in range(n)]


@pytest.fixture(params=["memory", *BACKENDS])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> CandleStore:
    if request.param == "memory":
        return MemoryCandleStore()
    return SqlCandleStore(fresh_engine(request.param, tmp_path))  # SQLite, and PostgreSQL where CI runs one


def test_adding_the_same_candles_twice_keeps_one_row_each_and_the_newer_reading(store: CandleStore) -> None:
    candles = hourly(10)
    store.add("BTC/USD", "1h", candles)
    changed = Candle(candles[3].ts, 1.0, 9.0, 0.5, 2.0, 7.0)
    store.add("BTC/USD", "1h", [*candles[:3], changed])
    history = store.history("BTC/USD", "1h")
    assert len(history) == 10
    assert history[3] == changed and history[:3] == candles[:3] and history[4:] == candles[4:]
    [cov] = store.coverage()
    assert (cov.pair, cov.timeframe, cov.first_ms, cov.last_ms, cov.candles) == ("BTC/USD", "1h", T0, T0 + 9 * H, 10)


def test_history_until_a_time_holds_only_candles_closed_by_then(store: CandleStore) -> None:
    store.add("ETH/USD", "1h", hourly(10))
    assert [c.ts for c in store.history("ETH/USD", "1h", until_ms=T0 + 5 * H)] == [T0 + i * H for i in range(5)]
    assert [c.ts for c in store.history("ETH/USD", "1h", until_ms=T0 + 5 * H - 1)] == [T0 + i * H for i in range(4)]
    assert store.history("SOL/USD", "1h") == []


def test_a_coarser_timeframe_is_built_from_the_finer_one_where_it_is_not_stored(store: CandleStore) -> None:
    ones = hourly(12)
    store.add("BTC/USD", "1h", ones)
    built = store.history("BTC/USD", "4h")
    assert [c.ts for c in built] == [T0, T0 + 4 * H, T0 + 8 * H]
    first = built[0]
    assert (first.open, first.close) == (ones[0].open, ones[3].close)
    assert first.high == max(c.high for c in ones[:4]) and first.low == min(c.low for c in ones[:4])
    assert first.volume == pytest.approx(sum(c.volume for c in ones[:4]))
    # a stored 4h candle wins over the one built from 1h; an unfinished bucket is never built
    own = Candle(T0 + 4 * H, 1.0, 2.0, 0.5, 1.5, 3.0)
    store.add("BTC/USD", "4h", [own])
    assert store.history("BTC/USD", "4h")[1] == own
    assert [c.ts for c in store.history("BTC/USD", "4h", until_ms=T0 + 11 * H)] == [T0, T0 + 4 * H]


def test_a_replay_store_keeps_the_replay_candles_only_up_to_its_clock(tmp_path: Path) -> None:
    data = hourly(48)
    clock = SimClock(T0 + 20 * H + 30 * 60_000)  # half-way through the 21st candle
    inner = SqlCandleStore(make_engine(f"sqlite:///{tmp_path}/c.db"))
    store = ClockBoundStore(inner, clock, {"SOL/USDT": ("1h", data)})
    assert store.catch_up() == 20
    assert inner.history("SOL/USDT", "1h") == data[:20]  # the store itself holds no future candle
    assert store.history("SOL/USDT", "1h", until_ms=T0 + 40 * H) == data[:20]  # asking for later changes nothing
    store.add("SOL/USDT", "1h", data[20:30])  # a fetched candle from ahead of the clock is not kept
    assert inner.coverage()[0].last_ms == data[19].ts
    clock.set(T0 + 30 * H)
    assert store.history("SOL/USDT", "1h") == data[:30]  # reading catches up with the clock
    assert inner.coverage()[0].candles == 30


class _Feed:
    def __init__(self, candles: list[Candle]) -> None:
        self.candles = candles

    def pairs(self) -> Sequence[str]:
        return ("BTC/USD",)

    def closed_candles(self, pair: str, timeframe: str, limit: int = 200) -> list[Candle]:
        return self.candles[-limit:]

    def last_price(self, pair: str) -> float | None:
        return self.candles[-1].close


class _CountingStore(MemoryCandleStore):
    def __init__(self) -> None:
        super().__init__()
        self.written: list[int] = []

    def add(self, pair: str, timeframe: str, candles: Sequence[Candle]) -> int:
        self.written.append(len(candles))
        return super().add(pair, timeframe, candles)


def test_every_candle_the_feed_hands_out_is_kept_once() -> None:
    source = _Feed(hourly(5))
    store = _CountingStore()
    feed = StoringFeed(source, store)
    assert feed.closed_candles("BTC/USD", "1h") == source.candles
    assert feed.closed_candles("BTC/USD", "1h") == source.candles  # the same poll writes nothing new
    source.candles = hourly(6)
    feed.closed_candles("BTC/USD", "1h", limit=3)
    assert store.written == [5, 1]
    assert store.history("BTC/USD", "1h") == hourly(6)
    assert feed.last_price("BTC/USD") == hourly(6)[-1].close and list(feed.pairs()) == ["BTC/USD"]


class _BrokenStore(MemoryCandleStore):
    def add(self, pair: str, timeframe: str, candles: Sequence[Candle]) -> int:
        raise OSError("disk full")


def test_a_store_that_cannot_write_does_not_stop_the_feed() -> None:
    feed = StoringFeed(_Feed(hourly(3)), _BrokenStore())
    assert len(feed.closed_candles("BTC/USD", "1h")) == 3
