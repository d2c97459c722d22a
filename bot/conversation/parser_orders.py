"""The order grammar of chat: `buy|sell AMOUNT PAIR [at PRICE] [sl PRICE] [tp PRICE]`, orders
in quote currency ("buy $100 of BTC"), and the strict number parsing every amount and price uses.

Why a module of its own: orders move money, so their grammar is kept small, strict and apart
from the rest of the command parsers (`bot/conversation/parser.py`), which route `buy`/`sell` here.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from bot.conversation.parsed import PUNCT as _PUNCT
from bot.conversation.parsed import Command, OrderSpec
from bot.conversation.parser_plain import leading_number_words, percent_of_holding, plain_order
from core.domain import UserError
from core.markets.asset_names import asset_code
from core.markets.pairs import QUOTES
from core.markets.pairs import normalize_pair as _normalize_pair

MAX_AMOUNT = Decimal("10000000")
MAX_PRICE = Decimal("100000000")
_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")
ORDER_KEYS = {
    "at": "price",
    "@": "price",
    "price": "price",
    "limit": "price",
    "sl": "stop",
    "stop": "stop",
    "stop-loss": "stop",
    "stoploss": "stop",
    "tp": "target",
    "target": "target",
    "take-profit": "target",
    "takeprofit": "target",
}


# ---- numbers -------------------------------------------------------------------------------


def parse_number(raw: str, what: str = "amount", maximum: Decimal = MAX_AMOUNT) -> Decimal:
    """A positive, finite, not absurd Decimal; anything else is a UserError naming the input."""
    shown = raw[:20]
    text = raw.strip().lstrip("$")
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        raise UserError(f"{what} {shown!r} is not a number (e.g. 0.01)") from None
    if not value.is_finite():
        raise UserError(f"{what} must be a finite number, not {shown!r}")
    if value <= 0:
        raise UserError(f"{what} must be more than zero (got {shown})")
    if value > maximum:
        raise UserError(f"{what} {shown} is too large (at most {maximum:,})")
    return value


def is_number(raw: str) -> bool:
    try:
        return Decimal(raw.strip().lstrip("$").replace(",", "")).is_finite()
    except (InvalidOperation, ValueError):
        return False


_FILLER = frozenset({"of", "worth", "in"})
_TRAILING = frozenset({"please", "pls", "plz", "now", "thanks", "thx", "asap", "ta", "cheers", "rn", "today", "mate"})
_FIAT = ("USD", "EUR", "GBP", "CAD", "JPY", "AUD", "CHF")


def quote_order(side: str, rest: list[str]) -> Command | None:
    """`buy $100 of BTC`, `buy 100 USD of ETH`, `buy 100 usd worth of eth` -> spend 100 USD."""
    words = [w.strip(_PUNCT) for w in rest]
    if not words or not is_number(words[0]):
        return None
    dollar = words[0].startswith("$")
    tail = words[1:]
    if not dollar:
        named = (asset_code(tail[0]) or tail[0].upper()) if tail else ""  # "100 dollars of btc"
        if named not in QUOTES:
            return None
        quote, tail = named, tail[1:]
    else:
        quote = "USD"
    if not tail or tail[0].lower() not in _FILLER:
        return None
    while tail and tail[0].lower() in _FILLER:
        tail = tail[1:]
    if len(tail) != 1:
        raise UserError(f"usage: {side} $100 of BTC (spend an amount of {quote} at market)")
    spend = parse_number(words[0], "amount")
    pair = normalize_pair(tail[0], default_quote=quote)
    if not pair.endswith("/" + quote):
        raise UserError(f"{pair} is not quoted in {quote}")
    spec = OrderSpec(side="buy" if side == "buy" else "sell", amount=Decimal(0), pair=pair, quote_amount=spend)
    return Command(side, order=spec)


def normalize_pair(text: str, default_quote: str = "USD") -> str:
    """A pair, also from an asset's name ("bitcoin" -> BTC/USD, "ether/eur" -> ETH/EUR)."""
    base, slash, quote = text.strip().partition("/")
    code = asset_code(base)
    if code is not None:
        return _normalize_pair(f"{code}/{(asset_code(quote) or quote) if slash else default_quote}")
    return _normalize_pair(text, default_quote)


