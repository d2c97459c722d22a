"""Plain money phrasings read into the order grammar: verb typos and idioms for buy, sell, cancel, flatten.

Why a module of its own: jimmy types "byu 0.01 btc", "sel 0.1 eth", "cancell the pending order",
"cash out my ethereum", "get rid of my doge", "add 0.05 eth to my position", "put 100 quid into
bitcoin" and "go flat". Each is rewritten into the canonical command words ("buy 0.01 btc",
"sell all my ethereum", "flatten") and then parsed by the same strict grammar, so the money is still
echoed and needs `yes`. The safety rule holds: only a message that STARTS with the action (or a
one-letter slip of its verb) is rewritten; a question, a negation, or a sentence without a coin,
an amount or an order never is.
"""

from __future__ import annotations

import re

from core.markets.asset_names import asset_in

MONEY_VERBS = ("buy", "sell", "cancel", "flatten")
# English words one edit away from a money verb: never read as that verb ("bye", "by", "set", "see")
_REAL_WORDS = frozenset({"by", "bye", "bu", "uy", "but", "bug", "bud", "bun", "bum", "bur", "buh", "bit", "buoy",
                         "set", "see", "self", "seal", "tell", "ell", "bell", "cell", "sill", "sall", "sekl",
                         "dell", "fell", "hell", "well", "yell", "shell", "spell", "smell", "bus", "guy",
                         "boy", "bay", "buyer", "sells", "buys", "selly", "cancels", "flatter", "flatted",
                         "fatten", "batten", "flattens", "canceled", "cancer", "lancel", "sel"})
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEAR = {  # the keys beside each key on a QWERTY keyboard (same row, and the rows above and below)
    c: "".join(
        o for r2, row2 in enumerate(_ROWS) if abs(r2 - r) <= 1
        for j2, o in enumerate(row2) if o != c and abs(j2 - j) <= (1 if r2 == r else 1)
    )
    for r, row in enumerate(_ROWS) for j, c in enumerate(row)
}


def one_slip(word: str, any_key: bool = False) -> set[str]:
    """Every word one typing slip away: a letter dropped, doubled, swapped with its neighbour, or
    hit on a key beside it ("byu", "sel", "cancell", "flaten", "nuy"); `any_key`: or on any key
    ("halp": for harmless words only, never for a money verb)."""
    out: set[str] = set()
    for i in range(len(word)):
        out.add(word[:i] + word[i + 1 :])
        out.add(word[:i] + word[i] + word[i:])
        if i + 1 < len(word):
            out.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
        for c in (_LETTERS if any_key else _NEAR.get(word[i], "")):
            out.add(word[:i] + c + word[i + 1 :])
    out.discard(word)
    return out


_SLIPS: dict[str, str] = {}
for _verb in MONEY_VERBS:
    for _slip in one_slip(_verb):
        if len(_slip) >= 3 and _slip not in _REAL_WORDS:
            _SLIPS.setdefault(_slip, _verb)
_SLIPS["sel"] = "sell"  # not an English word; "sel 0.1 eth" is common
for _slip in one_slip("purchase"):  # "purchse 1 sol", "purcahse", "purchace" (no English word is that close)
    _SLIPS.setdefault(_slip, "buy")


def fix_verb_slip(text: str) -> str:
    """"byu 0.01 btc" -> "buy 0.01 btc", "flaten everything" -> "flatten everything"; the text
    unchanged when its first word is no slip of a money verb."""
    stripped = text.lstrip()
    head, sep, rest = stripped.partition(" ")
    verb = _SLIPS.get(head.lower().lstrip("/"))
    return f"{verb}{sep}{rest}" if verb is not None else text


_AMOUNT = r"(\$?\d[\d,]*(?:\.\d+)?|\d*\.\d+)"
_ADD = re.compile(rf"^add\s+{_AMOUNT}\s+(\S+)(?:\s+(?:more|extra))?(?:\s+(?:to|into|onto)\s+(?:my|the|our)?\s*"
                  r"(?:position|positions|holding|holdings|bag|stack|pile|it))?\s*[.!]?$", re.I)
_PUT = re.compile(rf"^(?:put|invest|stick|throw|chuck|drop)\s+(?:another\s+)?{_AMOUNT}\s*([a-z$€£]*)\s+"
                  r"(?:in|into|on|at)\s+(?:some\s+)?(\S+)\s*[.!]?$", re.I)
