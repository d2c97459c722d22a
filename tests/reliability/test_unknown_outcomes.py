"""Orders whose outcome is unknown, through real ccxt against the Kraken sim on loopback (issue 19
points 1 and 2, issue 18's nested retry). Judged by the sim's own state, never by Zyn's word.

Order-path tests: ZYN_EVIDENCE=off (the evidence gate must not keep these buys from happening).
Zyn places every stop itself here (KRAKEN_CONDITIONAL_CLOSE=off): these cases are about its own
orders; the entry whose answer is lost while the exchange attaches the stop (issue 21) is in
tests/adapters/kraken/test_conditional_stop_trading.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from adapters.kraken.exchange import KrakenExchange
from adapters.kraken.guard import BreakerOpen
from adapters.sim_exchange.server import Fault
from bot.wiring.app import Zyn
from core.clock import RealClock
from core.domain import OrderOutcomeUnknown, OrderRequest
from core.telemetry.db import make_engine
from core.telemetry.models import OrderRow, SafetyEventRow
from core.trading.circuit_breaker import CircuitBreaker
from core.trading.journal import Journal
from core.trading.orders import OrderDesk
from core.trading.profit_lock import lock_in_profit
from tests.bot.wiring.test_app_modes_sim import RunningSim, account_env, build, kraken_sim, say
from tests.conftest import shared_data
from tests.reliability.invariants import check_all
from tests.reliability.table import publish

AMOUNT = Decimal("0.002")
RESULTS: list[tuple[str, str, str, str]] = []  # the README's rows, one per case that passed


class MethodCounter:
    """WSGI middleware counting the Kraken methods the sim was asked (what really went out)."""

    def __init__(self, app: Any) -> None:
        self.app, self.counts, self._lock = app, {}, threading.Lock()
        self.counts: dict[str, int] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method = str(environ.get("PATH_INFO", "")).rsplit("/", 1)[-1]
        with self._lock:
            self.counts[method] = self.counts.get(method, 0) + 1
        return self.app(environ, start_response)


def count(sim: RunningSim) -> MethodCounter:
    counter = MethodCounter(sim.sim.app.wsgi_app)
    sim.sim.app.wsgi_app = counter  # type: ignore[method-assign]
    return counter


def env(tmp: Path, sim: RunningSim, **extra: str) -> dict[str, str]:
    return {**account_env(tmp, sim, "live"), "ZYN_LIVE_CONFIRM": "yes", "ZYN_EVIDENCE": "off", **extra}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Zyn, RunningSim, MethodCounter]]:
    """One live Zyn on one sim account for the module (building one takes seconds)."""
    tmp = tmp_path_factory.mktemp("unknown")
    with kraken_sim(tmp, shared_data()) as sim:
        counter = count(sim)
        zyn = build(env(tmp, sim, ZYN_ORDER_GRACE_S="2", KRAKEN_CONDITIONAL_CLOSE="off"))
        try:
            yield zyn, sim, counter
        finally:
            zyn.close()


@pytest.fixture
def live(shared: tuple[Zyn, RunningSim, MethodCounter]) -> Iterator[tuple[Zyn, RunningSim, list[str]]]:
    """The shared Zyn flat again (every position closed), its alerts recorded from here on."""
    zyn, sim, counter = shared
    told: list[str] = []
    zyn.notifier.register("owner", lambda text, png: told.append(text))
    counter.counts.clear()
    yield zyn, sim, told
    zyn.notifier.flush()
    sim.sim.app.config["FAULTS"] = []
    flat_again(zyn, sim)


def flat_again(zyn: Zyn, sim: RunningSim, timeout_s: float = 120.0) -> None:
    """Close what the test left open, until Zyn holds no position. One flatten was not always
    enough on a loaded machine: an exit within an order's grace reports FAILED (its outcome is
    looked for again later), and the next test then met a leftover position. Flatten, sync and
    try again until flat; the bound is for a stuck cleanup only."""
    end = time.monotonic() + timeout_s
    while zyn.trading.brackets():
        assert time.monotonic() < end, f"still open after cleanup: {zyn.trading.brackets()}"
        wait_until(lambda: visible(sim), timeout_s)
        if zyn.trading.flatten("test cleanup").ok:
            continue
        time.sleep(0.5)  # an order within its grace: the next sync looks it up
        zyn.trading.sync(full=True)


def btc(sim: RunningSim) -> Decimal:
    return sim.balances().get("BTC", Decimal(0))


def sim_stops(sim: RunningSim) -> list[Decimal]:
    return [o.amount - o.filled for o in sim.sim.exchange.fetch_open_orders() if o.type == "stop-loss"]


def buy_yes(zyn: Zyn, sim: RunningSim) -> str:
    stop = int(sim.price("BTC/USD") * Decimal("0.95"))
    asked = say(zyn, f"buy {AMOUNT} btc sl {stop}")
    assert asked.kind == "confirm", asked.text
    return say(zyn, "yes").text


def safety(zyn: Zyn, kind: str) -> list[str]:
    with Session(zyn.db) as s:
        return [r.detail for r in s.exec(select(SafetyEventRow).where(SafetyEventRow.kind == kind)).all()]


def wait_until(what: Callable[[], bool], timeout_s: float = 15.0) -> None:
    end = time.monotonic() + timeout_s
    while not what():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def sync_until(zyn: Zyn, what: Callable[[], bool], timeout_s: float = 60.0, full: bool = False) -> None:
    """Sync until `what` holds. After the grace, one sync was enough on a quiet machine; under load
    (CI at load 7-11) another order row of the same exit (its canceled rest, booked a moment later)
    was still young for the first sync, and the stop went back on at the next one. What is checked
    stays the same: the stop placed again, once, for the coins held."""
    end = time.monotonic() + timeout_s
    zyn.trading.sync(full=full)
    while not what():
        if time.monotonic() > end:
            raise AssertionError("timed out syncing")
        time.sleep(0.25)
        zyn.trading.sync(full=full)


def visible(sim: RunningSim) -> bool:
    """The sim's own hiding window is over (its reads show every order again)."""
    hidden: dict[str, float] = sim.sim.app.config.get("HIDDEN") or {}
    return all(until <= time.monotonic() for until in hidden.values())


