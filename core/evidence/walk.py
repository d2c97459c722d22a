"""The evidence gate walked over a universe's plain trades, exactly as the autopilot asks it.

Why its own module: the `--servant` walk-forward and the parity test both need "what was each
pair's state at each candle close". The gate is evaluated at candle closes of the union of the
pairs' candles (at_ms = close time), before that candle's decision; because an evaluation is
idempotent while no trade enters or leaves the lookback (and no review period starts), only
those candle closes are evaluated, and the states in between are the last evaluation's — the
same states an evaluation at every close would give (tests/core/evidence/test_walk.py).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.evidence.gate import EvidenceGate
from core.evidence.records import EvidenceTrade, State
from core.evidence.rule import GateRule


@dataclass
class GateWalk:
    """Per pair, its state transitions [(at_ms, state)] in time order (shadow before the first)."""

    transitions: dict[str, list[tuple[int, State]]] = field(default_factory=dict)
    evaluations: int = 0

    def state_at(self, pair: str, at_ms: int) -> State:
        """The state an evaluation at `at_ms` (a candle close) gave, for the decision at that close."""
        steps = self.transitions.get(pair, [])
        i = bisect.bisect_right([t for t, _s in steps], at_ms) - 1
        return steps[i][1] if i >= 0 else "shadow"

    def candle_states(self, pair: str, close_times: Sequence[int]) -> list[State]:
        return [self.state_at(pair, t) for t in close_times]


def walk_gate(pairs: Sequence[str], evidence: Sequence[EvidenceTrade], close_times: Sequence[int],
              rule: GateRule) -> GateWalk:
    """Evaluate a fresh gate holding `evidence` at the candle closes where its figures can change."""
    gate = EvidenceGate(rule)
    gate.add_all(evidence)
    closed = sorted(t.closed_ms for t in evidence)
    walk = GateWalk({p: [] for p in pairs})
    last: tuple[int, int, int] | None = None
    for at in close_times:
        period = rule.review_period(at) if rule.review_days else 0
        key = (bisect.bisect_right(closed, at), bisect.bisect_left(closed, rule.window_start(at)), period)
        if key == last:
            continue
        last = key
        walk.evaluations += 1
        for pair, ev in gate.evaluate(pairs, at).items():
            steps = walk.transitions[pair]
            if (steps[-1][1] if steps else "shadow") != ev.state:
                steps.append((at, ev.state))
    return walk
