"""Trading results and events in words: the one formatter every reply and alert uses (issue 18).

Why one module: core returns data (`core.trading.results.TradeResult`, `core.trading.events`)
and the words for it used to be written three times ("Bought …" in core's result, in core's
alert and again in the reply), so a price could read differently in an alert and a reply. Here
every price goes through `core.text` (half-up at the pair's price decimals, separators, no
exponent), and the "Bought …" / "Sold …" sentences exist once. `decimals`: the pair's Kraken
price decimals when the caller knows them (a reply asks its market port), else the catalog's.
"""

from __future__ import annotations

from decimal import Decimal

from bot.text.flatten import flatten_text
from core.markets.catalog import market_for
from core.text import amount_text, money_text, price_places_text
from core.trading.events import PositionClosed, PositionOpened
from core.trading.results import Code, ExitInfo, TradeResult


def pair_decimals(pair: str) -> int | None:
    """The catalog's price decimals of `pair` (None when the pair is not one Zyn knows)."""
    try:
        return market_for(pair).pair_decimals
    except Exception:  # noqa: BLE001 - words must never fail an alert
        return None


def _price(value: object, decimals: int | None) -> str:
    return price_places_text(value, decimals)


def _quote(pair: str) -> str:
    return pair.partition("/")[2] or "USD"


def bought_sentence(  # noqa: PLR0913
    pair: str, amount: Decimal, price: Decimal, stop: Decimal, target: Decimal | None, decimals: int | None
) -> str:
    """THE "Bought …" sentence: 'Bought 0.0001 BTC/USD at 62,600.3, stop 61,000.1, target 64,000.0
    (watched by Zyn)'."""
    watched = f"target {_price(target, decimals)} (watched by Zyn)" if target is not None else "no target"
    return (f"Bought {amount_text(amount)} {pair} at {_price(price, decimals)}, "
            f"stop {_price(stop, decimals)}, {watched}")


def sold_sentence(pair: str, amount: Decimal, price: Decimal, reason: str, pnl: Decimal, decimals: int | None) -> str:
    """THE "Sold …" sentence of a closed position: 'Sold 0.01 BTC/USD at 29,000.0 (stop); P&L -10.52 USD'."""
    return (f"Sold {amount_text(amount)} {pair} at {_price(price, decimals)} ({reason}); "
            f"P&L {money_text(pnl)} {_quote(pair)}")


def opened_alert(event: PositionOpened) -> str:
    return bought_sentence(event.pair, event.amount, event.entry_price, event.stop, event.target,
                           pair_decimals(event.pair))


def closed_alert(event: PositionClosed) -> str:
    return sold_sentence(event.pair, event.amount, event.exit_price, event.reason, event.pnl,
                         pair_decimals(event.pair))


def _exits(exits: tuple[ExitInfo, ...]) -> str:
    return ", ".join(f"#{e.trade_id} {e.origin}".strip() for e in exits)


def exits_pnl_text(exits: tuple[ExitInfo, ...], pair: str = "") -> str:
    """The P&L of closed positions with its currency, like every other money figure ('-0.21 USD').
    A flatten's exits may span quotes (BTC/USD and ETH/EUR): one sum per quote, never one number
    adding dollars to euros. `pair`: the command's pair, for exits that do not name their own."""
    sums: dict[str, Decimal] = {}
    for e in exits:
        quote = _quote(e.pair or pair)
        sums[quote] = sums.get(quote, Decimal(0)) + e.pnl
    return ", ".join(f"{money_text(total)} {quote}" for quote, total in sums.items())


