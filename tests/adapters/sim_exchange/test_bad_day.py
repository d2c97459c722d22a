"""The sim's seeded bad-day schedule (issue 19): the same seed and the same requests get the same
faults, a pause consumes nothing, and each kind is served the way its name says, over real HTTP."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from adapters.sim_exchange.bad_day import BadDay
from core.domain import UserError
from tests.adapters.sim_exchange.conftest import RawClient
from tests.fakes.sim_server import PaperSim, build_paper_sim, running

BUY = {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.01"}
CALLS = [("Balance", {}), ("AddOrder", BUY), ("OpenOrders", {}), ("AddOrder", BUY)] * 15


def _day(tmp_path: Path, seed: int) -> tuple[list[str], list[str], Decimal]:
    """Run CALLS against a fresh sim under `seed`: the schedule, the error strings, the BTC bought."""
    prices = {"BTC/USD": [30000.0, 30100.0], "ETH/USD": [2000.0, 2010.0]}
    with running(build_paper_sim(tmp_path, prices, {"USD": Decimal(100000)})) as sim:
        day = BadDay(seed, rate=0.5, hide_s=0.0)
        sim.app.config["BAD_DAY"] = day
        raw, errors = RawClient(sim), []
        for method, params in CALLS:
            try:
                errors.extend(raw.private(method, **params).get("error") or [])
            except Exception as exc:  # noqa: BLE001 - a dropped connection or a non-JSON 200
                errors.append(type(exc).__name__)
        bought = sim.exchange.fetch_balances().total.get("BTC", Decimal(0))
        return [str(s) for s in day.struck], errors, bought


def test_the_same_seed_and_requests_replay_the_same_faults_and_outcomes(tmp_path: Path) -> None:
    first = _day(tmp_path / "a", 7)
    again = _day(tmp_path / "b", 7)
    other = _day(tmp_path / "c", 8)
    assert first == again
    assert first[0] != other[0]
    struck = first[0]
    assert 15 <= len(struck) <= 45  # about half of 60 requests (binomial, seed fixed)
    assert any("AddOrder" in s for s in struck) and any("rate_limit" in s for s in struck)


def test_a_paused_schedule_deals_nothing_and_consumes_no_draw(sim: PaperSim, raw: RawClient) -> None:
    day = BadDay(3, rate=1.0, kinds=("rate_limit",))
    sim.app.config["BAD_DAY"] = day
    day.paused = True
    assert raw.private("Balance")["error"] == []
    day.paused = False
    assert raw.private("Balance")["error"] == ["EAPI:Rate limit exceeded"]
    assert [str(s) for s in day.struck] == ["#1 Balance: rate_limit"]


def test_order_faults_only_hit_add_order_and_a_fake_accept_places_nothing(sim: PaperSim, raw: RawClient) -> None:
    day = BadDay(1, rate=1.0, kinds=("fake_accept",))
    sim.app.config["BAD_DAY"] = day
    assert raw.private("Balance")["error"] == []  # no kind applies to a read: served normally
    answer = raw.private("AddOrder", **BUY)
    assert answer["result"]["txid"][0].startswith("OFAKEX")
    assert sim.exchange.fetch_open_orders() == [] and sim.exchange.fetch_closed_orders() == []


def test_a_socket_drop_is_armed_on_the_sockets_and_the_call_is_served(sim: PaperSim, raw: RawClient) -> None:
    sim.app.config["BAD_DAY"] = BadDay(5, rate=1.0, kinds=("socket_drop",))
    assert raw.private("Balance")["error"] == []
    [cut] = sim.app.config["WS_FAULTS"]
    assert cut.kind == "drop" and cut.times == 1


def test_a_partial_fill_leaves_the_rest_open(sim: PaperSim, raw: RawClient) -> None:
    sim.app.config["BAD_DAY"] = BadDay(2, rate=1.0, kinds=("partial",))
    txid = raw.private("AddOrder", **BUY)["result"]["txid"][0]
    [order] = sim.exchange.fetch_open_orders()
    assert order.id == txid and order.filled == Decimal("0.005")


def test_bad_schedules_are_one_line_refusals() -> None:
    with pytest.raises(UserError, match="between 0 and 1"):
        BadDay(1, rate=1.5)
    with pytest.raises(UserError, match="expected some of"):
        BadDay(1, kinds=("meteor",))  # type: ignore[arg-type]
