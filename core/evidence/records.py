"""The evidence gate's value types: one closed plain-strategy trade, and one pair's verdict.

Why plain numbers only: the words ("BTC/USD: shadow — 41 trades over 14 months ...") belong to
bot/; core hands out the figures the status JSON, the dashboard and chat all quote, so every
channel shows the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

State = Literal["live", "shadow"]


@dataclass(frozen=True)
class EvidenceTrade:
    """A closed trade of the plain strategy on a pair (live or shadow).

    `r` is the sizing-independent R multiple (net P&L over the risk the stop put on, fees
    included); `entered_ms` is when the entry filled, `closed_ms` when the exit was KNOWN: the
    close time of the candle in which it filled (the gate may use it only from then on).
    """

    pair: str
    entered_ms: int
    closed_ms: int
    r: float


@dataclass(frozen=True)
class PairEvidence:
    """One pair's state and the figures behind it at one evaluation.

    `expectancy_r` is the pair's mean R shrunk toward the pooled universe (partial pooling);
    `interval_low`/`interval_high` its interval (the rule's confidence); `pooled_r` the universe's
    mean R; `months` the span the counted trades cover. None = no trade to speak of.
    """

    pair: str
    state: State
    trades: int
    months: float
    expectancy_r: float | None
    interval_low: float | None
    interval_high: float | None
    pooled_r: float | None
    forced: bool

    @property
    def live(self) -> bool:
        return self.state == "live"

    def to_json(self) -> dict[str, object]:
        """Exactly the contract's `status --json` `evidence` entry of this pair."""
        return {
            "state": self.state,
            "trades": self.trades,
            "months": self.months,
            "expectancy_r": self.expectancy_r,
            "interval_low": self.interval_low,
            "interval_high": self.interval_high,
            "pooled_r": self.pooled_r,
            "forced": self.forced,
        }


def unseen(pair: str, forced: bool = False) -> PairEvidence:
    """A pair never evaluated (or without a trade yet): shadow with 0 trades, unless forced live."""
    return PairEvidence(pair, "live" if forced else "shadow", 0, 0.0, None, None, None, None, forced)