_GRAB = re.compile(r"^(?:grab|pick\s+up|get|snag|scoop\s+up|ape|aping|yolo|cop|nab)\s+(?:in(?:to)?\s+)?(?:me\s+|us\s+)?"
                   rf"{_AMOUNT}\s+(\S+)"
                   r"(?:\s+(?:at|@)\s+(?:the\s+)?market(?:\s+price)?)?\s*[.!]?$", re.I)


def _lead_in(*phrases: str) -> re.Pattern[str]:
    """An idiom table as one pattern: any of `phrases` (regex pieces) opening the sentence, the
    rest (group 1) being what it is said of."""
    return re.compile(rf"^(?:{'|'.join(phrases)})\s+(.+)$", re.I)


# buy verbs of slang and plain speech ("pick up a bit of cardano", "ape into sol", "load up on eth"):
# read as `buy REST`, so a vague amount is asked for and a number is echoed and confirmed
_BUY_IDIOM = _lead_in(
    r"pick\s+(?:me\s+|us\s+)?up", r"(?:grab|snag|scoop|nab)(?:\s+me|\s+us)?(?:\s+up)?",
    r"ap(?:e|ing)\s+(?:in(?:to)?|on)", r"load(?:ing)?\s+(?:me\s+|us\s+)?up\s+on", r"stock\s+up\s+on",
    r"top\s+up\s+(?:on|my)", "stack", "accumulate",
)
# "trim my btc position by half", "halve my eth", "cut my sol bag by a quarter" -> sell that part
_TRIM = re.compile(r"^(?:(?:trim|reduce|cut|shrink)\s+(?:my|the|our)\s+(\S+)(?:\s+(?:position|holding|bag|stack))?"
                   r"\s+by\s+(half|a\s+quarter|a\s+third|\d{1,2}(?:\.\d+)?\s*%)"
                   r"|halve\s+(?:my|the|our)\s+(\S+)(?:\s+(?:position|holding|bag|stack))?)\s*[.!]?$", re.I)
# "my link", "the dot position": an ambiguous ticker after a possessive names the coin
_OWNED = re.compile(r"\b(?:my|our|the)\s+(dot|link|uni|atom|etc)\b(?=\s+(?:position|positions|bag|holding|holdings|"
                    r"stack|coins?|tokens?)\b|\s*[.!]?$)"
                    r"|\b(?:price\s+of|trend\s+(?:on|of|for)|chart\s+(?:of|for)|is|what's|whats|what\s+is|how's|hows)\s+"
                    r"(dot|link|uni|atom)\b(?=\s+(?:going\s+for|worth|trading|at|price|priced|doing|trending|moving)\b|"
                    r"\s*[?.!]?$)", re.I)
# sell verbs of slang and plain speech ("cash out of eth", "take profits on sol", "dump my doge")
_SELL_IDIOM = _lead_in(
    r"cash\s+out(?:\s+of)?", r"get\s+rid\s+of", r"take\s+(?:some\s+)?profits?\s+(?:on|in|from)", r"sell\s+off",
    "offload", "unload", "dump", "ditch", r"bail\s+(?:out\s+)?(?:of|on)", r"lighten\s+up\s+on",
    r"bank\s+(?:the\s+)?profits?\s+on",
)
_AMBIGUOUS = re.compile(r"\b(?:dot|link|uni|atom)\b", re.I)
_SELL_ALL_TAIL = re.compile(r"\s*[,;-]?\s*(?:and\s+|then\s+)?(?:sell|close|dump|exit)\s+(?:it\s+all|all(?:\s+of\s+it)?|"
                            r"everything|the\s+lot|the\s+whole\s+(?:thing|position|bag))\s*[.!]?$", re.I)
