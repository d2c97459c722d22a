"""Validate mode: the exchange checks every order (Kraken: validate=true) and nothing executes.

The exchange answers an entry without a fill, so there is no position to bracket; instead the
stop order Zyn would place is validated too, and the owner gets what would have happened.

Kraken checks a validated sell against the coins held. A validated buy brings none, so a stop for
coins the account does not hold yet is refused for funds only because nothing executed: that is
reported as "could not be checked before a fill", not as a refusal the real stop would meet.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from core.domain import ExchangeError, ExchangeUnavailable, InsufficientFunds, OrderRequest
from core.markets.pairs import split_pair
from core.trading.conditional import CONDITIONAL_KEY
from core.trading.parts import TradingParts
from core.trading.positions import EntryPlan
from core.trading.types import ActionResult


def validated_entry(parts: TradingParts, pair: str, amount: Decimal, plan: EntryPlan) -> ActionResult:
    try:
        price = parts.exchange.fetch_ticker(pair).last
    except (ExchangeError, ExchangeUnavailable) as exc:
        return ActionResult(True, f"{_venue(parts)} accepted buy {amount} {pair} (validate only, nothing executed); "
                                  f"no price to validate the stop: {exc}",
                            {"validated": True, "venue": _venue(parts), "amount": amount, "stop_check": "no_price",
                             "detail": str(exc)}, "validated")
    stop, target = plan.levels(price, parts.cfg)
    px = parts.positions.price_shown
    text = (f"{_venue(parts)} accepted buy {amount} {pair} at market (~{px(pair, price)}) — validate only, "
            "nothing executed")
    attached = plan.meta.get(CONDITIONAL_KEY)
    if attached:  # what was sent: the exchange would attach the stop itself (issue 21)
        stop = Decimal(str(attached))
        text += (f"; sent with a conditional close (close[ordertype]=stop-loss, close[price]={attached}): "
                 "the exchange would place the stop-loss the instant the buy fills")
    market = price
    try:
        price = stop
        decimals = parts.positions.pair_decimals(pair)
        if decimals is not None:  # as a real stop is sent: rounded to the pair's price decimals
            price = price.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        parts.desk.send(OrderRequest(pair, "sell", "stop-loss", amount, price), "stop")
        text += f"; the stop-loss sell at {px(pair, stop)} would be accepted too"
        check, why = "accepted", ""
    except InsufficientFunds as exc:
        if _holds(parts, pair, amount):  # the coins are there: the real stop would meet this refusal
            text += f"; the stop-loss at {px(pair, stop)} would be REFUSED: {exc}"
            check, why = "refused", str(exc)
        else:
            text += (f"; the stop-loss at {px(pair, stop)} could not be checked before a fill "
                     f"({_venue(parts)} checks a sell against the coins held, and a validated buy brings none)")
            check, why = "needs_fill", str(exc)
    except ExchangeError as exc:
        text += f"; the stop-loss at {px(pair, stop)} would be REFUSED: {exc}"
        check, why = "refused", str(exc)
    except ExchangeUnavailable as exc:
        text += f"; the stop-loss could not be checked: {exc}"
        check, why = "unchecked", str(exc)
    if target is not None:
        text += f"; target {px(pair, target)} would be watched by Zyn"
    parts.journal.safety("validate", text)
    data: dict[str, object] = {
        "validated": True, "venue": _venue(parts), "amount": amount, "market_price": market, "stop_level": stop,
        "target": target, "stop_check": check, "detail": why,
    }
    return ActionResult(True, text, data, "validated")


def _holds(parts: TradingParts, pair: str, amount: Decimal) -> bool:
    """Whether the account already holds `amount` of the pair's coins, free (unknown: False)."""
    try:
        free = parts.exchange.fetch_balances().free
    except (ExchangeError, ExchangeUnavailable):
        return False
    return free.get(split_pair(pair)[0], Decimal(0)) >= amount


def _venue(parts: TradingParts) -> str:
    """The exchange's name as the owner knows it (kraken -> Kraken)."""
    return parts.exchange.name.capitalize() or "The exchange"
