"""Full trade / closed-order history through Kraken's 50-per-call paging (real ccxt, real HTTP)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest

from adapters.kraken.exchange import KrakenExchange
from core.domain import OrderRequest
from tests.adapters.kraken.conftest import KrakenFactory
from tests.fakes.sim_server import PaperSim

FILLS = 125  # > two full pages of 50


def _market_buys(sim: PaperSim, n: int, step_ms: int = 1000, same_ts_every: int = 3) -> None:
    """`n` filled market orders; every `same_ts_every`-th shares its timestamp with the previous."""
    for i in range(n):
        sim.exchange.create_order(OrderRequest("BTC/USD", "buy", "market", Decimal("0.001")))
        if (i + 1) % same_ts_every:
            sim.clock.set(sim.clock.now_ms() + step_ms)


def _count_calls(kraken: KrakenExchange, method: str) -> Counter[str]:
    """Wrap one raw ccxt endpoint so the test sees how many pages were read."""
    calls: Counter[str] = Counter()
    name = f"privatePost{method}"
    original = getattr(kraken.ccxt, name)

    def counted(params: dict[str, Any] | None = None) -> Any:
        calls[str((params or {}).get("ofs"))] += 1
        return original(params or {})

    setattr(kraken.ccxt, name, counted)
    return calls


def test_all_fills_exactly_once_in_time_order(kraken: KrakenExchange, sim: PaperSim) -> None:
    _market_buys(sim, FILLS)
    calls = _count_calls(kraken, "TradesHistory")
    fills = kraken.fetch_my_trades()
    expected = sim.exchange.fetch_my_trades()  # the engine's own order: time, then execution
    assert len(expected) == FILLS
    assert [f.id for f in fills] == [f.id for f in expected]
    assert len({f.id for f in fills}) == FILLS
    assert [f.ts_ms for f in fills] == sorted(f.ts_ms for f in fills)
    assert all(f.pair == "BTC/USD" and f.amount == Decimal("0.001") for f in fills)
    assert calls == Counter({"0": 1, "50": 1, "100": 1})


def test_all_closed_orders_exactly_once_in_close_order(kraken: KrakenExchange, sim: PaperSim) -> None:
    _market_buys(sim, FILLS)
    orders = kraken.fetch_closed_orders()
    expected = sim.exchange.fetch_closed_orders()
    assert [o.id for o in orders] == [o.id for o in expected]
    assert all(o.status == "closed" and o.filled == Decimal("0.001") for o in orders)


def test_since_includes_a_fill_exactly_on_the_second(kraken: KrakenExchange, sim: PaperSim) -> None:
    """Kraken's `start` is exclusive: ccxt's start=since//1000 would drop this fill."""
    sim.clock.set(sim.clock.now_ms() - sim.clock.now_ms() % 1000 + 1000)
    _market_buys(sim, 60, same_ts_every=10**9)
    cut = sim.exchange.fetch_my_trades()[7].ts_ms
    assert cut % 1000 == 0
    fills = kraken.fetch_my_trades(since_ms=cut)
    assert [f.id for f in fills] == [f.id for f in sim.exchange.fetch_my_trades(cut)]
    assert fills[0].ts_ms == cut and len(fills) == 53
    orders = kraken.fetch_closed_orders(since_ms=cut)
    assert [o.id for o in orders] == [o.id for o in sim.exchange.fetch_closed_orders(cut)]


def test_fills_arriving_between_pages_are_not_lost_or_doubled(kraken: KrakenExchange, sim: PaperSim) -> None:
    _market_buys(sim, 120)
    original = kraken.ccxt.privatePostTradesHistory

    def racing(params: dict[str, Any]) -> Any:
        answer = original(params)
        if params.get("ofs") == 0:  # a new fill lands right after the first page
            _market_buys(sim, 1)
        return answer

    kraken.ccxt.privatePostTradesHistory = racing
    fills = kraken.fetch_my_trades()
    ids = [f.id for f in fills]
    assert len(ids) == len(set(ids))
    assert set(ids) >= {f.id for f in sim.exchange.fetch_my_trades()[:120]}


def test_page_bound_keeps_the_newest_and_stops(make_kraken: KrakenFactory, sim: PaperSim) -> None:
    _market_buys(sim, FILLS)
    kraken = make_kraken(history_max_pages=2)
    fills = kraken.fetch_my_trades()
    assert [f.id for f in fills] == [f.id for f in sim.exchange.fetch_my_trades()[-100:]]


@pytest.mark.parametrize("bad_id", ["not-an-order", "['OHF36Q-XQSB6-UIBS3Q']"])
def test_fetch_order_of_a_malformed_id_is_order_not_found(kraken: KrakenExchange, bad_id: str) -> None:
    from core.domain import OrderNotFound

    with pytest.raises(OrderNotFound, match="EOrder:Invalid order"):
        kraken.fetch_order(bad_id)
