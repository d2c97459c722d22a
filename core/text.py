"""Numbers as people read them — the one rule every alert, reply and CLI line uses.

Why one module: core composes a few alert lines itself (trade opened/closed) and bot formats
replies; they used to round differently (half-up here, half-even in the replies), so BTC at
62,600.25 read "62,600.3" in an alert and "62,600.2" in a reply. The rule, everywhere:
round half-up at the shown places, thousands separators, never exponent notation ("1E-8" is
"0.00000001"), never "-0". Prices at the pair's price decimals (Kraken's, at most 8); amounts
with at most 8 decimals and no trailing zeros; money in cents. bot/commands/context.py's
`fmt_*` helpers are these functions under their reply names.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.markets.catalog import market_for

DASH = "-"
MAX_PLACES = 18  # far below any price or amount Kraken quotes; keeps a quantize exact


def to_decimal(value: object) -> Decimal | None:
    """Decimal from a Decimal/float/int/str; None for None, a bool or anything unreadable or infinite."""
    if value is None or isinstance(value, bool):
        return None
    try:
        out = value if isinstance(value, Decimal) else Decimal(str(value))
    except (ArithmeticError, ValueError):
        return None
    return out if out.is_finite() else None


def _dec(value: object) -> Decimal:
    out = to_decimal(value)
    if out is None:
        raise InvalidOperation(f"not a finite number: {value!r}")
    return out


def fixed(value: Decimal, places: int, separators: bool = True) -> str:
    """`value` at exactly `places` decimals, rounded half-up; '1,234.50'; '-0.00' reads '0.00'."""
    places = max(0, min(places, MAX_PLACES))
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if q.is_zero():
        q = abs(q)
    return f"{q:,f}" if separators else f"{q:f}"


def _trimmed(text: str) -> str:
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text in ("", "-0") else text


def number_text(value: object, places: int | None = None) -> str:
    """1234.5 -> '1,234.5' (significant decimals kept); with `places`, exactly that many; None -> '-'."""
    dec = to_decimal(value)
    if dec is None:
        return DASH
    if places is not None:
        return fixed(dec, places)
    exponent = dec.normalize().as_tuple().exponent
    return _trimmed(fixed(dec, max(0, -exponent) if isinstance(exponent, int) else 0))


def amount_text(value: object, places: int = 8) -> str:
    """A quantity: at most `places` decimals (Kraken's 8), trailing zeros trimmed.

    0.015449999999999998 -> '0.01545'; 1234.5 -> '1,234.5'; 1E-8 -> '0.00000001'; None -> '-'."""
    dec = to_decimal(value)
    if dec is None:
        return DASH
    return _trimmed(fixed(dec, places))


def price_places_text(value: object, decimals: int | None = None) -> str:
    """A price: at `decimals` places when the pair's are known; else cents from 1 up and six
    significant digits below (0.0812345; 0.00000001, not 1e-08). None -> '-'."""
    dec = to_decimal(value)
    if dec is None:
        return DASH
    if decimals is not None:
        return fixed(dec, min(decimals, 10))
    if abs(dec) >= 1:
        return fixed(dec, 2)
    if dec.is_zero():
        return "0"
    return _trimmed(fixed(dec, 5 - dec.adjusted()))


def price_text(pair: str, value: object, decimals: int | None = None) -> str:
    """4065.261561571868 on ETH/USD -> '4,065.26': the pair's price decimals (`decimals`, from the
    market the trading service holds, else the catalog's; at most 10), the one rounding rule of
    `price_places_text`, so an alert and a chat reply show the same price the same way."""
    return price_places_text(value, market_for(pair).pair_decimals if decimals is None else decimals)


def money_text(value: object, signed: bool = True) -> str:
    """Cents with separators: '+1,234.50', '-3.20'; `signed=False`: '1,234.50'."""
    text = fixed(_dec(value), 2)
    return f"+{text}" if signed and not text.startswith("-") else text


def money_with_currency(value: object, currency: str = "USD", signed: bool = False) -> str:
    """'1,234.50 USD'; `signed`: '+1,234.50 USD' above zero; None -> '-'."""
    dec = to_decimal(value)
    if dec is None:
        return DASH
    text = fixed(dec, 2)
    sign = "+" if signed and dec > 0 else ""
    return f"{sign}{text} {currency}".strip()
