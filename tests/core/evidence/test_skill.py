"""The one skill rule (contract `skill` row): a tie on float noise is not skill, anywhere."""

from __future__ import annotations

from core.evidence.skill import has_skill, seeds_beaten, skill_margin
from core.learning.pooled_walk_forward import PooledResult
from core.learning.switch import verdict
from core.research.backtest import BacktestResult

# the outside check's tie: "skipped 0 of 99 signals, learned -0.04549826892734806 vs control
# -0.04549826892734873, skill: true"
LEARNED = -0.04549826892734806
CONTROL = -0.04549826892734873


def test_todays_tie_is_not_skill() -> None:
    assert LEARNED > CONTROL  # the old rule (`learned > control_mean`, 20 of 20 beaten) said yes
    assert not has_skill(LEARNED, [CONTROL] * 20, skipped=0)
    assert seeds_beaten(LEARNED, [CONTROL] * 20) == 0


def test_the_tie_through_the_pooled_summary_and_the_switch() -> None:
    def run(r: float) -> BacktestResult:
        return BacktestResult("BTC/USD", "4h", 2, [], [10_000.0, 10_000.0 * (1 + r)])

    from core.learning.pooled_walk_forward import PairRun

    pair = PairRun("BTC/USD", run(CONTROL), run(LEARNED), skipped=0, signals=99, control_returns=[CONTROL] * 20)
    res = PooledResult("4h", 5, "G-b", 20, [pair])
    summary = res.summary()
    assert summary["skill"] is False and summary["seeds_beaten"] == 0
    state = verdict(summary, 12, 99, 0, "G-b", 0)
    assert not state.on


def test_skipping_is_not_enough_without_the_margin() -> None:
    seeds = [0.0100 + 0.0001 * i for i in range(20)]
    assert skill_margin(seeds) >= 0.001
    best = max(seeds)
    assert not has_skill(best + 1e-6, seeds, skipped=5)  # above every seed, but not by the margin
    assert has_skill(sum(seeds) / 20 + skill_margin(seeds) + max(seeds) - sum(seeds) / 20, seeds, skipped=5)


def test_the_margin_grows_with_the_seeds_spread() -> None:
    tight = [0.0] * 10 + [0.0001] * 10
    wide = [-0.05, 0.05] * 10
    assert skill_margin(tight) == 0.001
    assert skill_margin(wide) > 0.02
