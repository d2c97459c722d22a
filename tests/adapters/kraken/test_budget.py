"""The rate budget follows Kraken's counter: bursts pass at once, waits only when it is full."""

from __future__ import annotations

from adapters.kraken.budget import PRIVATE_STARTER, RateBudget, private_cost
from adapters.kraken.exchange import KrakenExchange
from tests.adapters.kraken.conftest import FakeTime, KrakenFactory


def test_a_burst_up_to_the_ceiling_does_not_wait_then_the_decay_paces_it() -> None:
    clock = FakeTime()
    budget = RateBudget(now=clock.now, sleep=clock.sleep)
    for _ in range(15):
        assert budget.spend("private", "BalanceEx") == 0
    assert clock.sleeps == []
    waited = budget.spend("private", "OpenOrders")
    assert abs(waited - 1 / PRIVATE_STARTER.decay_per_s) < 1e-9


def test_orders_are_free_and_history_costs_two() -> None:
    clock = FakeTime()
    budget = RateBudget(now=clock.now, sleep=clock.sleep)
    for _ in range(15):
        budget.spend("private", "QueryOrders")
    assert budget.spend("private", "AddOrder") == 0 and budget.spend("private", "CancelOrder") == 0
    assert private_cost("TradesHistory") == 2 and private_cost("Ledgers") == 2 and private_cost("BalanceEx") == 1


def test_idle_time_refills_the_budget() -> None:
    clock = FakeTime()
    budget = RateBudget(now=clock.now, sleep=clock.sleep)
    for _ in range(15):
        budget.spend("private", "BalanceEx")
    clock.t += 60
    assert budget.level("private") == 0
    assert budget.spend("private", "BalanceEx") == 0


def test_public_calls_have_their_own_counter() -> None:
    clock = FakeTime()
    budget = RateBudget(now=clock.now, sleep=clock.sleep)
    for _ in range(15):
        budget.spend("private", "BalanceEx")
    assert budget.spend("public", "Ticker") == 0


def test_a_buy_worth_of_calls_against_the_sim_never_sleeps(make_kraken: KrakenFactory) -> None:
    """ccxt's limiter slept 3 s per private read here; the budget sleeps not at all."""
    clock = FakeTime()
    budget = RateBudget(now=clock.now, sleep=clock.sleep)
    kraken: KrakenExchange = make_kraken(ccxt_options={"enableRateLimit": True}, budget=budget)
    kraken.load_markets()
    for _ in range(4):
        kraken.fetch_balances()
        kraken.fetch_open_orders()
        kraken.fetch_ticker("BTC/USD")
    assert clock.sleeps == []
    assert budget.level("private") == 8  # eight private reads counted
