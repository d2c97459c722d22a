"""Numbers in alert and log texts written by core: prices at the pair's price decimals, amounts
without float noise, money in cents. Why here: core composes a few alert lines itself (trade
opened/closed) and "Sold … at 4065.261561571868" reads badly on every channel."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from core.markets.catalog import market_for


def _dec(value: object) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def price_text(pair: str, value: object) -> str:
    """4065.261561571868 on ETH/USD -> '4,065.26' (Kraken's pair decimals; at most 8)."""
    places = min(market_for(pair).pair_decimals, 8)
    quantum = Decimal(1).scaleb(-places)
    return f"{_dec(value).quantize(quantum, rounding=ROUND_HALF_UP):,f}"


def amount_text(value: object) -> str:
    """0.015449999999999998 -> '0.01545' (8 decimals at most, trailing zeros trimmed)."""
    text = f"{round(_dec(value), 8):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money_text(value: object, signed: bool = True) -> str:
    dec = _dec(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{dec:+,.2f}" if signed else f"{dec:,.2f}"