_FLAT = re.compile(r"^(?:(?:go|get|make\s+me|make\s+us)\s+(?:completely\s+|fully\s+|all\s+)?(?:flat|to\s+cash)"
                   r"|liquidate|panic\s+(?:sell|close|flatten))"
                   r"(?:\s+(?:of\s+)?(?:now|please|pls|asap|everything|it\s+all|all(?:\s+(?:my\s+)?positions)?|"
                   r"the\s+market|my\s+positions))*\s*[.!]?$"
                   r"|^i\s+want\s+(?:to\s+get\s+)?out\s+of\s+(?:everything|it\s+all|all(?:\s+my)?\s+positions|"
                   r"the\s+market|my\s+positions)(?:\s+(?:now|please|asap))?\s*[.!]?$"
                   r"|^(?:shut|close|wind)\s+(?:(?:all|every|each)\s+(?:of\s+)?)?(?:my|the|our)?\s*"
                   r"(?:positions|trades|everything)\s+(?:down|out)(?:\s+(?:now|please|asap))?"
                   r"(?:\s+(?:and\s+)?go\s+(?:flat|to\s+cash))?\s*[.!]?$"
                   r"|^(?:shut|close|wind)\s+(?:down|out)\s+(?:(?:all|every)\s+(?:of\s+)?)?(?:my|the|our)?\s*"
                   r"(?:positions|trades|everything)(?:\s+(?:now|please|asap))?"
                   r"(?:\s+(?:and\s+)?go\s+(?:flat|to\s+cash))?\s*[.!]?$"
                   r"|^(?:kill|exit|dump|ditch)\s+(?:all|every)\s+(?:of\s+)?(?:my|the|our)?\s*(?:positions?|trades)"
                   r"(?:\s+(?:now|please|asap))?\s*[.!]?$", re.I)
_ORDER_WORDS = re.compile(r"\b(orders?|bids?|asks?|limits?)\b", re.I)
_AMOUNT_WORDS = re.compile(r"\b(\d|half|quarter|third|all|everything|entire|whole|some|bit|little)", re.I)
_CURRENCY = {"": "", "$": "", "quid": "GBP", "pounds": "GBP", "£": "GBP", "gbp": "GBP", "usd": "USD",
             "dollars": "USD", "bucks": "USD", "eur": "EUR", "euros": "EUR", "€": "EUR"}


def owned_asset(text: str) -> str:
    """The text with an ambiguous ticker in capitals where the words around it make it a coin
    ("offload my link" -> "offload my LINK", "what's dot going for" -> "what's DOT going for",
    "price of link" -> "price of LINK"); unchanged otherwise ("the link you sent")."""
    def upper(m: re.Match[str]) -> str:
        group = 1 if m.group(1) is not None else 2
        return m.group(0)[: m.start(group) - m.start(0)] + m.group(group).upper()

    return _OWNED.sub(upper, text)


def money_idiom(text: str) -> str | None:
    """The canonical command for a plain money idiom, else None:
    "add 0.05 eth to my position" -> "buy 0.05 eth"; "put 100 quid into bitcoin" -> "buy 100 GBP of
    bitcoin"; "pick up a bit of cardano" -> "buy a bit of cardano" (how much is asked); "cash out my
    ethereum" -> "sell all my ethereum"; "take profit on half the eth" -> "sell half the eth";
    "trim my btc by half" -> "sell half of my btc"; "get rid of the resting order on sol" -> "cancel
    the resting order on sol"; "go flat", "shut my positions down" -> "flatten"."""
    t = owned_asset(" ".join(text.strip().replace("’", "'").split()))
    if not t or t.endswith("?"):
        return None
    if _FLAT.match(t):
        return "flatten"
    return order_phrase(t) or _buy_idiom(t) or _sell_idiom(t)


# "place a limit buy for 5 DOT at 6.20", "put in a sell order for 0.1 eth", "market sell 0.1 btc",
# "long sol 2 with stop 130": the order verb is in the words, read as `buy|sell REST` (echoed, needs yes)
_PLACE = re.compile(r"^(?:place|put\s+in|put\s+up|make|submit|enter|set\s+up|open|fire\s+off)\s+(?:me\s+)?(?:a|an)?\s*"
                    r"(?:(?:limit|market|new)\s+)?(buy|sell|purchase)(?:\s+order)?\s+(?:for\s+|of\s+)?(\S.*)$", re.I)
_ORDER_TO = re.compile(r"^(?:place|put\s+in|put\s+up|make|submit|enter|set\s+up|open|create)\s+(?:me\s+)?(?:a|an)?\s*"
                       r"(?:(?:limit|market|new)\s+)?order\s+(?:(?:to|for\s+me\s+to)\s+)?(buy|sell|purchase)\s+(\S.*)$",
                       re.I)
