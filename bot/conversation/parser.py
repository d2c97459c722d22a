"""Chat command parser: text -> `Command`, `None` for free text, or `UserError` (one line).

Why hand-written: the grammar is tiny (contract "Chat commands") and must be forgiving — slash
optional, any case, Telegram's `/cmd@BotName`, pairs as `btc`, `BTCUSD`, `XBT/USD`, `BTC USD` —
while being strict about money: amounts and prices must be finite, positive and sane, or the
user gets one clear line and nothing runs. A sentence that merely starts with a command word
("why did you buy?") is free text, not a malformed command.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.conversation.learning_questions import learning_question
from bot.conversation.parsed import PUNCT as _PUNCT
from bot.conversation.parsed import Command as Command
from bot.conversation.parser_features import FEATURE_PARSERS
from bot.conversation.parser_orders import MAX_AMOUNT as MAX_AMOUNT
from bot.conversation.parser_orders import MAX_PRICE as MAX_PRICE
from bot.conversation.parser_orders import normalize_pair as normalize_pair
from bot.conversation.parser_orders import order
from bot.conversation.parser_orders import parse_number as parse_number
from bot.conversation.parser_plain import pause_sentence, percent_value, timed_pause, unwrap_polite
from bot.conversation.parser_stats import KNOWN_BASES as KNOWN_BASES
from bot.conversation.parser_stats import STATS_DIMENSIONS as STATS_DIMENSIONS
from bot.conversation.parser_stats import STATS_RANKINGS as STATS_RANKINGS
from bot.conversation.parser_stats import STATS_USAGE as STATS_USAGE
from bot.conversation.parser_stats import WEEKDAY_NAMES as WEEKDAY_NAMES
from bot.conversation.parser_stats import hour_range_in as hour_range_in
from bot.conversation.parser_stats import infer_stats_group as infer_stats_group
from bot.conversation.parser_stats import parse_stats
from bot.conversation.parser_stats import stats_value as stats_value
from bot.conversation.servant_questions import servant_question
from bot.conversation.setting_names import setting_name
from core.domain import UserError
from core.markets.asset_names import asset_code
from core.markets.pairs import QUOTES
from core.trading.rules import parse_rule

MAX_TRADES = 100
_ORDER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

NO_ARG = frozenset(
    {
        "help",
        "status",
        "balance",
        "positions",
        "orders",
        "flatten",
        "pause",
        "resume",
        "insights",
        "learn",
        "memory",
        "yes",
        "no",
        "autopilot",
        "settings",
        "rules",
        "time",
        "killswitch",
        "market_open",  # issue 22.8: "is the market open?" (Kraken's SystemStatus)
        "extremes",  # best and worst trades and pairs
    }
)
ALIASES = {
    "start": "help",
    "commands": "help",
    "balances": "balance",
    "bal": "balance",
    "position": "positions",
    "pos": "positions",
    "order": "orders",
    "trade": "trades",
    "history": "trades",
    "p&l": "pnl",
    "insight": "insights",
    "y": "yes",
    "n": "no",
    "confirm": "yes",
    "decisions": "autopilot",
    "setting": "settings",
    "config": "settings",
    "rule": "rules",
    "kill-switch": "killswitch",
    "clock": "time",
    "prices": "price",
    "quote": "price",
    "charts": "chart",
    "stat": "stats",
    "statistics": "stats",
    "purchase": "buy",  # issue 22.8
    "unpause": "resume",
    "un-pause": "resume",
    "unfreeze": "resume",
    "market": "market_open",
    "best": "extremes",
    "worst": "extremes",
}
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


def head_word(text: str) -> str:
    """The command word: first token, lower-case, without slash, @BotName or trailing punctuation."""
    words = text.split(maxsplit=1)
    if not words:
        return ""
    head = words[0].lower().lstrip("/").split("@", 1)[0].rstrip(_PUNCT)
    return ALIASES.get(head, head)


def is_yes(text: str) -> bool:
    return len(text.split()) == 1 and head_word(text) == "yes"


def is_no(text: str) -> bool:
    return len(text.split()) == 1 and head_word(text) == "no"


def parse(text: str) -> Command | None:
    """Parse one message. None means "not a command" (hand it to the free-text engine)."""
    asked = learning_question(text)  # measured answers about learning (bot/conversation/learning_questions.py)
    if asked is not None:
        return asked
    asked = servant_question(text)  # the servant's measured answers and `trade PAIR anyway` (issue 17)
    if asked is not None:
        return asked
    name = head_word(text)
    if not name:
        return None
    if name not in NO_ARG and name not in _PARSERS:  # "could you please pause until tomorrow"
        inner = unwrap_polite(text)
        if inner is not None and head_word(inner) in NO_ARG | _PARSERS.keys():
            return parse(inner)
    timed = pause_sentence(text)  # "stop trading until tomorrow" (before "stop trading ETH" rules)
    if timed is not None:
        return timed
    rest = [w for w in text.split()[1:] if w.strip(_PUNCT)]
    if name in NO_ARG and (not rest or name == "help"):
        return Command(name)
    parser = _PARSERS.get(name)
    if parser is not None:
        return parser(name, rest)
    if name not in ("why", "what", "how") and parse_rule(text) is not None:  # "stop trading ETH"
        return Command("remember", (" ".join(text.split()),))
    return None


# ---- per-command parsers -------------------------------------------------------------------


def _pnl(name: str, rest: list[str]) -> Command:
    if not rest:
        return Command(name)
    low = " ".join(w.lower().strip(_PUNCT) for w in rest)
    if re.search(r"\b(last|past|previous) (week|7 days|seven days)\b", low):
        return Command("pnl_days", ("7",))  # "last week" = the 7 days ending now (issue 22.8), said in the reply
    periods = [PERIODS[w.lower().strip(_PUNCT)] for w in rest if w.lower().strip(_PUNCT) in PERIODS]
    if not periods:
        raise UserError("pnl takes today, week or all (e.g. pnl week)")
    return Command(name, (periods[0],))


def _trades(name: str, rest: list[str]) -> Command:
    if not rest:
        return Command(name, ("10",))
    raw = rest[0]
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_TRADES:
        raise UserError(f"trades takes a count from 1 to {MAX_TRADES} (e.g. trades 5), not {raw[:20]!r}")
    return Command(name, (str(int(raw)),))


_CANCEL_FILLER = frozenset({"my", "the", "open", "orders", "order", "please", "now", "pending", "every", "them"})


def _cancel(name: str, rest: list[str]) -> Command | None:
    """`cancel ID`, `cancel all [open orders]`; a sentence ("cancel culture is weird") is free text."""
    if not rest:
        raise UserError("cancel what? send cancel ORDER_ID or cancel all (orders lists them)")
    words = [w for w in rest if w.lower().strip(_PUNCT) not in _CANCEL_FILLER]
    if not words and any(w.lower().strip(_PUNCT) in ("orders", "every") for w in rest):
        return Command(name, ("all",))
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


def _set(name: str, rest: list[str]) -> Command:
    rest = [w for w in rest if w.lower() not in ("my", "the")]  # "set my risk to half a percent"
    percent = _percent_tail(rest)
    if percent is not None:
        rest = percent
    if len(rest) < 2:
        raise UserError("usage: set PREF VALUE, e.g. set risk 0.5% or set alerts stop_hit off")
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
    {"all", "my", "the", "position", "positions", "now", "please", "everything", "it", "them", "out", "asap", "pair"}
)


def _close(name: str, rest: list[str]) -> Command | None:
    """"close everything", "close my BTC position", "close all positions" -> flatten (confirmed with
    yes); anything else ("close the window") is free text."""
    words = [w for w in rest if w.lower().strip(_PUNCT) not in _FLATTEN_FILLER]
    if not rest or (words and asset_code(words[0]) is None and "/" not in words[0]):
        return None
    return _flatten("flatten", rest)


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
    return _set("set", ["alerts", *rest])


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


_PARSERS: dict[str, Callable[[str, list[str]], Command | None]] = {
    "buy": order,
    "sell": order,
    "pnl": _pnl,
    "trades": _trades,
    "cancel": _cancel,
    "why": _why,
    "backtest": _backtest,
    "set": _set,
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