FAULTS = {
    "answer replaced by an empty HTTP 200, order unseen for 3 s": Fault("AddOrder", "empty", hide_s=3),
    "answer replaced by an HTML HTTP 200, order unseen for 3 s": Fault("AddOrder", "html200", hide_s=3),
    "answer lost (connection dropped), order unseen for 3 s": Fault("AddOrder", "drop", hide_s=3),
    # longer than the order desk's read-backs (0.5 + 1 + 2 s)
    "answered with its txid, but the read-back does not see it for 5 s": Fault("AddOrder", "invisible", hide_s=5),
}


@pytest.mark.parametrize("fault", list(FAULTS.values()), ids=list(FAULTS))
def test_a_buy_with_an_unknown_outcome_is_never_called_failed_and_its_fill_gets_its_stop(
    live: tuple[Zyn, RunningSim, list[str]], fault: Fault
) -> None:
    zyn, sim, told = live
    counter = sim.sim.app.wsgi_app
    assert isinstance(counter, MethodCounter)
    before = btc(sim)
    sim.sim.app.config["FAULTS"] = [fault]
    reply = buy_yes(zyn, sim)
    sim.sim.app.config["FAULTS"] = []
    assert "failed" not in reply.lower() and "not known" in reply, reply
    assert btc(sim) == before + AMOUNT and sim_stops(sim) == []  # it executed; no stop yet
    assert counter.counts.get("AddOrder") == 1  # sent once, never again

    wait_until(lambda: visible(sim))
    zyn.trading.sync()
    assert sim_stops(sim) == [AMOUNT], "the coins bought are not under a stop for their amount"
    zyn.trading.sync()
    zyn.notifier.flush()
    assert sim_stops(sim) == [AMOUNT] and counter.counts.get("AddOrder") == 2  # the buy, then one stop
    alerts = [t for t in told if "outcome was unknown" in t]
    assert len(alerts) == 1, told
    [bracket] = zyn.trading.brackets("BTC/USD")
    assert bracket.amount == AMOUNT and bracket.stop_order_id == sim.sim.exchange.fetch_open_orders()[0].id
    zyn.scheduler.run_now("status_sync")
    assert check_all(zyn, sim.sim.exchange, [], None) == []
    label = next(name for name, f in FAULTS.items() if f is fault)
    RESULTS.append((f"buy: {label}", f"{reply} Then, once visible: {alerts[0]}", "all hold", "pass"))


