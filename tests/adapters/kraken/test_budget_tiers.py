"""KRAKEN_TIER budgets against the sim enforcing Kraken's documented counters with ITS OWN code.

Zyn's budget and the sim's referee (`adapters.sim_exchange.counters`) share one fake clock whose
sleep moves time, so minutes of Kraken pacing run in milliseconds: what is shown is that the
waits Zyn takes keep it under the counters the sim enforces (zero refusals), and that without the
budget the same calls are refused as Kraken refuses them.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

import ccxt
import pytest

from adapters.kraken.budget import TIERS, RateBudget, cancel_penalty, engine_cost
from adapters.kraken.exchange import KrakenExchange
from adapters.sim_exchange.counters import KrakenCounters
from core.domain import ExchangeUnavailable, OrderRequest
from tests.adapters.kraken.conftest import FakeTime, KrakenFactory
from tests.fakes.sim_server import PaperSim


def test_documented_tier_numbers_and_cancel_penalties() -> None:
    assert (TIERS["starter"].rest.ceiling, TIERS["starter"].rest.decay_per_s) == (15.0, 0.33)
    assert (TIERS["intermediate"].rest.ceiling, TIERS["pro"].rest.decay_per_s) == (20.0, 1.0)
    assert [TIERS[t].engine.ceiling for t in ("starter", "intermediate", "pro")] == [60.0, 125.0, 180.0]
    assert [cancel_penalty(a) for a in (1, 7, 12, 30, 60, 200, 400)] == [8, 6, 5, 4, 2, 1, 0]
    assert engine_cost("AddOrder") == 1 and engine_cost("CancelOrder", 2.0) == 8 and engine_cost("BalanceEx") == 0


def refereed(sim: PaperSim, tier: str, clock: FakeTime) -> KrakenCounters:
    counters = KrakenCounters(tier, now=clock.now)
    sim.app.config["KRAKEN_COUNTERS"] = counters
    return counters


@pytest.mark.parametrize("tier", ["starter", "pro"])
def test_reads_and_history_stay_under_the_rest_counter_of_the_tier(
    sim: PaperSim, make_kraken: KrakenFactory, tier: str
) -> None:
    clock = FakeTime(1000.0)
    counters = refereed(sim, tier, clock)
    budget = RateBudget.for_tier(tier, now=clock.now, sleep=clock.sleep)
    kraken: KrakenExchange = make_kraken(ccxt_options={"enableRateLimit": True}, budget=budget)
    for _ in range(20):
        kraken.fetch_balances()
        kraken.fetch_open_orders()
        kraken.fetch_my_trades()  # TradesHistory: 2 on Kraken's counter
    assert counters.refused == {}
    assert counters.peak["rest"] <= TIERS[tier].rest.ceiling + 1e-6
    assert clock.slept > 0  # 80 units of calls cannot fit in a 15/20 counter without waiting


def test_order_churn_waits_for_the_matching_engine_instead_of_being_refused(
    sim: PaperSim, make_kraken: KrakenFactory
) -> None:
    clock = FakeTime(1000.0)
    counters = refereed(sim, "starter", clock)
    budget = RateBudget.for_tier("starter", now=clock.now, sleep=clock.sleep)
    kraken: KrakenExchange = make_kraken(ccxt_options={"enableRateLimit": True}, budget=budget)
    for i in range(12):  # place and cancel at once: 1 + 8 a cycle, 108 > the threshold of 60
        order = kraken.create_order(OrderRequest(pair="BTC/USD", side="buy", type="limit",
                                                 amount=Decimal("0.001"), price=Decimal(20000 + i)))
        kraken.cancel_order(order.id)
    assert counters.refused == {}
    assert 0 < counters.peak["engine"] <= 60 + 1e-6
    assert budget.spent["engine"] == 12 * 9


def test_without_the_budget_the_sim_refuses_as_kraken_does(sim: PaperSim, make_kraken: KrakenFactory) -> None:
    clock = FakeTime(1000.0)
    counters = refereed(sim, "starter", clock)
    kraken: KrakenExchange = make_kraken()  # enableRateLimit False: no budget at all
    with pytest.raises(ExchangeUnavailable, match="Rate limit exceeded"):
        for _ in range(20):
            kraken.fetch_balances()
    assert counters.refused["EAPI:Rate limit exceeded"] >= 1
    raw = ccxt.kraken({"apiKey": sim.api_key, "secret": sim.api_secret, "enableRateLimit": False})
    raw.urls["api"] = {**raw.urls["api"], "public": sim.url, "private": sim.url}
    clock.t += 3600  # the REST counter has drained; now churn orders on one pair
    with decimal.localcontext(), pytest.raises(ccxt.BaseError, match="EOrder:Rate limit exceeded"):
        for i in range(10):  # (ccxt changes the calling thread's decimal context: a private one here)
            placed = raw.create_order("BTC/USD", "limit", "buy", 0.001, 20000 + i)
            raw.cancel_order(placed["id"])


def test_ohlc_is_limited_per_pair_so_many_pairs_do_not_queue_behind_one_another() -> None:
    clock = FakeTime(1000.0)
    budget = RateBudget.for_tier("starter", now=clock.now, sleep=clock.sleep)
    for i in range(40):  # the universe's history check: one OHLC call for each of 40 pairs
        assert budget.spend("public", "OHLC", f"P{i}USD") == 0
    assert clock.slept == 0
    assert budget.spend("public", "OHLC", "P0USD") == pytest.approx(1.0)  # the same pair again: 1 s apart
    for _ in range(10):
        assert budget.spend("public", "Ticker") == 0  # other public calls: the IP-wide counter, untouched


def test_a_process_that_finds_the_counter_full_believes_kraken_and_waits(
    sim: PaperSim, make_kraken: KrakenFactory
) -> None:
    """Another process on the same key filled Kraken's counter: this process's first call is
    refused once, then its budget takes the counter as full and the retry waits for the decay."""
    clock = FakeTime(1000.0)
    counters = refereed(sim, "starter", clock)
    other: KrakenExchange = make_kraken()  # no budget: fills the key's counter to the brim
    for _ in range(15):
        other.fetch_balances()
    budget = RateBudget.for_tier("starter", now=clock.now, sleep=clock.sleep)
    kraken: KrakenExchange = make_kraken(ccxt_options={"enableRateLimit": True}, budget=budget)
    with decimal.localcontext(), pytest.raises(ccxt.DDoSProtection, match="Rate limit exceeded"):
        kraken.ccxt.privatePostBalanceEx()  # raw, so the guard's retry does not hide the refusal
    assert counters.refused["EAPI:Rate limit exceeded"] == 1
    assert budget.level("private") >= TIERS["starter"].rest.ceiling - 1e-6
    kraken.fetch_balances()  # waits for Kraken's counter, then passes
    assert counters.refused["EAPI:Rate limit exceeded"] == 1 and clock.slept > 0
