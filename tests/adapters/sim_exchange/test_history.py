"""The sim pages TradesHistory / ClosedOrders as Kraken does, and checks cl_ord_id like Kraken."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from core.domain import OrderRequest
from tests.adapters.sim_exchange.conftest import RawClient
from tests.fakes.sim_server import PaperSim

N = 60


def _fills(sim: PaperSim, n: int = N) -> list[int]:
    """`n` market buys one second apart; returns their times in ms, oldest first."""
    for _ in range(n):
        sim.exchange.create_order(OrderRequest("BTC/USD", "buy", "market", Decimal("0.001")))
        sim.clock.set(sim.clock.now_ms() + 1000)
    return [f.ts_ms for f in sim.exchange.fetch_my_trades()]


def test_trades_history_pages_of_50_newest_first(raw: RawClient, sim: PaperSim) -> None:
    times = _fills(sim)
    first = raw.private("TradesHistory")["result"]
    assert first["count"] == N and len(first["trades"]) == 50
    got = [t["time"] for t in first["trades"].values()]
    assert got == sorted(got, reverse=True) and got[0] == times[-1] / 1000
    second = raw.private("TradesHistory", ofs=50)["result"]
    assert second["count"] == N and len(second["trades"]) == N - 50
    assert set(first["trades"]).isdisjoint(second["trades"])
    assert raw.private("TradesHistory", ofs=N)["result"] == {"trades": {}, "count": N}
    numbers = sorted(t["trade_id"] for t in [*first["trades"].values(), *second["trades"].values()])
    assert numbers == list(range(1, N + 1))


def test_history_start_is_exclusive_and_end_inclusive(raw: RawClient, sim: PaperSim) -> None:
    times = _fills(sim, 10)
    start, end = times[2] // 1000, times[6] // 1000
    answer = raw.private("TradesHistory", start=start, end=end)["result"]
    assert sorted(t["time"] for t in answer["trades"].values()) == [t / 1000 for t in times[3:7]]
    assert answer["count"] == 4
    closed = raw.private("ClosedOrders", start=start, end=end)["result"]
    assert closed["count"] == 4


def test_closed_orders_page_the_same_way(raw: RawClient, sim: PaperSim) -> None:
    _fills(sim)
    first = raw.private("ClosedOrders")["result"]
    second = raw.private("ClosedOrders", ofs=50)["result"]
    assert (first["count"], len(first["closed"]), len(second["closed"])) == (N, 50, N - 50)
    closes = [o["closetm"] for o in [*first["closed"].values(), *second["closed"].values()]]
    assert closes == sorted(closes, reverse=True)


@pytest.mark.parametrize("ofs", ["-1", "abc", "1.5"])
def test_bad_offset_is_refused(raw: RawClient, ofs: str) -> None:
    assert raw.private("TradesHistory", ofs=ofs)["error"] == ["EGeneral:Invalid arguments:ofs"]
    assert raw.private("ClosedOrders", ofs=ofs)["error"] == ["EGeneral:Invalid arguments:ofs"]


UUID_A = uuid.UUID("5f0c2a4e-8b1d-4c3a-9e7f-2d6b1a0c9e34")
UUID_B = uuid.UUID("0d9e6f2a-4b7c-4e1d-8a3f-5b6c7d8e9f01")
UUID_C = uuid.UUID("c4a1e7b2-3d5f-4a6b-b8c9-0e1f2a3b4c5d")


@pytest.mark.parametrize(
    ("ref", "accepted"),
    [
        # fixed UUIDs, not uuid4() at import: pytest-xdist runs only when every worker collects
        # the same test ids, and a random parameter made `-n 2` refuse the whole directory
        (str(UUID_A), True),
        (UUID_B.hex, True),
        ("x" * 18, True),
        ("x" * 19, False),
        (str(UUID_C) + "0", False),
        ("", False),
    ],
)
def test_cl_ord_id_is_a_uuid_or_at_most_18_chars(raw: RawClient, ref: str, accepted: bool) -> None:
    order = {"pair": "XBTUSD", "type": "buy", "ordertype": "limit", "volume": "0.01", "price": "29000"}
    for extra in ({"validate": "true"}, {}):
        answer = raw.private("AddOrder", **order, **extra, cl_ord_id=ref)
        assert answer["error"] == ([] if accepted else ["EGeneral:Invalid arguments:cl_ord_id"]), extra


def test_query_orders_unknown_vs_malformed_id(raw: RawClient) -> None:
    assert raw.private("QueryOrders", txid="OAAAAA-BBBBB-CCCCCC") == {"error": [], "result": {}}
    assert raw.private("QueryOrders", txid="['OAAAAA-BBBBB-CCCCCC']")["error"] == ["EOrder:Invalid order"]
