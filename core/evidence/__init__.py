"""The evidence gate: trade a pair live only where the plain strategy's own record says it pays.

Usage: build one `EvidenceGate(rule)` per trading timeframe and module set; `add()` every closed
plain-strategy trade as an `EvidenceTrade` (at start the trades `plain_trades()` computes over the
stored candles through the Strategy port and the kernel, then every live and shadow trade as it
closes); at the close of every candle of the trading timeframe, BEFORE that candle's decision, call
`evaluate(pairs, at_ms=candle close time, forced=pairs the owner forced live)`; it returns a
`PairEvidence` per pair (`state` "live" or "shadow", trades, months, shrunk expectancy in R with its
interval, the pooled R, forced) and `state(pair)` returns the last one. Only trades closed by
`at_ms` count, so the gate cannot look ahead; the rule (`GateRule`, `DEFAULT_RULE`) is the one
frozen by bench/results/servant_protocol.md. A shadow pair's entries are recorded, not sent. The
`--servant` walk-forward (`core.evidence.servant`) drives the gate the same way over a folder of
pair files in one shared account; its `walk.state_at(pair, close_ms)` is the state the autopilot must
show at that close (the parity test compares them); `core.evidence.skill.has_skill` is the one skill rule.
"""

from core.evidence.gate import EvidenceGate
from core.evidence.plain import plain_trades
from core.evidence.records import EvidenceTrade, PairEvidence, State
from core.evidence.rule import DEFAULT_RULE, GateRule

__all__ = ["DEFAULT_RULE", "EvidenceGate", "EvidenceTrade", "GateRule", "PairEvidence", "State", "plain_trades"]