def test_a_stop_accepted_with_a_txid_the_exchange_never_placed_is_placed_again_once(
    live: tuple[Zyn, RunningSim, list[str]],
) -> None:
    zyn, sim, told = live
    sim.sim.app.config["FAULTS"] = [Fault("AddOrder", "fake_accept", params={"ordertype": "stop-loss"})]
    reply = buy_yes(zyn, sim)
    sim.sim.app.config["FAULTS"] = []
    assert reply.startswith(f"Bought {AMOUNT}"), reply
    assert sim_stops(sim) == []  # the exchange holds the coins with no stop
    [bracket] = zyn.trading.brackets("BTC/USD")
    assert bracket.stop_order_id.startswith("OFAKEX")

    zyn.trading.sync()  # within the grace period: "not found" proves nothing yet
    assert zyn.trading.brackets("BTC/USD")[0].stop_order_id == bracket.stop_order_id
    wait_until(lambda: time.time() * 1000 - row_created(zyn, bracket.stop_order_id) > 2_000)
    zyn.trading.sync()
    zyn.trading.sync()
    zyn.notifier.flush()
    assert sim_stops(sim) == [AMOUNT]
    [again] = zyn.trading.brackets("BTC/USD")
    assert again.stop_order_id == sim.sim.exchange.fetch_open_orders()[0].id
    assert len([t for t in told if "does not know its stop" in t]) == 1, told
    assert len(safety(zyn, "stop_missing")) == 1
    zyn.scheduler.run_now("status_sync")
    assert check_all(zyn, sim.sim.exchange, [], None) == []
    alert = next(t for t in told if "does not know its stop" in t)
    RESULTS.append(("stop AddOrder \"accepted\" with a txid the exchange never placed", f"{reply} After the grace: "
                    f"{alert}", "all hold", "pass"))


def test_a_stop_whose_answer_was_an_html_200_is_adopted_once_visible_not_placed_again(
    live: tuple[Zyn, RunningSim, list[str]],
) -> None:
    """Found by the bad-day property test (seed 0 of hypothesis seed 640952496): the stop executed,
    its answer an HTML 200, the order unseen for a moment. A sync in that moment called it "not on
    the exchange", marked it failed and sent another stop (refused: the first one holds the coins),
    so Zyn never knew the stop that protected its coins and said "NO stop" on every sync."""
    zyn, sim, told = live
    counter = sim.sim.app.wsgi_app
    assert isinstance(counter, MethodCounter)
    sim.sim.app.config["FAULTS"] = [Fault("AddOrder", "html200", hide_s=1.5, params={"ordertype": "stop-loss"})]
    reply = buy_yes(zyn, sim)
    sim.sim.app.config["FAULTS"] = []
    assert reply.startswith(f"Bought {AMOUNT}"), reply
    assert not visible(sim) and sim_stops(sim) == [AMOUNT]  # placed, but no read shows it yet
    zyn.trading.sync()  # within the grace: unseen proves nothing, nothing is sent again
    assert counter.counts.get("AddOrder") == 2, counter.counts  # the buy and its one stop
    wait_until(lambda: visible(sim))
    zyn.trading.sync()
    [bracket] = zyn.trading.brackets("BTC/USD")
    [stop] = [o for o in sim.sim.exchange.fetch_open_orders() if o.type == "stop-loss"]
    assert bracket.stop_order_id == stop.id and sim_stops(sim) == [AMOUNT]
    assert counter.counts.get("AddOrder") == 2, counter.counts
    zyn.scheduler.run_now("status_sync")
    assert check_all(zyn, sim.sim.exchange, [], None) == []
    RESULTS.append(("stop AddOrder executed, answered by an HTML 200, unseen for 1.5 s", f"{reply} The next sync "
                    "waited for it within the grace, then adopted it (no second stop sent)", "all hold", "pass"))


