"""`TradeExit`: what every closed position reports (its own module so the position steps and
their callers share it without importing one another)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class TradeExit:
    trade_id: int
    pair: str
    reason: str  # stop, target, kill_switch, manual, flatten
    amount: Decimal
    exit_price: Decimal
    pnl: Decimal
    r_multiple: float
    exit_ms: int
    origin: str = "autopilot"  # whose position it was (the autopilot's cool-off ignores manual ones)
