"""Plain phrasings of commands: number words, vague amounts, fractions of a holding, timed pauses.

Why a module of its own: jimmy writes "buy some bitcoin", "sell half my BTC", "set my risk to
half a percent" and "pause trading until tomorrow". These are read here into the same strict
`Command`s the command grammar makes (`bot/conversation/parser.py` calls in), never guessed:
a vague amount becomes a question ("how much?"), a fraction stays a fraction until the handler
knows the holding, and a money action is only ever read from a message that names it (buy,
sell, close, flatten, cancel) — the safety rule of issue 22.
"""

from __future__ import annotations

import re
from decimal import Decimal

from bot.conversation.parsed import PUNCT, Command
from core.markets.asset_names import asset_code

# ---- number words ------------------------------------------------------------------------------
_UNITS = {
    "zero": 0, "one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "thirteen": 13, "fourteen": 14, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_SCALES = {"hundred": 100, "thousand": 1000, "grand": 1000, "k": 1000}
_FRACTIONS = {"half": Decimal("0.5"), "quarter": Decimal("0.25"), "third": Decimal(1) / Decimal(3),
              "tenth": Decimal("0.1")}
_PERCENT = ("percent", "per cent", "pct", "%")
_FILLER_NUM = frozenset({"and", "of", "a", "an"})


def number_words(words: list[str]) -> Decimal | None:
    """"half a", "one and a half", "a quarter", "two", "point five", "0.5" -> a Decimal (else None)."""
    ws = [w.lower().strip(PUNCT) for w in words if w.strip(PUNCT)]
    if not ws:
        return None
    if len(ws) == 1:
        try:
            value = Decimal(ws[0].rstrip("%"))
            return value if value.is_finite() else None
        except ArithmeticError:
            pass
    if ws[0] in ("point", "zero") and len(ws) >= 2 and ws[-1] in _UNITS and len(ws) <= 3:  # "point five"
        return Decimal(f"0.{_UNITS[ws[-1]]}")
    return _spelled(ws)


def _spelled(ws: list[str]) -> Decimal | None:
    """The sum of number words: units add up, "hundred" multiplies, "thousand" closes a group."""
    whole, group, frac, seen = Decimal(0), Decimal(0), Decimal(0), False
    for w in ws:
        if w in _FRACTIONS:
            frac, seen = _FRACTIONS[w], True
        elif w in _SCALES:  # "two hundred" = 200, "a hundred" = 100, "five thousand" = 5000
            group = (group or Decimal(1)) * _SCALES[w]
            if _SCALES[w] >= 1000:
                whole, group = whole + group, Decimal(0)
            seen = True
        elif w in ("a", "an"):
            continue
        elif w in _UNITS:
            group, seen = group + _UNITS[w], True
        elif w.replace(".", "", 1).isdigit():
            group, seen = group + Decimal(w), True
        elif w not in _FILLER_NUM:
            return None
    if not seen:
        return None
    whole += group
    return whole + frac if whole or frac else Decimal(0)


def leading_number_words(words: list[str]) -> tuple[Decimal, int] | None:
    """"two hundred dollars of btc" -> (200, 2): the number spelled by the first words and how many
    words it took; None unless a real number word leads ("a bitcoin" is not an amount)."""
    best: tuple[Decimal, int] | None = None
    for end in range(1, min(len(words), 6) + 1):
        head = [w.lower().strip(PUNCT) for w in words[:end]]
        if not any(w in _UNITS and w not in ("a", "an") or w in _SCALES for w in head):
            continue
        if head[-1] in _FILLER_NUM:
            continue
        value = number_words(head)
        if value is not None and value > 0:
            best = (value, end)
    return best


def percent_value(words: list[str]) -> str | None:
    """"half a percent" -> "0.5%", "1 per cent" -> "1%", "two percent" -> "2%"; None when the
    words are not a number of percent (the setting's own parser then says what is wrong)."""
    text = " ".join(w.lower() for w in words).strip()
    for unit in _PERCENT:
        if text.endswith(unit):
            body = text[: -len(unit)].strip().removesuffix(" of a").removesuffix(" of")
            value = number_words(body.split())
            if value is None or value <= 0:
                return None
            return f"{value.normalize():f}%"
    return None


# ---- amounts in orders ------------------------------------------------------------------------
VAGUE = frozenset({"some", "sum", "som", "bit", "little", "few", "more", "any", "couple", "several", "lot"})
HOLDING_FRACTIONS = {"half": Decimal("0.5"), "quarter": Decimal("0.25"), "third": Decimal(1) / Decimal(3),
                     "all": Decimal(1), "everything": Decimal(1), "entire": Decimal(1), "whole": Decimal(1)}
_ORDER_FILLER = frozenset({"of", "my", "the", "a", "an", "me", "please", "now", "for", "some", "position",
                           "bag", "holding", "holdings", "stack", "coins", "coin", "off", "out", "it", "worth"})


def plain_order(side: str, rest: list[str]) -> Command | None:
    """"buy some bitcoin" -> ask_amount; "sell half my BTC" -> sell_part; "sell everything" ->
    flatten (still echoed and confirmed). None when the words are not one of these."""
    words = [w.strip(PUNCT).lower() for w in rest if w.strip(PUNCT)]
    raw = [w.strip(PUNCT) for w in rest if w.strip(PUNCT)]
    assets = [code for code in (asset_code(w) for w in raw) if code is not None and code not in ("USD", "EUR", "GBP")]
    if len(set(assets)) > 1:
        return None
    asset = assets[0] if assets else None
    fraction = _holding_fraction(words)
    if side == "sell" and fraction is not None:
        if asset is not None:
            return Command("sell_part", (f"{asset}/USD", str(fraction)))
        if fraction == 1 and set(words) <= {"everything", "all", "of", "it", "my", "positions", "now", "please",
                                            "coins", "crypto", "holdings", "bags", "the", "lot", "right"}:
            return Command("flatten")
        return None
    if asset is not None and (any(w in VAGUE for w in words) or _only_asset(words)):
        return Command("ask_amount", (side, f"{asset}/USD"))
    return None


_PERCENT_WORD = re.compile(r"^(\d{1,3}(?:\.\d+)?)\s*%$")


def percent_of_holding(side: str, rest: list[str]) -> Command | None:
    """"sell 50% of my eth", "sell 25 percent of my bitcoin" -> sell_part (a sell only)."""
    words = [w.strip(PUNCT) for w in rest if w.strip(PUNCT)]
    if side != "sell" or not words:
        return None
    text = " ".join(words).lower().replace(" percent", "%").replace(" per cent", "%")
    first, _, tail = text.partition(" ")
    match = _PERCENT_WORD.match(first)
    if match is None:
        return None
    value = Decimal(match.group(1))
    codes = {c for c in (asset_code(w) for w in tail.split()) if c is not None}
    if not 0 < value <= 100 or len(codes) != 1 or not set(tail.split()) - {"of", "my", "the"}:
        return None
    return Command("sell_part", (f"{codes.pop()}/USD", f"{(value / 100).normalize():f}"))


def _only_asset(words: list[str]) -> bool:
    """"buy btc", "buy bitcoin please": an asset and nothing that could be an amount."""
    return all(asset_code(w) is not None or w in _ORDER_FILLER for w in words)


def _holding_fraction(words: list[str]) -> Decimal | None:
    """"half my", "a quarter of my", "all my", "everything", "all of it"."""
    for i, w in enumerate(words):
        if w in HOLDING_FRACTIONS:
            nxt = words[i + 1 : i + 3]
            if w in ("half", "quarter", "third") and not (set(nxt) & {"my", "of", "the", "it"}) and i + 1 < len(words):
                return None  # "half an hour"
            return HOLDING_FRACTIONS[w]
    return None


# ---- timed pauses -------------------------------------------------------------------------------
_PAUSE_FILLER = frozenset({"trading", "the", "autopilot", "bot", "all", "new", "entries", "trades", "please",
                           "everything", "buying", "it", "zyn", "now", "for", "a", "while", "on", "off", "pls",
                           "your", "yourself", "any", "more", "hold"})
_UNIT_S = {"minute": 60, "min": 60, "mins": 60, "minutes": 60, "m": 60, "hour": 3600, "hours": 3600, "hr": 3600,
           "hrs": 3600, "h": 3600, "day": 86400, "days": 86400, "d": 86400, "week": 604800, "weeks": 604800}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")
MAX_PAUSE_S = 30 * 86400


def pause_span(rest: list[str]) -> tuple[str, str] | None:
    """The end of a timed pause in the words after the verb, as ("for", SECONDS) or ("until",
    "tomorrow" | WEEKDAY | "HH:MM"); None when there is no time in them."""
    text = " ".join(w.lower().strip(PUNCT) for w in rest)
    text = re.sub(r"\b(untill|till|til|until|unitl)\b", "until", text)
    text = re.sub(r"(\d)\s*(am|pm)\b", r"\1\2", text)
    if re.search(r"\b(for (the rest of )?(the day|today)|rest of the day|today)\b", text):
        return ("until", "tomorrow")
    if re.search(r"\b(overnight|for the night|tonight)\b", text):
        return ("until", "tomorrow 08:00")
    if re.search(r"\b(for the weekend|over the weekend|this weekend|on the weekend|at the weekend)\b", text):
        return ("until", "monday")
    match = re.search(r"\buntil (tomorrow|tmrw|tmr|tomorow)( morning)?\b", text)
    if match:
        return ("until", "tomorrow 08:00" if match.group(2) else "tomorrow")
    match = re.search(r"\buntil (next )?(" + "|".join(_WEEKDAYS) + r")\b", text)
    if match:
        return ("until", match.group(2))
    match = re.search(r"\buntil (\d{1,2}(?::\d{2})?(?:am|pm)?)\b", text)
    if match:
        clock = _clock(match.group(1))
        return ("until", clock) if clock else None
    match = re.search(r"\b(?:for )?(an?|one|two|three|four|five|six|ten|twelve|half an?|\d+(?:\.\d+)?)\s*"
                      r"(minutes?|mins?|hours?|hrs?|h|m|days?|d|weeks?)\b", text)
    if match:
        count_words = match.group(1).split()
        count = (Decimal("0.5") if count_words[0] == "half" else Decimal(1) if count_words[0] in ("a", "an")
                 else number_words(count_words))
        seconds = int((count or Decimal(0)) * _UNIT_S[match.group(2)])
        if 0 < seconds <= MAX_PAUSE_S:
            return ("for", str(seconds))
    return None


def _clock(raw: str) -> str | None:
    match = _CLOCK.match(raw)
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if match.group(3) == "pm" and hour < 12:
        hour += 12
    if match.group(3) == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def timed_pause(rest: list[str]) -> Command | None:
    """`pause trading until tomorrow`, `pause for 2 hours` -> Command("pause_until", span)."""
    span = pause_span(rest)
    return Command("pause_until", span) if span is not None else None


_PAUSE_VERBS = frozenset({"pause", "stop", "halt", "freeze", "suspend"})


_NO_NEW = re.compile(r"^(?:please\s+|pls\s+|kindly\s+)?(?:don'?t|dont|do\s+not|no)\s+"
                     r"(?:open|take|start|make|enter|place|put\s+on)\s+(?:any\s+)?(?:new\s+|more\s+)?"
                     r"(?:positions|trades|entries|orders)\b(.*)$"
                     r"|^(?:please\s+|pls\s+)?(?:don'?t|dont|do\s+not|no)\s+(?:trade|trading)(?:\s+any\s*more)?\b(.*)$",
                     re.I)


def pause_sentence(text: str) -> Command | None:
    """"stop trading for 2 hours", "halt the bot until tomorrow": a pause verb first, a time in the
    rest; "don't open any new positions this weekend" too (a pause: no entries, nothing closed)."""
    no_new = _NO_NEW.match(" ".join(text.replace("’", "'").split()))
    tail = "" if no_new is None else no_new.group(1) if no_new.group(1) is not None else no_new.group(2)
    if no_new is not None and not any(asset_code(w.strip(PUNCT)) is not None for w in tail.split()):
        return timed_pause(tail.split())
    words = text.split()
    if not words or words[0].lower().strip(PUNCT) not in _PAUSE_VERBS:
        return None
    if any(asset_code(w) is not None for w in words[1:]):
        return None  # "stop trading ETH for a week" is a standing rule for one pair, not a pause
    return timed_pause(words[1:])


# ---- polite wrappers ----------------------------------------------------------------------------
_POLITE = re.compile(
    r"^\s*(?:(?:hey|hi|hello|ok|okay|right|so|zyn|jimmy here|good\s+(?:morning|afternoon|evening)|morning|evening)"
    r"[,!.]?\s+)*"
    r"(?:please to\s+|please\s+|pls\s+|plz\s+|plse\s+|kindly\s+|"
    r"can you\s+|could you\s+|would you\s+|will you\s+|can u\s+|"
    r"i should like to\s+|(?:be\s+)?so\s+kind\s+as\s+to\s+|be\s+so\s+good\s+as\s+to\s+|i\s+wish\s+to\s+|"
    r"i\s+would\s+wish\s+to\s+|can\s+i\s+|could\s+i\s+|may\s+i\s+|would\s+it\s+be\s+possible\s+to\s+|"
    r"is\s+it\s+(?:ok|okay|alright|possible)\s+(?:if\s+you\s+|to\s+)|"
    r"i'?d like you to\s+|i would like you to\s+|would you be so kind as to\s+|"
    r"i want to\s+|i wanna\s+|i'd like to\s+|id like to\s+|i would like to\s+|let's\s+|lets\s+|"
    r"go ahead and\s+|i need you to\s+|i need to\s+|i need\s+|time to\s+|now\s+|be a dear and\s+|"
    r"do me a favou?r and\s+|"
    r"i'?d be (?:very )?grateful if you (?:could|would)\s+|if you (?:could|would)\s+|"
    r"i want\s+|i wanna\s+|i would like\s+|you can\s+|just\s+)+",
    re.I,
)


def unwrap_polite(text: str) -> str | None:
    """"could you please sell half my eth" -> "sell half my eth"; None when there is no wrapper."""
    match = _POLITE.match(text)
    if match is None or match.end() == 0:
        return None
    rest = text[match.end():].strip()
    return rest or None
