"""Trading's safety notices in the owner's words: the one formatter for every safety alert (issue 18).

Why here: core publishes each safety change as data (core/trading/events.py: a naked position,
a stop restored or missing, a partial fill, an unknown outcome resolved, the kill-switch, a
flatten, a timed resume, the daily profit target) and used to write the sentence itself, with
its own number formatting. The sentences live here, beside the "Bought …" one, and every
number goes through core.text's one rule: prices at the pair's decimals (half-up, separators,
no exponent), amounts trimmed, money in cents. `safety_notice` returns the alert kind (the
notifier's on/off and quiet-hours key), the text and the alert's data, or None for an event
that is not one the owner is told about.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import get_args

from bot.text.flatten import flatten_text
from bot.text.trading import exits_pnl_text, pair_decimals
from core.text import amount_text, fixed, number_text, price_places_text
from core.trading.events import (
    DailyLoss,
    Flattened,
    KillSwitchTripped,
    NakedPosition,
    OutcomeResolved,
    PartialEntry,
    PartialFill,
    PositionNotice,
    ProfitLockOutcome,
    ProfitTargetReached,
    StopMissing,
    StopRestored,
    StrayStops,
    TradingResumed,
    UnplannedFill,
)

Notice = tuple[str, str, dict[str, object]]  # (alert kind, text, data)
SafetyNotice = PositionNotice | KillSwitchTripped | Flattened | TradingResumed | ProfitTargetReached
NOTICE_TYPES: tuple[type, ...] = get_args(SafetyNotice)  # the bus subscribes to each


def _price(pair: str, value: Decimal | None) -> str:
    return price_places_text(value, pair_decimals(pair)) if value is not None else "?"


def _trade(pair: str, trade_id: int) -> dict[str, object]:
    return {"pair": pair, "trade_id": trade_id}


def kill_switch_text(loss: DailyLoss) -> str:
    """'Kill-switch: equity 9,690.00 is 310.00 below the day's start 10,000.00, at or past the daily
    loss limit of 3% (candle 2023-11-15 00:00 UTC). Flattening; …'"""
    limit = number_text(loss.limit * 100)
    when = datetime.fromtimestamp(loss.candle_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f"Kill-switch: equity {fixed(loss.equity, 2)} is {fixed(loss.start_equity - loss.equity, 2)} below the "
            f"day's start {fixed(loss.start_equity, 2)}, at or past the daily loss limit of {limit}% (candle {when}). "
            "Flattening; no entries until tomorrow (UTC) or resume.")


def _lock_line(action: str, o: ProfitLockOutcome) -> str:
    if o.what == "closed":
        return f"{o.pair}: closed " + ", ".join(f"#{e.trade_id} P&L {exits_pnl_text((e,), o.pair)}" for e in o.exits)
    if o.what == "at_breakeven":
        return f"{o.pair}: stop {_price(o.pair, o.stop)} already at or above break-even"
    if o.what == "raised":
        return f"{o.pair}: stop raised to break-even {_price(o.pair, o.stop)}"
    if o.what == "closed_by_stop":
        return (f"{o.pair}: closed by its stop at {_price(o.pair, o.price)} while it was raised to break-even "
                f"{_price(o.pair, o.stop)}")
    return f"{o.pair}: could not {action}: {o.error}"


def profit_lock_lines(action: str, outcomes: Iterable[ProfitLockOutcome]) -> list[str]:
    """One line per pair the daily profit target acted on."""
    return [_lock_line(action, o) for o in outcomes]


def profit_target_text(event: ProfitTargetReached) -> str:
    pct = f"+{number_text(event.pct * 100)}%" if event.pct is not None else "the target"
    text = f"Daily profit target reached ({pct} today): no new entries until the next UTC day"
    lines = profit_lock_lines(event.action, event.outcomes)
    return text + ((f"; {event.action}: " + "; ".join(lines)) if lines else ".")


def safety_notice(event: SafetyNotice) -> Notice | None:
    """The owner's alert for a safety notice: (kind, text, data); None when it is not told."""
    match event:
        case KillSwitchTripped(loss=loss):
            return "kill_switch", kill_switch_text(loss), {}
        case Flattened():
            text = "Flatten: " + flatten_text(event.exits, event.canceled, event.sold, event.failed)
            return "flatten", text, {"reason": event.reason}
        case TradingResumed():
            text = "Resumed as planned: the timed pause is over, the autopilot may enter again."
            return ("resume", text, {}) if event.timed else None  # the owner's own resume is replied to
        case ProfitTargetReached():
            return "profit_target", profit_target_text(event), {}
    return _position_notice(event)


def _position_notice(event: SafetyNotice) -> Notice | None:  # noqa: PLR0911 - one arm per notice
    """A notice about one position: its pair and (when it has one) its trade in the data."""
    match event:
        case NakedPosition(pair=pair, trade_id=tid, error=error):
            return ("naked_position", f"{pair} trade #{tid} has NO stop on the exchange ({error}); I retry on "
                    f"every sync. `flatten {pair}` closes it.", _trade(pair, tid))
        case UnplannedFill(pair=pair, order_id=oid, filled=filled):
            return ("naked_position", f"{pair}: buy {oid} filled {amount_text(filled)} with no saved plan and no ATR "
                    f"known: it has NO stop. `flatten {pair}` closes it.", {"pair": pair})
        case StopRestored(pair=pair, trade_id=tid):
            return ("stop_restored", f"{pair} trade #{tid}: protected again (its stop is on the exchange, or the "
                    "position was closed)", _trade(pair, tid))
        case PartialFill(pair=pair, trade_id=tid):
            return ("partial_fill", f"{pair} trade #{tid}: {event.reason} sold {amount_text(event.sold)} at "
                    f"{_price(pair, event.price)}; {amount_text(event.left)} left", _trade(pair, tid))
        case PartialEntry(pair=pair, order_id=oid):
            return ("partial_entry", f"{pair}: limit buy {oid} filled {amount_text(event.filled)} of "
                    f"{amount_text(event.amount)}; the rest was canceled so what filled gets its stop now. Place a "
                    "new order for more.", {"pair": pair})
        case OutcomeResolved(pair=pair, trade_id=tid):
            text = (f"{pair}: the buy whose outcome was unknown filled ({amount_text(event.amount)} at "
                    f"{_price(pair, event.price)}); trade #{tid} is protected by its stop {_price(pair, event.stop)}")
            return ("unknown_outcome", text + ("" if event.planned else " (the strategy's ATR rule: no saved plan)"),
                    _trade(pair, tid))
        case StrayStops(pair=pair, trade_id=tid):
            return ("stray_stop", f"{pair} trade #{tid}: the exchange's stop {', '.join(event.stray_ids)} showed "
                    f"beside Zyn's own {event.own_id}: cancelling it (one stop stays)", _trade(pair, tid))
        case StopMissing(pair=pair, trade_id=tid):
            return ("stop_missing", f"{pair} trade #{tid}: the exchange does not know its stop {event.stop_order_id} "
                    f"({event.grace_s} s after it was accepted): placing it again", _trade(pair, tid))
    return None