def _validated(result: TradeResult, dp: int | None) -> str:
    """Validate mode: what the exchange accepted, nothing executed, and what the stop would do."""
    venue, pair = result.venue or "The exchange", result.pair
    if result.stop_check == "no_price":
        return (f"{venue} accepted buy {amount_text(result.amount)} {pair} (validate only, nothing executed); "
                f"no price to validate the stop: {result.detail}")
    text = (f"{venue} accepted buy {amount_text(result.amount)} {pair} at market (~{_price(result.price, dp)}) "
            "— validate only, nothing executed")
    stop = _price(result.stop, dp)
    text += {
        "accepted": f"; the stop-loss sell at {stop} would be accepted too",
        "refused": f"; the stop-loss at {stop} would be REFUSED: {result.detail}",
        "needs_fill": f"; the stop-loss at {stop} could not be checked before a fill ({venue} checks a sell "
                      "against the coins held, and a validated buy brings none)",
    }.get(result.stop_check, f"; the stop-loss could not be checked: {result.detail}")
    if result.target is not None:
        text += f"; target {_price(result.target, dp)} would be watched by Zyn"
    return text


def result_text(result: TradeResult, decimals: int | None = None) -> str:  # noqa: C901, PLR0911, PLR0912
    """A command's result as the reply to the owner (one line for every refusal)."""
    dp = decimals if decimals is not None else pair_decimals(result.pair) if result.pair else None
    pair, code = result.pair, result.code
    if code is Code.BOUGHT and result.entry is not None:
        e = result.entry
        text = bought_sentence(pair, e.amount, e.price, e.stop, e.target, dp) + f". Trade #{e.trade_id}."
        return text + (" It was stopped out at once (the price was already through the stop)."
                       if e.stopped_at_once else "")
    if code is Code.BOUGHT_STOP_FAILED:
        return (f"Bought {amount_text(result.amount)} {pair} at {_price(result.price, dp)}, but its stop could "
                f"not be placed yet ({result.detail or 'exchange trouble'}); I retry on every sync.")
    if code is Code.LIMIT_PLACED:
        side = result.side or "buy"
        then = "; the stop is set when it fills" if side == "buy" else ""
        return (f"Limit {side} {amount_text(result.amount)} {pair} at {_price(result.price, dp)} placed "
                f"(order {result.order_id}){then}.")
    if code is Code.VALIDATED:
        return _validated(result, dp)
    if code is Code.SOLD:
        closed = (f" (closed {len(result.exits)} position(s): {_exits(result.exits)}; P&L "
                  f"{money_text(result.pnl)} {_quote(pair)})") if result.exits else ""
        return f"Sold {amount_text(result.amount)} {pair}{closed}."
    if code in (Code.CLOSED, Code.FLATTENED, Code.KILL_SWITCH):
        if not result.exits and not result.canceled:
            return "Flattened: nothing was open." if code is not Code.CLOSED else f"Closed {pair}."
        what = f"Closed {len(result.exits)} position(s)" + (f" ({_exits(result.exits)})" if result.exits else "")
        pnl = f", P&L {exits_pnl_text(result.exits, pair)}" if result.exits else ""
        canceled = f"; canceled {result.canceled} order(s)" if result.canceled else ""
        head = "Flattened: " if code is not Code.CLOSED else ""
        return f"{head}{what}{pnl}{canceled}."
    if code is Code.CANCELED:
        return f"Canceled {result.canceled} order(s); the stops of open positions stay."
    if code is Code.PAUSED:
        return "Paused: no new entries. Stops and targets stay active."
    if code is Code.RESUMED:
        return "Resumed: the autopilot may enter again."
    if code is Code.STOP_MOVED:
        return f"Stop moved on {pair}."
    if code is Code.OUTCOME_UNKNOWN:
        return (f"Buy {amount_text(result.amount)} {pair} sent but its outcome is not known yet (the exchange has "
                "not shown it). Do not buy again: I keep checking, and if it filled I put its stop on and tell you.")
    if code is Code.PARTLY_FAILED:
        return f"Flatten did not finish: {flatten_text(result.exits, result.canceled, failed=result.failed)}"
    return result.detail.strip().splitlines()[0] if result.detail.strip() else "That did not go through."
