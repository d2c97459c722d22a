"""A reading taken before the trading lock is used under it only while current (issue 18): served
once, never after this process sent or cancelled an order since the read, and an exchange error a
read raised is raised where the read is used. Anything else is read afresh."""

from __future__ import annotations

import pytest

from core.domain import ExchangeUnavailable
from core.trading.prefetch import Moves, Prefetch


class Reads:
    """Counts the reads made where the answer is used (i.e. not served from the prefetch)."""

    def __init__(self) -> None:
        self.fresh = 0

    def now(self) -> str:
        self.fresh += 1
        return "fresh"


def test_an_order_read_before_the_lock_is_served_once_then_read_anew() -> None:
    pre, reads = Prefetch(Moves()), Reads()
    pre.read(("order", "ref-1"), lambda: "before")
    assert pre.take(("order", "ref-1"), reads.now) == "before" and reads.fresh == 0
    assert pre.take(("order", "ref-1"), reads.now) == "fresh" and reads.fresh == 1


def test_a_send_or_cancel_after_the_read_makes_every_answer_stale() -> None:
    moves, reads = Moves(), Reads()
    pre = Prefetch(moves)
    pre.read(("order", "ref-1"), lambda: "before")
    pre.read(("balances", ""), lambda: "before", keep=True)
    moves.bump()  # e.g. the sync's own stop check placed a stop
    assert pre.take(("order", "ref-1"), reads.now) == "fresh"
    assert pre.take(("balances", ""), reads.now) == "fresh" and reads.fresh == 2


def test_a_kept_answer_serves_every_look_while_nothing_moved() -> None:
    pre, reads = Prefetch(Moves()), Reads()
    pre.read(("balances", ""), lambda: "before", keep=True)
    assert [pre.take(("balances", ""), reads.now) for _ in range(3)] == ["before"] * 3 and reads.fresh == 0


def test_an_exchange_error_is_raised_where_the_read_is_used_and_a_kept_one_is_retried() -> None:
    def down() -> str:
        raise ExchangeUnavailable("EService:Unavailable")

    pre, reads = Prefetch(Moves()), Reads()
    pre.read(("order", "ref-1"), down)
    pre.read(("balances", ""), down, keep=True)
    with pytest.raises(ExchangeUnavailable):
        pre.take(("order", "ref-1"), reads.now)
    assert pre.take(("balances", ""), reads.now) == "fresh" and reads.fresh == 1


def test_an_empty_prefetch_reads_everything_where_it_is_used() -> None:
    reads = Reads()
    assert Prefetch().take(("entry", "ref-1"), reads.now) == "fresh" and reads.fresh == 1
