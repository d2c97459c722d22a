"""The universe filter: every pair gets one row with in/out and the reason's code (words: bot/text/universe.py)."""

from __future__ import annotations

from core.markets.universe import PairStats, UniverseService, select
from core.strategy.module_settings import UniverseSettings


def stats(pair: str, last: float | None, vol_base: float, bid: float | None = None, ask: float | None = None,
          online: bool = True) -> PairStats:
    return PairStats(pair, pair.split("/")[1], online, last, bid, ask, vol_base)


CFG = UniverseSettings(quote="USD", min_volume_usd=100_000, max_spread_pct=0.5, max_pairs=2, min_price=0.001,
                       min_history=50, deny=("LUNA/USD",))


def test_each_filter_gives_its_reason_and_the_top_by_volume_are_in() -> None:
    rows = select([
        stats("BTC/USD", 30000, 100),  # 3,000,000
        stats("ETH/USD", 2000, 1000),  # 2,000,000
        stats("SOL/USD", 20, 50_000),  # 1,000,000 -> rank 3, over the cap
        stats("BTC/EUR", 28000, 100),
        stats("LUNA/USD", 1, 10**7),
        stats("DUST/USD", 0.0001, 10**10),
        stats("THIN/USD", 1, 500),
        stats("WIDE/USD", 10, 10**6, bid=9.9, ask=10.1),
        stats("OFF/USD", 1, 10**7, online=False),
        stats("NEW/USD", None, 0),
    ], CFG)
    by = {r.pair: r for r in rows}
    assert [r.pair for r in rows if r.included] == ["BTC/USD", "ETH/USD"]
    assert (by["BTC/USD"].why, by["BTC/USD"].rank) == ("ranked", 1) and by["BTC/USD"].volume_quote_24h == 3_000_000
    assert (by["SOL/USD"].why, by["SOL/USD"].rank, by["SOL/USD"].limit) == ("top_n", 3, 2)
    assert (by["BTC/EUR"].why, by["BTC/EUR"].limit) == ("quote", "USD")
    assert by["LUNA/USD"].why == "denied"
    assert (by["DUST/USD"].why, by["DUST/USD"].limit) == ("min_price", 0.001)
    assert (by["THIN/USD"].why, by["THIN/USD"].volume_quote_24h) == ("min_volume", 500)
    assert (by["WIDE/USD"].why, by["WIDE/USD"].limit) == ("max_spread", 0.5)
    assert by["OFF/USD"].why == "offline"
    assert by["NEW/USD"].why == "no_price"
    assert len(rows) == 10


def test_short_history_drops_a_pair_and_the_next_by_volume_takes_its_place() -> None:
    rows = select([stats("BTC/USD", 30000, 100), stats("ETH/USD", 2000, 1000), stats("SOL/USD", 20, 50_000)],
                  CFG, history=lambda pair: 10 if pair == "ETH/USD" else 500)
    by = {r.pair: r for r in rows}
    assert (by["ETH/USD"].why, by["ETH/USD"].have, by["ETH/USD"].limit) == ("history", 10, 50)
    assert not by["ETH/USD"].included
    assert by["SOL/USD"].included and (by["SOL/USD"].why, by["SOL/USD"].rank) == ("ranked", 3)


class CountingSource:
    def __init__(self, rows: list[PairStats]) -> None:
        self.rows, self.calls = rows, 0

    def pair_stats(self) -> list[PairStats]:
        self.calls += 1
        return self.rows


def test_service_caches_until_refreshed_and_remembers_enough_history() -> None:
    source = CountingSource([stats("BTC/USD", 30000, 100)])
    asked: list[str] = []

    def history(pair: str) -> int:
        asked.append(pair)
        return 100

    svc = UniverseService(source, CFG, history)
    assert svc.pairs() == ("BTC/USD",) and svc.pairs() == ("BTC/USD",)
    assert source.calls == 1
    svc.refresh()
    assert source.calls == 2 and asked == ["BTC/USD"]  # history checked once: it only grows
