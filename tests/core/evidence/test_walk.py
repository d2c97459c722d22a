"""The gate walked over a universe equals a gate evaluated at every candle close (the autopilot's way)."""

from __future__ import annotations

from core.domain import Market
from core.evidence import EvidenceGate, GateRule
from core.evidence.plain import plain_trades
from core.evidence.walk import walk_gate
from core.kernel.arrays import CandleArrays

TF_MS = 4 * 3_600_000
RULES = [
    GateRule(name="t1", min_trades=5, lookback_days=120, prior_trades=10.0, z=0.5),
    GateRule(name="t2", min_trades=3, lookback_days=60, prior_trades=0.0, z=0.0, review_days=30),
]


def test_the_walk_gives_the_states_of_an_evaluation_at_every_candle_close(
    four_pairs_4h: dict[str, tuple[CandleArrays, Market]],
) -> None:
    pairs = sorted(four_pairs_4h)
    evidence = [e for p in pairs for e in plain_trades(p, "4h", four_pairs_4h[p][1], four_pairs_4h[p][0])]
    closes = sorted({int(t) + TF_MS for a, _m in four_pairs_4h.values() for t in a.ts})
    for rule in RULES:
        walk = walk_gate(pairs, evidence, closes, rule)
        assert walk.evaluations < len(closes) / 2  # it skipped the closes where nothing could change
        gate = EvidenceGate(rule)
        gate.add_all(evidence)
        went_live = 0
        for at in closes:  # the autopilot's way: every close, before the decision
            for pair, ev in gate.evaluate(pairs, at).items():
                assert walk.state_at(pair, at) == ev.state, (rule.name, pair, at)
                went_live += ev.state == "live"
        assert went_live > 0  # the comparison covered both states