def test_a_flatten_whose_exit_sell_is_accepted_with_a_txid_never_placed_keeps_the_coins_under_a_stop(
    live: tuple[Zyn, RunningSim, list[str]],
) -> None:
    """Found by the bad-day property test (seed 58587 of hypothesis seed 640952496): the exit sell
    "accepted" with a txid the exchange never placed; the read-back's "not found" escaped the exit
    without re-protecting, and flatten's sweep then sold the position's coins without booking them:
    the trade stayed open for coins it no longer had, or (the sweep's sell in part) without a stop."""
    zyn, sim, told = live
    counter = sim.sim.app.wsgi_app
    assert isinstance(counter, MethodCounter)
    assert buy_yes(zyn, sim).startswith(f"Bought {AMOUNT}")
    sim.sim.app.config["FAULTS"] = [Fault("AddOrder", "fake_accept", params={"ordertype": "market", "type": "sell"})]
    assert say(zyn, "flatten").kind == "confirm"
    reply = say(zyn, "yes").text
    sim.sim.app.config["FAULTS"] = []
    assert "FAILED" in reply and btc(sim) >= AMOUNT, reply  # nothing sold: the coins are still there
    [bracket] = zyn.trading.brackets("BTC/USD")
    fake = "OFAKEX-ACCPT-{:06d}".format(sim.sim.app.config["FAKE_ACCEPTS"])
    wait_until(lambda: time.time() * 1000 - row_last_sent(zyn, fake) > 2_000)
    sync_until(zyn, lambda: bool(sim_stops(sim)))
    [again] = zyn.trading.brackets("BTC/USD")
    assert again.trade_id == bracket.trade_id and sim_stops(sim) == [AMOUNT]
    assert again.stop_order_id == next(o.id for o in sim.sim.exchange.fetch_open_orders() if o.type == "stop-loss")
    zyn.scheduler.run_now("status_sync")
    assert check_all(zyn, sim.sim.exchange, [], None) == []
    RESULTS.append(("flatten: the exit sell \"accepted\" with a txid the exchange never placed", f"{reply} After the "
                    "grace: the position keeps its coins under a new stop", "all hold", "pass"))


def test_a_buy_resent_after_a_rate_limit_and_a_slow_look_up_is_not_given_up_before_its_own_grace(
    live: tuple[Zyn, RunningSim, list[str]],
) -> None:
    """Found by the bad-day property test (seed 9133956 of hypothesis seed 640952496): the first
    AddOrder refused (rate limit), the look-up proving it absent slowed by rate limits past the
    grace, the resend executed with an HTML 200 and unseen for a moment. The grace counted from the
    row's creation, so the next sync said "never reached the exchange" and the coins got no stop."""
    zyn, sim, told = live
    counter = sim.sim.app.wsgi_app
    assert isinstance(counter, MethodCounter)
    before = btc(sim)
    stop = int(sim.price("BTC/USD") * Decimal("0.95"))
    assert say(zyn, f"buy {AMOUNT} btc sl {stop}").kind == "confirm"
    limited = "EAPI:Rate limit exceeded"
    sim.sim.app.config["FAULTS"] = [
        Fault("AddOrder", "error", error=limited), Fault("AddOrder", "html200", hide_s=1.5),
        Fault("OpenOrders", "error", error=limited, times=2), Fault("ClosedOrders", "error", error=limited, times=2),
    ]
    reply = say(zyn, "yes").text
    sim.sim.app.config["FAULTS"] = []
    assert "not known" in reply and btc(sim) == before + AMOUNT, reply
    assert counter.counts.get("AddOrder") == 2  # refused once (proved absent), then sent once
    zyn.trading.sync()  # the resend was moments ago: unseen proves nothing yet
    wait_until(lambda: visible(sim))
    zyn.trading.sync()
    zyn.trading.sync()
    assert sim_stops(sim) == [AMOUNT], "the coins bought are not under a stop for their amount"
    [bracket] = zyn.trading.brackets("BTC/USD")
    assert bracket.amount == AMOUNT and counter.counts.get("AddOrder") == 3  # the buy's two sends, one stop
    zyn.scheduler.run_now("status_sync")
    assert check_all(zyn, sim.sim.exchange, [], None) == []
    RESULTS.append(("buy: refused (rate limit), the look-up slowed past the grace, the resend answered by an HTML "
                    "200", f"{reply} Then: one stop for the coins", "all hold", "pass"))


