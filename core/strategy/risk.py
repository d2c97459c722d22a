"""Position sizing and the bracket, as DESIGN.md pins them.

amount = risk x equity / (1.5 x ATR), capped at 25 % of equity at the entry price, rounded DOWN
to the pair's lot size; below the exchange minimum (the entry, or the stop it needs: amount x
stop price) the entry is skipped with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from core.domain import Market
from core.text import amount_text


@dataclass(frozen=True)
class RiskConfig:
    risk_per_trade: float = 0.01
    stop_atr: float = 1.5
    target_atr: float = 3.0
    max_position_frac: float = 0.25
    fee_rate: float = 0.0026
    daily_loss_limit: float = 0.03
    cooloff_losses: int = 2
    cooloff_candles: int = 6


def entry_reason(cfg: RiskConfig, capped: bool) -> str:
    """An entry's reason, quoting the cap in force (the owner's `set max position`, not 25 %)."""
    if not capped:
        return "close crossed above SMA20"
    pct = f"{100 * cfg.max_position_frac:.4f}".rstrip("0").rstrip(".")
    return f"close crossed above SMA20 (size capped at {pct}% of equity)"


@dataclass(frozen=True)
class SizeResult:
    amount: Decimal  # 0 when skipped
    reason: str  # "" when sized, else why the entry is skipped
    capped: bool = False


def round_down(value: float, decimals: int) -> Decimal:
    """Truncate toward zero at `decimals` places, via the float's shortest repr (no binary noise)."""
    quantum = Decimal(1).scaleb(-decimals)
    return Decimal(repr(value)).quantize(quantum, rounding=ROUND_DOWN)


def size_entry(
    equity: float, atr: float, entry_price: float, market: Market, cfg: RiskConfig, factor: float = 1.0
) -> SizeResult:
    """Amount to buy; `factor` is the learner's size multiplier (1.0 = the plain strategy)."""
    if equity <= 0 or atr <= 0 or entry_price <= 0:
        return SizeResult(Decimal(0), f"cannot size: equity {equity:.2f}, ATR {atr:.8g}, price {entry_price:.8g}")
    raw = factor * cfg.risk_per_trade * equity / (cfg.stop_atr * atr)
    cap = cfg.max_position_frac * equity / entry_price
    capped = raw > cap
    amount = round_down(min(raw, cap), market.lot_decimals)
    if amount <= 0:
        return SizeResult(Decimal(0), "size rounds to zero at the pair's lot size", capped)
    if amount < market.ordermin:
        below = f"amount {amount_text(amount)} below the exchange minimum {amount_text(market.ordermin)}"  # no 1E-8
        return SizeResult(Decimal(0), below, capped)
    cost = amount * Decimal(repr(entry_price))
    if cost < market.costmin:
        return SizeResult(Decimal(0), f"order cost {cost:.2f} below the exchange minimum {market.costmin}", capped)
    # The stop is an order too: below the minimum it would be refused after the buy filled.
    # Sizing up is never within the risk budget here (amount already spends it), so skip.
    stop_value = amount * Decimal(repr(entry_price - cfg.stop_atr * atr))
    if stop_value < market.costmin:
        reason = f"stop value {stop_value:.2f} below the exchange minimum {market.costmin}"
        return SizeResult(Decimal(0), reason, capped)
    return SizeResult(amount, "", capped)
