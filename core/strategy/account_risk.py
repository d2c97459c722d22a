"""Account-wide risk: the cap on the whole account's open risk and on the number of live positions.

Each pair risks `risk_per_trade` of the *whole* account, so N pairs carry N times the exposure of a
single-pair backtest (an outside check lost 28.8 % on a three-pair paper account that way). Before a
live entry the autopilot, and every folder walk-forward that models one shared account, asks this
one rule: the new entry's risk added to the open risk of the live positions must stay within
`max_total_risk` of equity, and the number of live positions below `max_positions`. Over either the
signal is a `skip` with the reason code named here (never a smaller order: the strategy's sizing is
pinned). Shadow trades never count: they hold no money.

Risk of a position = amount x (entry - stop) in the quote currency (what the stop would lose, fees
aside); the new entry's risk = its amount x its stop distance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

TOTAL_RISK_CAP = "total_risk_cap"
MAX_POSITIONS = "max_positions"


@dataclass(frozen=True)
class AccountRiskConfig:
    max_total_risk: Decimal = Decimal("0.03")  # ZYN_MAX_TOTAL_RISK_PCT / 100
    max_positions: int = 5  # ZYN_MAX_POSITIONS


def account_risk_refusal(
    open_risks: Sequence[Decimal], new_risk: Decimal, equity: Decimal, cfg: AccountRiskConfig
) -> str:
    """"" when the entry fits; else `max_positions` or `total_risk_cap` (positions are checked first)."""
    if len(open_risks) >= cfg.max_positions:
        return MAX_POSITIONS
    if equity <= 0:
        return TOTAL_RISK_CAP
    total = sum(open_risks, Decimal(0)) + new_risk
    # a hair of tolerance so an entry sized exactly to the cap is not refused on the last digit
    if total > cfg.max_total_risk * equity * Decimal("1.000001"):
        return TOTAL_RISK_CAP
    return ""


def position_risk(amount: Decimal, entry: Decimal, stop: Decimal) -> Decimal:
    """What the stop would lose on this position (never negative: a stop above entry risks nothing)."""
    return max(Decimal(0), amount * (entry - stop))