def test_a_stop_that_sold_unseen_is_not_charged_to_the_next_position_of_the_pair(
    tmp_path: Path, data_dir: Path
) -> None:
    """Found by the bad-day property test (seed 1024 of hypothesis seed 640952496): the stops of two
    positions in one pair moved to break-even (above the price: each sells at once); the first one's
    read-back did not see it yet, so its coins counted as reserved by a live stop and the second
    position was cut to the coins left: it sold a third of its coins and closed, two thirds stayed
    on the exchange with no position and no stop. Order path: ZYN_EVIDENCE=off."""
    with kraken_sim(tmp_path, data_dir, {"USD": Decimal(10000)}) as sim:
        zyn = build(env(tmp_path, sim, ZYN_ORDER_GRACE_S="2"))
        try:
            for amount in (AMOUNT, Decimal("0.003")):
                stop = int(sim.price("BTC/USD") * Decimal("0.95"))
                assert say(zyn, f"buy {amount} btc sl {stop}").kind == "confirm"
                assert say(zyn, "yes").text.startswith(f"Bought {amount}")
            unseen = Fault("AddOrder", "invisible", hide_s=1.5, params={"ordertype": "stop-loss"})
            sim.sim.app.config["FAULTS"] = [unseen]
            with zyn.trading.lock:
                lines = lock_in_profit(zyn.trading, "breakeven", None)
            sim.sim.app.config["FAULTS"] = []
            wait_until(lambda: visible(sim))
            time.sleep(2.1)  # the grace of the stop placed last
            zyn.trading.sync(full=True)
            zyn.trading.sync(full=True)
            held = sim.balances().get("BTC", Decimal(0))
            assert sum((b.amount for b in zyn.trading.brackets("BTC/USD")), Decimal(0)) == held, lines
            assert sim_stops(sim) == ([held] if held else []), lines
            zyn.scheduler.run_now("status_sync")
            assert check_all(zyn, sim.sim.exchange, [], None) == []
        finally:
            zyn.close()


def test_a_break_even_stop_the_exchange_fills_in_part_shrinks_the_position_and_its_stop_covers_the_rest(
    tmp_path: Path, data_dir: Path
) -> None:
    """Found by the bad-day property test (schedule seed 29865, README "Known limits"): the stop moved
    to break-even (above the price: it sells at once) filled only in part and stayed open for the
    rest. Zyn adopted it as a live stop for the whole position, so the position kept 0.08 while the
    exchange held 0.04 under a stop of 0.04. The part sold must be booked and exactly one stop of
    the coins held must remain. Order path: ZYN_EVIDENCE=off."""
    amount = Decimal("0.08")
    with kraken_sim(tmp_path, data_dir, {"USD": Decimal(10000)}) as sim:
        zyn = build(env(tmp_path, sim, ZYN_ORDER_GRACE_S="2"))
        try:
            stop = int(sim.price("ETH/USD") * Decimal("0.95"))
            assert say(zyn, f"buy {amount} eth sl {stop}").kind == "confirm"
            assert say(zyn, "yes").text.startswith(f"Bought {amount}")
            zyn.trading.sync(full=True)  # the entry's stop settled (adopted or Zyn's own)
            half = Fault("AddOrder", "partial", fraction=Decimal("0.5"), params={"ordertype": "stop-loss"})
            sim.sim.app.config["FAULTS"] = [half]
            with zyn.trading.lock:
                lines = lock_in_profit(zyn.trading, "breakeven", None)
            sim.sim.app.config["FAULTS"] = []
            zyn.trading.sync(full=True)
            [part] = [o for o in sim.sim.exchange.fetch_closed_orders() + sim.sim.exchange.fetch_open_orders()
                      if o.type == "stop-loss" and 0 < o.filled < o.amount]
            assert part.filled == amount / 2, lines  # the fault really sold half, the rest stayed open
            held = sim.balances().get("ETH", Decimal(0))
            assert sum((b.amount for b in zyn.trading.brackets("ETH/USD")), Decimal(0)) == held, lines
            # the rest under one stop of exactly its amount (here at break-even, above the price:
            # the replacement sells it at once and the trade closes)
            assert sim_stops(sim) == ([held] if held else []), lines
            assert [b.stop_order_id for b in zyn.trading.brackets("ETH/USD")] == [
                o.id for o in sim.sim.exchange.fetch_open_orders() if o.type == "stop-loss"]
            assert any("stop sold 0.04" in s for s in safety(zyn, "partial_fill")), safety(zyn, "partial_fill")
            zyn.scheduler.run_now("status_sync")
            assert check_all(zyn, sim.sim.exchange, [], None) == []
        finally:
            zyn.close()