_KIND_FIRST = re.compile(r"^(?:limit|market|spot)\s+(buy|sell|purchase)(?:\s+order)?\s+(?:for\s+|of\s+)?(\S.*)$", re.I)
_LONG = re.compile(r"^(?:go\s+|going\s+|open\s+(?:a\s+|me\s+a\s+)?)?long(?:\s+position)?\s+(?:on\s+|in\s+)?"
                   r"((?:\S+\s+\d[\d,.]*|\d[\d,.]*\s+\S+)(?:\s.*)?)$", re.I)


def order_phrase(t: str) -> str | None:
    """"place a limit buy for 5 DOT at 6.20" -> "buy 5 DOT at 6.20"; "market sell 0.1 btc now" ->
    "sell 0.1 btc now"; "long sol 2 with stop 130" -> "buy sol 2 with stop 130" (only with a number
    and a coin: "long time no see" stays free text). None when the words name no order."""
    for pattern in (_PLACE, _ORDER_TO, _KIND_FIRST):
        match = pattern.match(t)
        if match is not None:
            verb = "sell" if match.group(1).lower() == "sell" else "buy"
            return f"{verb} {match.group(2)}"
    long = _LONG.match(t)
    if long is not None and asset_in(" ".join(long.group(1).split()[:2])) is not None:
        return f"buy {long.group(1)}"
    return None


_ADD_VAGUE = re.compile(r"^add\s+(?:(?:some\s+)?more\s+|some\s+|a\s+(?:bit|little)\s+(?:more\s+)?)?(?:to|into|onto)\s+"
                        r"(?:my|the|our)\s+(\S+)(?:\s+(?:position|holding|bag|stack))?\s*[.!]?$", re.I)


def _buy_idiom(t: str) -> str | None:
    vague = _ADD_VAGUE.match(t)  # "add to my eth position": how much is asked
    if vague is not None and asset_in(vague.group(1)) is not None:
        return f"buy some {vague.group(1)}"
    add = _ADD.match(t)
    if add is not None and asset_in(add.group(2)) is not None:
        return f"buy {add.group(1)} {add.group(2)}"
    grab = _GRAB.match(t)
    if grab is not None and asset_in(grab.group(2)) is not None:
        return f"buy {grab.group(1)} {grab.group(2)}"
    put = _PUT.match(t)
    if put is not None and asset_in(put.group(3)) is not None:
        amount, unit = put.group(1), put.group(2).lower()
        if unit not in _CURRENCY:
            return None
        if unit in ("£", "€"):
            unit = {"£": "gbp", "€": "eur"}[unit]
        quote = _CURRENCY[unit] or "USD"
        return f"buy {amount.lstrip('$')} {quote} of {put.group(3)}"
    bought = _BUY_IDIOM.match(t)
    if bought is not None and asset_in(bought.group(1)) is not None and not _ORDER_WORDS.search(bought.group(1)):
        return f"buy {bought.group(1)}"
    return None


def _sell_idiom(t: str) -> str | None:
    trim = _TRIM.match(t)
    if trim is not None and asset_in(trim.group(1) or trim.group(3)) is not None:
        part = (trim.group(2) or "half").lower().replace("a ", "")
        part = f"{part.replace(' ', '').rstrip('%')}%" if part[0].isdigit() else part
        return f"sell {part} of my {trim.group(1) or trim.group(3)}"
    sell = _SELL_IDIOM.match(t)
    if sell is None:
        return None
    rest = sell.group(1)
    every = _SELL_ALL_TAIL.search(rest)  # "take profit on link, sell it all"
    if every is not None:
        rest = f"all {rest[: every.start()]}"
    if re.match(r"take\s+some\s+profit", t, re.I) and asset_in(rest) is not None:
        return f"sell some {rest}"  # "take some profit on eth": how much is asked
    if _ORDER_WORDS.search(rest):
        return f"cancel {rest}"
    rest = _AMBIGUOUS.sub(lambda m: m.group(0).upper(), rest)  # after a sell verb "link" is the coin
    if asset_in(rest) is None:
        return None
    return f"sell {rest}" if _AMOUNT_WORDS.search(rest) else f"sell all {rest}"
