"""The gate's sorted record merges new trades in (core/evidence/gate.py::_Series) with the very order
and prefix sums a full re-sort gives: batches arriving out of order, equal keys from different pairs,
trades closing before ones already indexed."""

from __future__ import annotations

import random

from core.evidence.gate import _key, _Series
from core.evidence.records import EvidenceTrade


def _resorted(trades: list[EvidenceTrade]) -> tuple[list[EvidenceTrade], list[float], list[float]]:
    """What the gate computed before: everything sorted again, sums from the start."""
    ordered = sorted(trades, key=_key)
    sums, squares = [0.0], [0.0]
    for t in ordered:
        sums.append(sums[-1] + t.r)
        squares.append(squares[-1] + t.r * t.r)
    return ordered, sums, squares


def test_merging_new_trades_equals_sorting_everything_again() -> None:
    rng = random.Random(7)
    for _run in range(30):
        series, arrived = _Series(), []
        now = 10**12
        for _batch in range(40):
            now += rng.choice([0, 3_600_000])
            for _ in range(rng.randint(0, 12)):
                closed = now - rng.choice([0, 0, 0, 3_600_000, 50 * 3_600_000])  # mostly at the close, some late
                entered = closed - rng.choice([3_600_000, 7_200_000])  # equal keys across pairs happen
                r = rng.choice([-1.0, 2.0, round(rng.gauss(0, 1), 3)])
                t = EvidenceTrade(rng.choice(["A/USD", "B/USD", "C/USD"]), entered, closed, r)
                series.add(t)
                arrived.append(t)
            series.window(0, now)
            ordered, sums, squares = _resorted(arrived)
            assert series.trades == ordered
            assert [id(t) for t in series.trades] == [id(t) for t in ordered]  # ties: the same trade first
            assert series.sums == sums and series.squares == squares  # bit for bit
            assert series.closed == [t.closed_ms for t in ordered]