def test_a_flatten_whose_exit_sells_half_and_whose_new_stop_is_a_fake_accept_never_sweeps_the_position_s_coins(
    tmp_path: Path, data_dir: Path
) -> None:
    """Found by the bad-day property test (hypothesis seed 20261207, 5th sequence, schedule seed
    19022): flatten's exit sell filled half (the rest canceled, booked), the stop put back on the
    rest was "accepted" with a txid the exchange never placed, so the rest's coins were free; the
    sweep after the exits counted coins under a stop as reserved and sold them without booking
    them: Zyn's position kept 0.025 ETH, the exchange held none. Order path: ZYN_EVIDENCE=off."""
    amount = Decimal("0.05")
    with kraken_sim(tmp_path, data_dir, {"USD": Decimal(10000)}) as sim:
        zyn = build(env(tmp_path, sim, ZYN_ORDER_GRACE_S="2", KRAKEN_CONDITIONAL_CLOSE="off"))
        try:
            stop = int(sim.price("ETH/USD") * Decimal("0.95"))
            assert say(zyn, f"buy {amount} eth sl {stop}").kind == "confirm"
            assert say(zyn, "yes").text.startswith(f"Bought {amount}")
            sim.sim.app.config["FAULTS"] = [
                Fault("AddOrder", "partial", fraction=Decimal("0.5"), params={"ordertype": "market", "type": "sell"}),
                Fault("AddOrder", "fake_accept", params={"ordertype": "stop-loss"}),
            ]
            assert say(zyn, "flatten").kind == "confirm"
            reply = say(zyn, "yes").text
            sim.sim.app.config["FAULTS"] = []
            held = sim.balances().get("ETH", Decimal(0))
            assert held == amount / 2, reply  # the exit sold half; the sweep sold nothing of the rest
            assert sum((b.amount for b in zyn.trading.brackets("ETH/USD")), Decimal(0)) == held, reply
            [bracket] = zyn.trading.brackets("ETH/USD")
            wait_until(lambda: time.time() * 1000 - row_created(zyn, bracket.stop_order_id) > 2_000)
            # the stop the exchange never placed is placed again
            sync_until(zyn, lambda: bool(sim_stops(sim)), full=True)
            assert sim_stops(sim) == [held], reply
            [again] = zyn.trading.brackets("ETH/USD")
            assert again.stop_order_id == next(o.id for o in sim.sim.exchange.fetch_open_orders()
                                               if o.type == "stop-loss")
            zyn.scheduler.run_now("status_sync")
            assert check_all(zyn, sim.sim.exchange, [], None) == []
        finally:
            zyn.close()


