"""What every handler gets, and the channel-neutral number/time formatting they share.

Why one context object: handlers stay plain functions `(ctx, cmd) -> Reply` that tests can call
directly, and the dispatcher is the only place that knows how the pieces are wired.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.conversation.confirmations import Confirmations
from bot.conversation.envelope import Envelope, Reply
from bot.conversation.parser import Command
from bot.conversation.services import Services
from core.ports import Clock
from core.telemetry.kv import KeyValueStore
from core.text import DASH, amount_text, money_with_currency, number_text, price_places_text
from core.text import to_decimal as to_decimal  # the handlers read numbers the way they format them


@dataclass(frozen=True)
class CommandContext:
    env: Envelope
    services: Services
    kv: KeyValueStore
    db: Engine
    clock: Clock
    user_name: str
    tz: str
    confirmations: Confirmations


Handler = Callable[[CommandContext, Command], Reply]


def fmt_num(value: object, places: int | None = None) -> str:
    """1234.5 -> '1,234.5'; amounts keep their significant decimals; None -> '-' (core/text.py's rule)."""
    return number_text(value, places)


def fmt_amount(value: object, places: int = 8) -> str:
    """A quantity for people: at most 8 decimals (Kraken's precision), trailing zeros trimmed.

    0.015449999999999998 -> '0.01545'; 1234.5 -> '1,234.5'; None -> '-'."""
    return amount_text(value, places)


def fmt_price(value: object, decimals: int | None = None) -> str:
    """A price for people: the pair's price decimals when known, else cents above 1 and six
    significant digits below (0.0812345) — rounded half-up like every alert (core/text.py)."""
    return price_places_text(value, decimals)


def fmt_money(value: object, currency: str = "USD", signed: bool = False) -> str:
    return money_with_currency(value, currency, signed)


def fmt_time(ms: object, tz: str = "UTC") -> str:
    if not isinstance(ms, int | float) or isinstance(ms, bool) or ms <= 0:
        return DASH
    when = datetime.fromtimestamp(ms / 1000, tz=ZoneInfo(tz))
    return when.strftime("%Y-%m-%d %H:%M ") + (when.tzname() or tz)


def field(row: Mapping[str, Any], key: str) -> str:
    """A dict value as display text ('-' when missing)."""
    value = row.get(key)
    if value is None or value == "":
        return DASH
    return (
        fmt_num(value)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        else str(value)
    )


def quote_of(pair: str) -> str:
    return pair.partition("/")[2] or "USD"


def base_of(pair: str) -> str:
    return pair.partition("/")[0]


def price_decimals(ctx: CommandContext, pair: str) -> int | None:
    """The pair's Kraken price decimals when the market is known here, else None (generic)."""
    market = ctx.services.market
    if market is None or not pair:
        return None
    try:
        return market.price_decimals(pair)
    except Exception:  # noqa: BLE001 - formatting must never fail a reply
        return None
