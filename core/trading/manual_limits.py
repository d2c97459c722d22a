"""The owner's max-position setting applied to a manual buy (issue 22.3).

Why apart from `core.trading.manual`: the autopilot's sizing caps each entry at the setting
(`core.strategy.risk.size_entry`), so a chat buy must meet the same limit, and say in one line
which limit it broke and the largest amount that fits — equity counted the same way the
autopilot counts it (quote cash + every coin marked at its last price).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_DOWN, Decimal

from core.domain import Balances, Market, UserError, ZynError
from core.text import amount_text, money_text


def account_equity(
    bal: Balances, quote: str, markets: Mapping[str, Market], price_of: Callable[[str], Decimal]
) -> Decimal:
    """Quote balance + each coin held at its last price in that quote; an unpriced coin counts 0
    (the limit then errs on the side of a smaller position)."""
    total = bal.total.get(quote, Decimal(0))
    for asset, amount in bal.total.items():
        pair = f"{asset}/{quote}"
        if asset == quote or amount <= 0 or pair not in markets:
            continue
        try:
            total += amount * price_of(pair)
        except ZynError:
            continue
    return total


def check_max_position(amount: Decimal, price: Decimal, market: Market, equity: Decimal, frac: float) -> None:
    """Refuse (one line, nothing sent) a buy worth more than `frac` of equity at `price`."""
    cap = Decimal(repr(frac)) * equity
    value = amount * price
    if equity <= 0 or value <= cap:
        return
    quantum = Decimal(1).scaleb(-market.lot_decimals)
    fits = (cap / price).quantize(quantum, rounding=ROUND_DOWN) if price > 0 else Decimal(0)
    share = f"{100 * value / equity:.0f}%"
    limit = f"{Decimal(repr(100 * frac)).normalize():f}%"
    most = (
        f"the most that fits is {amount_text(fits)} {market.pair} (~{money_text(fits * price, signed=False)} "
        f"{market.quote})" if fits >= market.ordermin and fits > 0 else "nothing fits at this price"
    )
    raise UserError(
        f"{amount_text(amount)} {market.pair} is ~{money_text(value, signed=False)} {market.quote}, {share} of "
        f"equity, over your max position of {limit} ({money_text(cap, signed=False)} {market.quote}); {most}"
    )
