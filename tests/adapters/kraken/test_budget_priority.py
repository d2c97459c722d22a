"""The owner's calls come first (issue 19.5): background calls leave a reserve of Kraken's counter
alone and step aside while an owner call waits, and neither ever passes Kraken's ceiling."""

from __future__ import annotations

import threading
import time

from adapters.kraken.budget import (
    OWNER_RESERVE,
    PRIVATE_STARTER,
    Bucket,
    RateBudget,
    background_calls,
    in_background,
    is_background,
)
from tests.adapters.kraken.conftest import FakeTime


def test_background_calls_stop_at_the_reserve_and_the_owner_still_gets_through_at_once() -> None:
    clock = FakeTime()
    budget = RateBudget.for_tier("starter", now=clock.now, sleep=clock.sleep)
    background_room = PRIVATE_STARTER.ceiling - 0.5 - OWNER_RESERVE["private"] * PRIVATE_STARTER.ceiling
    with background_calls():
        for _ in range(int(background_room)):
            assert budget.spend("private", "OpenOrders") == 0
        assert budget.spend("private", "OpenOrders") > 0  # the next one waits for the decay
    assert clock.sleeps, "the background call past its share must wait"
    level = budget.level("private")
    owner_room = int(PRIVATE_STARTER.ceiling - 0.5 - level)
    assert owner_room >= 3  # the reserve: what background calls never take
    waits_before = len(clock.sleeps)
    for _ in range(owner_room):
        assert budget.spend("private", "BalanceEx") == 0
    assert len(clock.sleeps) == waits_before
    assert budget.level("private") <= PRIVATE_STARTER.ceiling - 0.5 + 1e-9  # never past Kraken's ceiling
    assert budget.waited["owner"] == 0 and budget.waited["background"] > 0


def test_the_mark_is_per_thread_and_undone_after_the_block() -> None:
    seen: list[bool] = []
    job = in_background(lambda: seen.append(is_background()) or 1)
    assert job() == 1 and seen == [True]
    assert is_background() is False
    other: list[bool] = []
    with background_calls():
        t = threading.Thread(target=lambda: other.append(is_background()))
        t.start()
        t.join()
    assert other == [False]  # another thread (a chat request) is not marked by this one


def test_a_waiting_owner_call_goes_before_a_background_call_that_waited_longer() -> None:
    """Real threads on a fast-draining counter: the background call starts waiting first, the
    owner call second; the owner is served first and the background one only after it."""
    budget = RateBudget(private=Bucket(ceiling=2.0, decay_per_s=10.0), owner_reserve={})
    budget.spend("private", "BalanceEx")
    budget.spend("private", "BalanceEx")  # full
    order: list[str] = []
    waiting = threading.Event()

    def background() -> None:
        with background_calls():
            waiting.set()
            budget.spend("private", "OpenOrders")
            budget.spend("private", "OpenOrders")
            order.append("background")

    t = threading.Thread(target=background)
    t.start()
    waiting.wait(5)
    time.sleep(0.01)  # the background call is inside its wait now
    budget.spend("private", "BalanceEx")
    budget.spend("private", "BalanceEx")
    order.append("owner")
    t.join(10)
    assert order == ["owner", "background"]


def test_a_refusal_from_kraken_fills_the_budget_so_the_next_call_waits_for_the_decay() -> None:
    clock = FakeTime()
    budget = RateBudget.for_tier("starter", now=clock.now, sleep=clock.sleep)
    assert budget.level("private") == 0
    budget.refused("private")  # another process on the key had filled Kraken's counter
    assert budget.level("private") == PRIVATE_STARTER.ceiling
    waited = budget.spend("private", "BalanceEx")
    assert waited >= 1.5 / PRIVATE_STARTER.decay_per_s - 1e-9  # down to 15 - 0.5 margin - 1 cost