def _tidy(rest: list[str]) -> list[str]:
    """Without "me"/"us" ("buy me 0.01 btc") and a trailing "please"; a spelled amount as digits
    ("buy two hundred dollars of btc" -> "200 dollars of btc")."""
    rest = [w.rstrip(",;.!?") if w[-1:] in ",;.!?" and len(w) > 1 else w for w in rest]  # "58,000," "6.20."
    rest = [w for w in rest if w.lower().strip(_PUNCT) not in ("me", "us") and w not in (",", ";", ".", "-")]
    rest = [part for w in rest for part in _unglued(w)]
    if len(rest) > 1 and rest[0].lower() in ("my", "the") and is_number(rest[1]):
        rest = rest[1:]  # "sell my 2 sol"
    while rest and rest[-1].lower().strip(_PUNCT) in _TRAILING:
        rest = rest[:-1]
    spelled = leading_number_words(rest)
    return [f"{spelled[0].normalize():f}", *rest[spelled[1]:]] if spelled is not None else rest


_GLUED = re.compile(r"^(\d*\.?\d+)([a-z]{3,})$", re.I)


def _unglued(word: str) -> list[str]:
    """"0.01btc" -> ["0.01", "btc"] when the letters are a coin; any other word unchanged."""
    match = _GLUED.match(word)
    if match is None or asset_code(match.group(2)) is None:
        return [word]
    return [match.group(1), match.group(2)]


def order(side: str, rest: list[str]) -> Command | None:
    """An order; a plain phrasing ("buy some bitcoin", "sell half my BTC") goes to
    `parser_plain.plain_order`, and words that are no order at all ("sell me on the idea") give
    None (free text), so an innocent sentence never gets an order's usage line."""
    usage = f"usage: {side} AMOUNT PAIR [at PRICE] [sl PRICE] [tp PRICE], e.g. {side} 0.01 BTC"
    rest = _tidy(rest)
    quoted = quote_order(side, rest)
    if quoted is not None:
        return quoted
    part = percent_of_holding(side, rest)  # "sell 50% of my eth"
    if part is not None:
        return part
    if rest and not any(is_number(w.strip(_PUNCT)) for w in rest):
        plain = plain_order(side, rest)
        if plain is not None or not any(asset_code(w) not in (None, *_FIAT) for w in rest):
            return plain
    if len(rest) < 2:
        raise UserError(usage)
    if not is_number(rest[0]) and is_number(rest[1]):  # "buy btc 0.01"
        rest = [rest[1], rest[0], *rest[2:]]
    amount = parse_number(rest[0], "amount")
    pair_text, options = rest[1], rest[2:]
    if options and options[0].upper() in QUOTES and "/" not in pair_text:  # "BTC USD"
        pair_text, options = f"{pair_text}/{options[0]}", options[1:]
    fields = _order_options(options)
    price, stop, target = fields.get("price"), fields.get("stop"), fields.get("target")
    if side == "buy" and price is not None:
        if stop is not None and stop >= price:
            raise UserError(f"the stop ({stop}) must be below the buy price ({price})")
        if target is not None and target <= price:
            raise UserError(f"the target ({target}) must be above the buy price ({price})")
    spec = OrderSpec(
        side="buy" if side == "buy" else "sell",
        amount=amount,
        pair=normalize_pair(pair_text),
        price=price,
        stop=stop,
        target=target,
    )
    return Command(side, order=spec)


_OPTION_FILLER = frozenset({"with", "a", "an", "and", "the", "my", "plus", ",", "for"})


def _order_options(tokens: list[str]) -> dict[str, Decimal]:
    """`at 61000 sl 59000 tp 65000` (also `@61000`, `sl=59000`) -> {"price": .., "stop": .., ...}."""
    flat: list[str] = []
    for token in tokens:
        low = token.lower()
        if low.startswith("@") and len(low) > 1:
            flat += ["@", low[1:]]
        elif "=" in low:
            flat += low.split("=", 1)
        else:
            flat.append(low)
    flat = [w for w in flat if w not in _OPTION_FILLER]  # "with a stop at 2900 and a target of 3500"
    out: dict[str, Decimal] = {}
    i = 0
    while i < len(flat):
        key = ORDER_KEYS.get(flat[i])
        if key in ("stop", "target") and i + 2 < len(flat) and flat[i + 1] in ("at", "@", "of", "to"):
            del flat[i + 1]  # "stop at 2900", "target of 3500"
        if key is None:
            raise UserError(
                f"I don't understand {flat[i][:20]!r} in the order; use at PRICE, sl PRICE, tp PRICE"
            )
        if key in out:
            raise UserError(f"{flat[i]} is given twice")
        if i + 1 >= len(flat):
            raise UserError(f"{flat[i]} needs a price after it")
        out[key] = parse_number(
            flat[i + 1], {"price": "price", "stop": "stop", "target": "target"}[key], MAX_PRICE
        )
        i += 2
    return out
