"""The arguments of each command word: `PARSERS` maps a command's first word to the function that
reads the rest of the message into a `Command` (or raises `UserError` with one line).

Why apart from parser.py: parser.py decides WHICH command a message is (plain sentences, slips,
prefaces, politeness); this module reads each command's own arguments once it is known (periods,
counts, order ids, settings, filler words). Both are pure text -> data.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.conversation.parsed import PUNCT as _PUNCT
from bot.conversation.parsed import Command
from bot.conversation.parser_features import FEATURE_PARSERS
from bot.conversation.parser_orders import normalize_pair, order
from bot.conversation.parser_plain import number_words, percent_value, plain_order, timed_pause
from bot.conversation.parser_stats import KNOWN_BASES, parse_stats
from bot.conversation.setting_names import setting_name
from core.domain import UserError
from core.markets.asset_names import asset_code
from core.markets.pairs import QUOTES

MAX_TRADES = 100
_ORDER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
PERIODS = {
    "today": "today",
    "day": "today",
    "daily": "today",
    "24h": "today",
    "week": "week",
    "weekly": "week",
    "7d": "week",
    "all": "all",
    "total": "all",
    "ever": "all",
    "alltime": "all",
    "all-time": "all",
    "overall": "all",
}


def _pnl(name: str, rest: list[str]) -> Command:
    if not rest:
        return Command(name)
    low = " ".join(w.lower().strip(_PUNCT) for w in rest)
    if re.search(r"\b(chart|graph|plot|curve)\b", low):  # "pnl chart"
        return Command("chart", ("pnl",))
    if re.search(r"\b(last|past|previous) (week|7 days|seven days)\b", low):
        return Command("pnl_days", ("7",))  # "last week" = the 7 days ending now (issue 22.8), said in the reply
    periods = [PERIODS[w.lower().strip(_PUNCT)] for w in rest if w.lower().strip(_PUNCT) in PERIODS]
    if not periods:
        raise UserError("pnl takes today, week or all (e.g. pnl week)")
    return Command(name, (periods[0],))


def _trades(name: str, rest: list[str]) -> Command | None:
    if not rest:
        return Command(name, ("10",))
    raw = rest[0]
    if raw.isalpha():  # "trades ten" is a count; "trade again" is a sentence for the free-text engine
        spelled = number_words([raw]) if len(rest) == 1 else None
        if spelled is None or spelled != int(spelled) or not 1 <= spelled <= MAX_TRADES:
            return None
        raw = str(int(spelled))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TRADES:
        raise UserError(f"trades takes a count from 1 to {MAX_TRADES} (e.g. trades 5), not {raw[:20]!r}")
    return Command(name, (str(int(raw)),))


_CANCEL_FILLER = frozenset({"my", "the", "open", "orders", "order", "please", "now", "pending", "every", "them", "of",
                            "outstanding", "waiting", "resting", "active", "existing", "current", "live", "unfilled"})


_THAT = frozenset({"that", "this", "it", "last", "one", "latest"})
# "the order I just placed", "my most recent order": the owner means one order without naming it
_RECENT = frozenset({"i", "we", "you", "just", "placed", "made", "put", "sent", "entered", "submitted", "set",
                     "last", "latest", "recent", "most", "newest", "new", "previous", "earlier", "before", "in",
                     "up", "that", "this", "one", "a", "ago", "minute", "moment", "there"})


def _cancel(name: str, rest: list[str]) -> Command | None:
    """`cancel ID`, `cancel all [open orders]`; a sentence ("cancel culture is weird") is free text."""
    if not rest:
        raise UserError("cancel what? send cancel ORDER_ID or cancel all (orders lists them)")
    words = [w for w in rest if w.lower().strip(_PUNCT) not in _CANCEL_FILLER]
    if not words and any(w.lower().strip(_PUNCT) in ("orders", "every") for w in rest):
        return Command(name, ("all",))
    if words and all(w.lower().strip(_PUNCT) in _THAT for w in words) and (
            len(rest) > len(words) or len(words) == 1):  # "cancel that order", "cancel it": which one?
        raise UserError("cancel which order? send cancel ORDER_ID or cancel all (orders lists them)")
    if words and any(w.lower().strip(_PUNCT) in ("order", "orders") for w in rest) and all(
            w.lower().strip(_PUNCT) in _RECENT for w in words):
        raise UserError("cancel which order? send cancel ORDER_ID or cancel all (orders lists them)")
    if len(words) != 1:
        return None
    target = words[0].strip(_PUNCT)
    if target.lower() == "all":
        return Command(name, ("all",))
    if target.isalpha() and not target.isupper():
        return None  # "cancel culture", "cancel the meeting": order ids look like OABC12-XYZ or NOPE
    if not _ORDER_ID.fullmatch(target):
        raise UserError(f"{target[:20]!r} is not an order id (orders lists them)")
    return Command(name, (target,))


def _why(name: str, rest: list[str]) -> Command | None:
    if not rest:
        return Command(name)
    if len(rest) == 1:
        word = rest[0].lstrip("#").strip(_PUNCT).lower()
        if word.isdigit() and len(word) <= 12:
            return Command(name, (str(int(word)),))
        if word in ("skip", "skipped", "skips", "last"):
            return Command(name, ("skip" if word.startswith("skip") else "last",))
    words = [w.strip(_PUNCT) for w in rest]
    if len(words) in (2, 3) and words[0].lower() in ("skip", "skipped"):  # why skip ETH
        inner = _why(name, words[1:])
        if inner is not None and inner.args[:1] == ("pair",):
            return Command(name, ("skip", inner.args[1]))
    if len(words) in (1, 2) and words[0].upper().partition("/")[0] in KNOWN_BASES:  # why ETH/USD
        text = "/".join(words) if len(words) == 2 and words[1].upper() in QUOTES else words[0]
        if len(words) == 1 or text.count("/") == 1:
            return Command(name, ("pair", normalize_pair(text)))
    return None  # "why did you buy?" is a question for the free-text engine


def _backtest(name: str, rest: list[str]) -> Command:
    if not rest:
        raise UserError("backtest which pair? e.g. backtest BTC/USD")
    text = "/".join(rest[:2]) if len(rest) >= 2 and rest[1].upper() in QUOTES else rest[0]
    return Command(name, (normalize_pair(text),))


def parse_set(name: str, rest: list[str]) -> Command:
    rest = [w for w in rest if w.lower() not in ("my", "the")]  # "set my risk to half a percent"
    percent = _percent_tail(rest)
    if percent is not None:
        rest = percent
    if len(rest) < 2:
        raise UserError("usage: set PREF VALUE, e.g. set risk 0.5% or set alerts stop_hit off")
    rest = _report_time_words(rest)
    words = [w.lower() for w in rest]
    if words[:2] in (["report", "time"], ["time", "zone"], ["summary", "time"]):  # "set report time to 20:00"
        rest = ["report_time" if words[0] != "time" else "tz", *[w for w in rest[2:] if w.lower() not in ("to", "=")]]
        words = [w.lower() for w in rest]
    if words[:2] == ["quiet", "hours"] or words[0] in ("quiet_hours", "quiet-hours"):
        value = rest[2:] if words[0] == "quiet" else rest[1:]
        return Command(name, ("quiet_hours", " ".join(value)))
    if words[0] in ("pair", "pairs"):
        return Command(name, ("pair", " ".join(rest[1:])))
    for size in (3, 2, 1):  # "daily loss limit 3%", "max position 20%", "risk 0.5%"
        setting = setting_name(words[:size]) if len(words) > size else None
        if setting is not None:
            value = [w for w in rest[size:] if w.lower() not in ("to", "=", "at")]
            return Command(name, (setting, " ".join(value)))
    return Command(name, (rest[0].lower(), *rest[1:]))


_TIME_OF = re.compile(r"^(?:the\s+)?(?:time|hour)\s+(?:of|for)\s+(?:the\s+|my\s+)?(?:daily\s+)?"
                      r"(?:report|summary)\b", re.I)
_HOUR_WORDS = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(?:(am|a\.m\.|in\s+(?:the\s+)?morning)|"
                         r"(pm|p\.m\.|in\s+(?:the\s+)?(?:evening|afternoon)|at\s+night))?\s*$", re.I)


def _report_time_words(rest: list[str]) -> list[str]:
    """"time of report to 8 in morning" -> ["report_time", "08:00"]; "report time 8pm" ->
    ["report_time", "20:00"]; other words unchanged (the setting's own parser judges the value)."""
    text = " ".join(rest)
    head = _TIME_OF.match(text)
    if head is None and not re.match(r"^(?:daily\s+)?(?:report|summary)(?:_|\s+)time\b", text, re.I):
        return rest
    body = text[head.end():] if head is not None else re.sub(r"^(?:daily\s+)?\S+(?:\s+time)?", "", text, count=1)
    value = re.sub(r"^\s*(?:to|=|at|is)\s+", "", body.strip()).strip(" .!")
    clock = _HOUR_WORDS.fullmatch(value)
    if clock is not None:
        hour, minute = int(clock.group(1)), int(clock.group(2) or 0)
        hour += 12 if clock.group(4) and hour < 12 else 0
        hour -= 12 if clock.group(3) and hour == 12 else 0
        if hour <= 23 and minute <= 59:
            value = f"{hour:02d}:{minute:02d}"
    return ["report_time", *value.split()]


def _percent_tail(rest: list[str]) -> list[str] | None:
    """The words with a spoken percentage at the end made a number ("risk to half a percent" ->
    "risk to 0.5%"), else None."""
    for start in range(1, len(rest)):
        value = percent_value(rest[start:])
        if value is not None:
            return [*rest[:start], value]
    return None


def _forget(name: str, rest: list[str]) -> Command | None:
    """`forget` (the conversation), `forget rule 2`, `forget fact 1`."""
    if not rest:
        return Command(name)
    words = [w.lower().strip(_PUNCT).lstrip("#") for w in rest]
    while len(words) > 2 and words[-1] in ("please", "pls", "plz", "thanks", "now", "thx", ""):
        words = words[:-1]  # "forget rule 3, please"
    if len(words) == 2 and words[0] in ("rule", "fact") and words[1].isdigit() and len(words[1]) < 4:
        return Command("forget_item", (words[0], words[1]))
    if words[0] in ("rule", "fact"):
        raise UserError(f"usage: forget {words[0]} N ({'rules' if words[0] == 'rule' else 'memory'} lists them)")
    return None


def _remember(name: str, rest: list[str]) -> Command:
    words = list(rest)
    if words and words[0].lower() == "that":
        words = words[1:]
    if not words:
        raise UserError('remember what? e.g. "remember that I don\'t trade on weekends"')
    return Command(name, (" ".join(words),))


def _price(name: str, rest: list[str]) -> Command:
    words = [w for w in rest if w.lower().strip(_PUNCT) not in ("of", "for", "the")]
    if not words:
        raise UserError("price of what? e.g. price BTC")
    text = "/".join(words[:2]) if len(words) >= 2 and words[1].upper().strip(_PUNCT) in QUOTES else words[0]
    return Command(name, (normalize_pair(text.strip(_PUNCT)),))


def _flatten(name: str, rest: list[str]) -> Command | None:
    """`flatten` closes everything; `flatten BTC` every position in that pair (manual and
    autopilot). Anything else ("flatten everything now") goes to the free-text engine."""
    words = [w for w in rest if w.lower().strip(_PUNCT) not in _FLATTEN_FILLER]
    if not words:
        return Command(name)
    first = words[0].strip(_PUNCT)
    pair_like = len(words) == 1 and ("/" in first or first.upper() in KNOWN_BASES or asset_code(first) is not None)
    if not pair_like and not (len(words) == 2 and words[1].upper().strip(_PUNCT) in QUOTES):
        return None
    try:
        return _price(name, words)
    except UserError:
        return None


_FLATTEN_FILLER = frozenset(
    {"all", "my", "the", "position", "positions", "now", "please", "everything", "it", "them", "out", "asap", "pair",
     "me", "us"}
)


def _close(name: str, rest: list[str]) -> Command | None:
    """"close everything", "close my BTC position", "close all positions" -> flatten (confirmed with
    yes); anything else ("close the window") is free text."""
    low = [w.lower().strip(_PUNCT) for w in rest]
    if any(w in ("every", "each") for w in low):  # "close every trade right now"
        rest = [w for w, lw in zip(rest, low, strict=True) if lw not in _EVERY_FILLER] or ["all"]
    if any(w in ("half", "quarter", "third") for w in low) and any(asset_code(w) is not None for w in rest):
        return plain_order("sell", rest)  # "close half my eth position": a part, never the whole
    if any(asset_code(w.strip(_PUNCT)) is not None for w in rest):  # "close the eth trade"
        rest = [w for w in rest if w.lower().strip(_PUNCT) not in ("trade", "trades", "long", "short")]
    words = [w for w in rest if w.lower().strip(_PUNCT) not in _FLATTEN_FILLER]
    if not rest or (words and asset_code(words[0]) is None and "/" not in words[0]):
        return None
    return _flatten("flatten", rest)


_EVERY_FILLER = frozenset({"every", "each", "single", "trade", "position", "open", "right", "of", "one", "just"})


def _pause(name: str, rest: list[str]) -> Command | None:
    """`pause` alone is in NO_ARG; `pause [trading] until tomorrow|for 2 hours` is a timed pause."""
    return timed_pause(rest)


def _trend(name: str, rest: list[str]) -> Command | None:
    """`trend [PAIR]` (issue 22.8): SMA20/ATR/mtf of a pair; a longer sentence is free text."""
    words = [w for w in rest if w.lower().strip(_PUNCT) not in ("of", "for", "on", "the", "in")]
    if not words:
        return Command(name)
    if len(words) > 2:
        return None
    try:
        return Command(name, _price("price", words).args)
    except UserError:
        return None


def _pnl_days(name: str, rest: list[str]) -> Command:
    """`pnl_days N`: the N days ending now ("last week" = 7), 1 to 366."""
    raw = rest[0] if rest else "7"
    if not raw.isdigit() or not 1 <= int(raw) <= 366:
        raise UserError("pnl_days takes a number of days from 1 to 366 (e.g. pnl_days 7)")
    return Command(name, (str(int(raw)),))


def _alerts(name: str, rest: list[str]) -> Command:
    if not rest:
        return Command(name)
    return parse_set("set", ["alerts", *rest])


def _report(name: str, rest: list[str]) -> Command:
    period = PERIODS.get(rest[0].lower().strip(_PUNCT), "") if rest else "week"
    if period not in ("today", "week"):
        raise UserError("report takes week or today (e.g. report week)")
    return Command(name, (period,))


def _chart(name: str, rest: list[str]) -> Command:
    kind = rest[0].lower() if rest else "equity"
    if kind not in ("equity", "pnl"):
        raise UserError("chart takes equity or pnl")
    return Command(name, (kind,))


PARSERS: dict[str, Callable[[str, list[str]], Command | None]] = {
    "buy": order,
    "sell": order,
    "pnl": _pnl,
    "trades": _trades,
    "cancel": _cancel,
    "why": _why,
    "backtest": _backtest,
    "set": parse_set,
    "alerts": _alerts,
    "report": _report,
    "chart": _chart,
    "stats": parse_stats,
    "forget": _forget,
    "remember": _remember,
    "price": _price,
    "flatten": _flatten,
    "close": _close,
    "trend": _trend,
    "pnl_days": _pnl_days,
    "pause": _pause,
    **FEATURE_PARSERS,
}
