"""cl_ord_id normalization: what Kraken accepts goes through, the rest maps to a stable UUID5."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from adapters.kraken.client_ref import new_client_ref, same_cl_ord_id, to_cl_ord_id
from adapters.sim_exchange.server import Fault
from core.domain import OrderRequest
from tests.adapters.kraken.conftest import KrakenFactory
from tests.fakes.sim_server import PaperSim

LONG_REF = "autopilot-entry-BTC/USD-2024-01-01T00:00"


def test_uuid4_refs_of_the_trading_service_pass_unchanged() -> None:
    ref = str(uuid.uuid4())  # core.trading.orders.new_client_ref
    assert to_cl_ord_id(ref) == ref
    assert len(new_client_ref()) == 36 and to_cl_ord_id(new_client_ref()) != ""


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("m1", "m1"),
        ("x" * 18, "x" * 18),
        ("6D1B345E-2821-40E2-AD83-4ECB18A06876", "6d1b345e-2821-40e2-ad83-4ecb18a06876"),
        ("6d1b345e282140e2ad834ecb18a06876", "6d1b345e-2821-40e2-ad83-4ecb18a06876"),
    ],
)
def test_accepted_forms(ref: str, expected: str) -> None:
    assert to_cl_ord_id(ref) == expected


@pytest.mark.parametrize("ref", ["x" * 19, LONG_REF, "with space", "prix-€", "{6d1b345e-2821-40e2-ad83-4ecb18a06876}"])
def test_other_refs_map_to_a_stable_uuid5(ref: str) -> None:
    sent = to_cl_ord_id(ref)
    assert uuid.UUID(sent).version == 5 and len(sent) == 36
    assert to_cl_ord_id(ref) == sent and to_cl_ord_id(ref + "!") != sent


def test_echo_comparison_is_by_uuid_value() -> None:
    long = "6d1b345e-2821-40e2-ad83-4ecb18a06876"
    assert same_cl_ord_id(long.replace("-", ""), long) and same_cl_ord_id(long.upper(), long)
    assert not same_cl_ord_id("", "") and not same_cl_ord_id("42", "43")


def test_long_ref_is_placed_and_found_again(make_kraken: KrakenFactory, sim: PaperSim) -> None:
    kraken = make_kraken()
    limit = OrderRequest("BTC/USD", "buy", "limit", Decimal("0.01"), Decimal("29000"), client_ref=LONG_REF)
    order = kraken.create_order(limit)
    assert order.client_ref == LONG_REF and order.status == "open"
    [placed] = sim.exchange.fetch_open_orders()
    assert placed.client_ref == to_cl_ord_id(LONG_REF)
    assert [o.client_ref for o in kraken.fetch_open_orders()] == [LONG_REF]
    fresh = make_kraken()  # a restarted process has no memory of the mapping
    found = fresh.find_order_by_client_ref(LONG_REF)
    assert found is not None and found.id == order.id and found.client_ref == LONG_REF


def test_lost_answer_with_a_long_ref_is_not_placed_twice(make_kraken: KrakenFactory, sim: PaperSim) -> None:
    kraken = make_kraken()
    kraken.load_markets()
    sim.app.config["FAULTS"].append(Fault("AddOrder", "drop"))
    order = kraken.create_order(OrderRequest("BTC/USD", "buy", "market", Decimal("0.01"), client_ref=LONG_REF))
    assert order.client_ref == LONG_REF and order.status == "closed"
    assert len(sim.exchange.fetch_closed_orders()) == 1


def test_validate_mode_sends_an_accepted_ref(make_kraken: KrakenFactory) -> None:
    order = make_kraken(mode="validate").create_order(
        OrderRequest("BTC/USD", "buy", "limit", Decimal("0.01"), Decimal("29000"), client_ref=LONG_REF)
    )
    assert order.validated_only and order.client_ref == LONG_REF
