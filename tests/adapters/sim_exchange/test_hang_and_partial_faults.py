"""The sim's `hang` fault (a call held in flight: the crash tests' kill point) and `partial` fault
(an order that fills only in part, the rest open, as on Kraken), over real HTTP."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import requests

from adapters.sim_exchange.fault_spec import parse_fault
from adapters.sim_exchange.server import Fault
from core.domain import UserError
from tests.adapters.sim_exchange.conftest import RawClient
from tests.fakes.sim_server import PaperSim

BUY = {"pair": "XBTUSD", "type": "buy", "ordertype": "market", "volume": "0.01"}


def _held(raw: RawClient, fault: Fault) -> list[BaseException]:
    """Send a buy that the fault holds; returns what the sender saw once released."""
    seen: list[BaseException] = []

    def send() -> None:
        try:
            raw.private("AddOrder", **BUY)
        except (requests.RequestException, ValueError, AssertionError) as exc:
            seen.append(exc)

    sender = threading.Thread(target=send)
    sender.start()
    assert fault.reached.wait(10), "the sim never held the call"
    fault.release()
    sender.join(10)
    return seen


def test_hang_holds_the_call_and_drops_it_unexecuted(raw: RawClient, sim: PaperSim) -> None:
    fault = Fault("AddOrder", "hang")
    sim.app.config["FAULTS"] = [fault]
    seen = _held(raw, fault)
    assert len(seen) == 1  # no answer ever came
    assert sim.exchange.fetch_open_orders() == [] and sim.exchange.fetch_closed_orders() == []


def test_hang_after_executes_then_holds_the_answer(raw: RawClient, sim: PaperSim) -> None:
    fault = Fault("AddOrder", "hang", after=True)
    sim.app.config["FAULTS"] = [fault]
    seen = _held(raw, fault)
    assert len(seen) == 1
    [order] = sim.exchange.fetch_closed_orders()
    assert order.side == "buy" and order.filled == Decimal("0.01")


def test_partial_fills_a_share_and_leaves_the_rest_open(raw: RawClient, sim: PaperSim) -> None:
    sim.app.config["FAULTS"] = [Fault("AddOrder", "partial", fraction=Decimal("0.4"))]
    [txid] = raw.private("AddOrder", **BUY)["result"]["txid"]
    info = raw.private("QueryOrders", txid=txid)["result"][txid]
    assert info["status"] == "open" and Decimal(info["vol_exec"]) == Decimal("0.004")
    assert Decimal(info["vol"]) == Decimal("0.01")
    raw.private("CancelOrder", txid=txid)
    done = sim.exchange.fetch_order(txid)
    assert done.status == "canceled" and done.filled == Decimal("0.004")
    assert sim.exchange.fetch_balances().total["BTC"] == Decimal("1.004")


def test_a_resting_order_can_fill_in_parts(sim: PaperSim) -> None:
    from core.domain import OrderRequest

    stop = sim.exchange.create_order(OrderRequest("BTC/USD", "sell", "stop-loss", Decimal("0.5"), Decimal("29000")))
    sim.exchange.set_price("BTC/USD", Decimal("28900"), sim.clock.now_ms())
    part = sim.exchange.fill_part(stop.id, Decimal("0.2"))
    assert part.status == "open" and part.filled == Decimal("0.2") and part.average_price == Decimal("28900")
    sim.exchange.set_price("BTC/USD", Decimal("28800"), sim.clock.now_ms())
    done = sim.exchange.fill_part(stop.id, Decimal("1"))  # at most the rest
    assert done.status == "closed" and done.filled == Decimal("0.5")
    assert done.average_price == (Decimal("0.2") * 28900 + Decimal("0.3") * 28800) / Decimal("0.5")


def test_the_command_line_spells_both() -> None:
    hang = parse_fault("AddOrder=hang,after,delay=30")
    assert (hang.kind, hang.after, hang.delay_s) == ("hang", True, 30.0)
    assert parse_fault("AddOrder=partial,fraction=0.4").fraction == Decimal("0.4")
    with pytest.raises(UserError, match="fraction"):
        parse_fault("AddOrder=partial,fraction=1.5")