def test_a_flatten_of_a_position_whose_stop_the_exchange_never_placed_does_not_sell_its_coins_unbooked(
    tmp_path: Path, data_dir: Path
) -> None:
    """The same sweep, the other way in: the position's stop was "accepted" with a txid the exchange
    never placed, so its exit cannot confirm the stop's cancel and fails; its coins are free, and
    the sweep must leave them to the position (the sync puts its stop back after the grace) rather
    than sell them with the trade still open. Order path: ZYN_EVIDENCE=off."""
    with kraken_sim(tmp_path, data_dir, {"USD": Decimal(10000)}) as sim:
        zyn = build(env(tmp_path, sim, ZYN_ORDER_GRACE_S="2", KRAKEN_CONDITIONAL_CLOSE="off"))
        try:
            sim.sim.app.config["FAULTS"] = [Fault("AddOrder", "fake_accept", params={"ordertype": "stop-loss"})]
            assert buy_yes(zyn, sim).startswith(f"Bought {AMOUNT}")
            sim.sim.app.config["FAULTS"] = []
            assert say(zyn, "flatten").kind == "confirm"
            reply = say(zyn, "yes").text
            held = btc(sim)
            assert sum((b.amount for b in zyn.trading.brackets("BTC/USD")), Decimal(0)) == held, reply
            [bracket] = zyn.trading.brackets("BTC/USD")
            wait_until(lambda: time.time() * 1000 - row_created(zyn, bracket.stop_order_id) > 2_000)
            zyn.trading.sync(full=True)
            held = btc(sim)
            assert sum((b.amount for b in zyn.trading.brackets("BTC/USD")), Decimal(0)) == held, reply
            assert sim_stops(sim) == ([held] if held else []), reply
            zyn.scheduler.run_now("status_sync")
            assert check_all(zyn, sim.sim.exchange, [], None) == []
        finally:
            zyn.close()


def row_last_sent(zyn: Zyn, exchange_id: str) -> int:
    """When the order was last sent or answered (the grace counts from there: entries.last_sent_ms)."""
    with Session(zyn.db) as s:
        row = s.exec(select(OrderRow).where(OrderRow.exchange_id == exchange_id)).one()
        return max(row.created_ms, row.updated_ms)


def row_created(zyn: Zyn, exchange_id: str) -> int:
    with Session(zyn.db) as s:
        row = s.exec(select(OrderRow).where(OrderRow.exchange_id == exchange_id)).one()
        return row.created_ms


def test_every_add_order_timing_out_sends_each_order_once_and_opens_the_breaker(
    tmp_path: Path, data_dir: Path
) -> None:
    """Issue 18: one order, one AddOrder (no second retry layer around the adapter's), and the
    breaker counts the send failures although every look-up after them succeeds."""
    with kraken_sim(tmp_path, data_dir) as sim:
        counter = count(sim)
        clock = RealClock()
        breaker = CircuitBreaker(clock, failure_threshold=3, reset_timeout_s=600)
        exchange = KrakenExchange(
            sim.url, sim.sim.api_key, sim.sim.api_secret, "live", clock, breaker,
            ccxt_options={"enableRateLimit": False, "timeout": 400}, backoff_s=0.01,
        )
        exchange.load_markets()
        desk = OrderDesk(exchange, Journal(make_engine(f"sqlite:///{tmp_path}/zyn.db"), clock, "live"),
                         backoff_s=0.01)
        sim.sim.app.config["FAULTS"] = [Fault("AddOrder", "delay", delay_s=1.0, times=100)]
        for n in range(1, 4):
            with pytest.raises(OrderOutcomeUnknown):
                desk.send(OrderRequest("BTC/USD", "buy", "market", AMOUNT), "manual")
            assert counter.counts.get("AddOrder") == n  # exactly one send per order
        # the look-ups after the first two sends worked, and did not reset the count of send failures
        assert counter.counts.get("OpenOrders", 0) >= 2
        assert breaker.state == "open"
        with pytest.raises(BreakerOpen):
            desk.send(OrderRequest("BTC/USD", "buy", "market", AMOUNT), "manual")
        assert counter.counts.get("AddOrder") == 3  # refused before anything was sent


def test_write_the_reliability_table() -> None:
    """Runs last in this module: the rows of what happened above."""
    if len(RESULTS) < len(FAULTS) + 4:
        pytest.skip("the table needs every case of this module run first, in order")
    publish("unknown", RESULTS)
