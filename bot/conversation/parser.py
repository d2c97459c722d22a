"""Chat command parser: text -> `Command`, `None` for free text, or `UserError` (one line).

Why hand-written: the grammar is tiny (contract "Chat commands") and must be forgiving — slash
optional, any case, Telegram's `/cmd@BotName`, pairs as `btc`, `BTCUSD`, `XBT/USD`, `BTC USD` —
while being strict about money: amounts and prices must be finite, positive and sane, or the
user gets one clear line and nothing runs. A sentence that merely starts with a command word
("why did you buy?") is free text, not a malformed command.
"""

from __future__ import annotations

import re

from bot.conversation.learning_questions import learning_question
from bot.conversation.parsed import PUNCT as _PUNCT
from bot.conversation.parsed import Command as Command
from bot.conversation.parser_args import PARSERS, parse_set
from bot.conversation.parser_money import fix_verb_slip, money_idiom, one_slip
from bot.conversation.parser_orders import MAX_AMOUNT as MAX_AMOUNT
from bot.conversation.parser_orders import MAX_PRICE as MAX_PRICE
from bot.conversation.parser_orders import normalize_pair as normalize_pair
from bot.conversation.parser_orders import order
from bot.conversation.parser_orders import parse_number as parse_number
from bot.conversation.parser_plain import (
    pause_sentence,
    unwrap_polite,
)
from bot.conversation.parser_stats import KNOWN_BASES as KNOWN_BASES
from bot.conversation.parser_stats import STATS_DIMENSIONS as STATS_DIMENSIONS
from bot.conversation.parser_stats import STATS_RANKINGS as STATS_RANKINGS
from bot.conversation.parser_stats import STATS_USAGE as STATS_USAGE
from bot.conversation.parser_stats import WEEKDAY_NAMES as WEEKDAY_NAMES
from bot.conversation.parser_stats import hour_range_in as hour_range_in
from bot.conversation.parser_stats import infer_stats_group as infer_stats_group
from bot.conversation.parser_stats import stats_value as stats_value
from bot.conversation.servant_questions import servant_question
from bot.conversation.setting_names import setting_name
from core.domain import UserError
from core.markets.asset_names import asset_code
from core.trading.rules import parse_rule

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
    "relearn": "learn",
    "re-learn": "learn",
    "retrain": "learn",
    "re-train": "learn",
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


_DROP = re.compile(r"^(?:(?:no|nope|nah|nvm|never\s*mind|scratch\s+that|forget\s+(?:it|that)|changed\s+my\s+mind|"
                   r"actually(?:\s+no)?|don'?t(?:\s+do\s+it)?|abort|cancel\s+(?:that|it|this)(?:\s+order)?)"
                   r"[\s,.!]*)+$", re.I)


def drops_pending(text: str) -> bool:
    """"nvm", "never mind, cancel that", "forget it", "don't": the owner drops the action that waits
    for yes (said only while one waits; dropping changes nothing, so a wide reading is safe)."""
    return _DROP.match(" ".join(text.replace("’", "'").split())) is not None


def parse(text: str) -> Command | None:
    """Parse one message. None means "not a command" (hand it to the free-text engine)."""
    asked = learning_question(text)  # measured answers about learning (bot/conversation/learning_questions.py)
    if asked is not None:
        return asked
    asked = servant_question(text)  # the servant's measured answers and `trade PAIR anyway` (issue 17)
    if asked is not None:
        return asked
    plain = _plain_form(text)
    if plain is not None:
        return plain
    name = head_word(text)
    if not name:
        return None
    if len(text.split()) > 1 and text.split()[0].lower().lstrip("/").split("@")[0].rstrip(_PUNCT) == "start":
        return None  # Telegram's /start is help; "start trading again" is a sentence for the free-text engine
    if name not in NO_ARG and name not in PARSERS:  # "could you please pause until tomorrow"
        inner = unwrap_polite(text)
        if inner is not None and head_word(inner) in NO_ARG | PARSERS.keys():
            said = parse(inner)
            return None if said is not None and said.name == "ask_amount" and _OPINION.match(text) else said
    timed = pause_sentence(text)  # "stop trading until tomorrow" (before "stop trading ETH" rules)
    if timed is not None:
        return timed
    rest = [w for w in text.split()[1:] if w.strip(_PUNCT)]
    if name in NO_ARG and (not rest or name == "help"):
        return Command(name)
    parser = PARSERS.get(name)
    if parser is not None:
        return parser(name, rest)
    if name not in ("why", "what", "how") and parse_rule(text) is not None:  # "stop trading ETH"
        return Command("remember", (" ".join(text.split()),))
    return None


_PLAIN = (
    (re.compile(r"^(?:re-?run|redo|run)\s+(?:the\s+)?learn(?:ing|er)(?:\s+again|\s+now)?$"
                r"|^(?:re-?learn|re-?train|learn)(?:\s+(?:again|now|yourself|it\s+all|from\s+(?:my|the|our)\s+trades))+$"),
     "learn"),
    (re.compile(r"^(?:(?:the\s+)?(?:exchange|kraken)(?:'s)?\s+(?:system\s+)?status|"
                r"is\s+(?:kraken|the\s+exchange)\s+(?:up|down|online|offline|working|open|live|ok|okay|running)"
                r"(?:\s+(?:right\s+)?now|\s+today)?)$"
                r"|^(?:is|are)\s+(?:the\s+)?(?:crypto\s+|bitcoin\s+|kraken\s+)?(?:market|markets|exchange)\s+"
                r"(?:open|closed|shut)\b"
                r"|^(?:can|could)\s+(?:i|we|you)\s+(?:trade|buy|sell)(?:\s+\S+)?\s+(?:on|at|during|over|in)\s+"
                r"(?:the\s+)?(?:weekends?|sundays?|saturdays?|nights?|holidays?|christmas|bank\s+holidays?)$"),
     "market_open"),
    (re.compile(r"^forget\s+(?:that|about|what\s+i\s+said\s+about)\s+\S"), "memory"),
)
# "would you buy bitcoin now?", "can I sell my eth?" ask an opinion or a permission
# when they name no amount: not an order to ask the amount of
_OPINION = re.compile(r"^\s*(?:(?:would|wouldn't|should|do)\s+(?:you|u)|(?:can|could|may|should)\s+i)\b.*\?\s*$", re.I)
_ASIDE = re.compile(r"^\s*(?:(?:nvm|never\s*mind|actually|oops|oh|wait|hmm+|um+|erm|scratch\s+that|"
                    r"on\s+second\s+thought)[,!.;:]*\s+)+", re.I)
_NEW_RULE = re.compile(
    r"^(?:new\s+|(?:add|make|set|create)\s+(?:a\s+)?(?:new\s+)?)rule\s*[:\-\u2013\u2014,]?\s+(\S.*)$", re.I)
_CALL_ME = re.compile(r"^(?:please\s+)?call\s+me\s+([a-z][a-z' -]{0,30}?)(?:\s+(?:please|from\s+now\s+on))?$")


_SLIP_COMMANDS = ("help", "time", "status", "balance", "positions", "orders", "trades", "insights", "memory",
                  "settings", "rules", "killswitch", "autopilot", "report", "chart", "stats")  # no actions
_ENGLISH = frozenset({"state", "tide", "tile", "tie", "tome", "tame", "tine", "chat", "item", "heap", "held", "hemp",
                      "kelp", "yelp", "hell", "hello", "borders", "border", "grades", "traders", "trader", "rule",
                      "rulers", "mules", "rates", "stars", "start", "starts", "stays", "setting", "sorted",
                      "import", "deport", "support", "charm", "chert", "chant", "charts", "tim", "times", "hep",
                      "memo", "helo", "traded", "tides", "ruled", "rude", "rues", "time's", "meme", "hall", "heal",
                      "help's"})


def _command_slips() -> dict[str, str]:
    """One-slip spellings of the argument-less commands ("halp", "tiem", "postions"), where only one
    command is that close and the slip is not itself a command word."""
    seen: dict[str, set[str]] = {}
    for command in _SLIP_COMMANDS:
        for slip in one_slip(command, any_key=True):
            seen.setdefault(slip, set()).add(command)
    known = set(NO_ARG) | set(ALIASES) | set(_SLIP_COMMANDS)
    return {s: next(iter(c)) for s, c in seen.items()
            if len(c) == 1 and len(s) >= 4 and s not in known and s not in _ENGLISH}


def slipped_command(text: str) -> Command | None:
    """A one-word message that is a one-letter slip of a command ("halp" -> help, "tiem" -> time)."""
    words = text.split()
    if len(words) != 1:
        return None
    name = _COMMAND_SLIPS.get(words[0].lower().lstrip("/").rstrip(_PUNCT))
    return Command(name) if name is not None else None


def _plain_form(text: str) -> Command | None:
    """A verb slip ("byu 0.01 btc"), a money idiom ("cash out my ethereum", "go flat"; both in
    bot/conversation/parser_money.py) or a fixed plain phrasing ("learn again"), read as its command."""
    aside = without_aside(text)  # "nvm cancel that order", "actually, show my balance"
    if aside != text:
        return parse(aside)
    fixed = fix_verb_slip(text)
    if fixed != text:
        return parse(fixed)
    by = _by_order(text)
    if by is not None:
        return by
    idiom = money_idiom(unwrap_polite(text) or text)
    said = parse(idiom) if idiom is not None else None
    return said if said is not None else plain_command(text) or slipped_command(text) or _after_preface(text)


_PREFACE = re.compile(r"^\s*([^,;:]{1,60})[,;:]\s+(\S.*)$")
_NEGATION = re.compile(r"\b(?:not|never|no|don'?t|dont|do\s+not|won'?t|can'?t|cannot|shouldn'?t|wouldn'?t)\b", re.I)


def _after_preface(text: str) -> Command | None:
    """"I'm scared, can you just close every trade right now?", "I made a mistake, could you cancel
    the order I just placed?": a short preface, then a POLITE request; the request is read alone.
    Only a polite request after it (can you, please, ...), and never after a negation ("I don't
    think so, could you ..."), so a sentence that merely contains a comma stays free text."""
    request = preface_request(text)
    return parse(request) if request is not None else None


def preface_request(text: str) -> str | None:
    """The polite request after a short preface without a negation, else None (see _after_preface)."""
    match = _PREFACE.match(text.replace("’", "'"))
    if match is None or _NEGATION.search(match.group(1)) or len(match.group(1).split()) > 8:
        return None
    return match.group(2) if unwrap_polite(match.group(2)) is not None else None


_BY = re.compile(r"^\s*by\s+(\$?\d[\d,]*(?:\.\d+)?|\.\d+)\s+(\S.*)$", re.I)


def _by_order(text: str) -> Command | None:
    """"by 0.01 btc" (the verb "buy" slipped into the real word "by"): read as the order only when
    the whole rest is a complete order with a number first; anything else ("by 5 pm") stays free text."""
    match = _BY.match(text)
    if match is None or asset_code(match.group(2).split()[0].strip(_PUNCT)) is None:
        return None
    try:
        cmd = order("buy", f"{match.group(1)} {match.group(2)}".split())
    except UserError:
        return None
    return cmd if cmd is not None and cmd.order is not None else None


def without_aside(text: str) -> str:
    """The message without a leading aside ("nvm", "actually,", "oh", "scratch that"); unchanged
    when nothing follows it ("never mind" alone is a no)."""
    aside = _ASIDE.match(text)
    return text[aside.end():] if aside is not None and text[aside.end():].strip() else text


def command_word(text: str) -> str:
    """The command word the grammar reads this message with: after an aside, a polite wrapper, a
    verb slip or a money idiom ("pick up 0.1 eth ..." -> buy); used to name a usage line's command."""
    inner = without_aside(text)
    inner = preface_request(inner) or inner
    inner = unwrap_polite(inner) or inner
    fixed = fix_verb_slip(inner)
    idiom = money_idiom(fixed)
    return head_word(idiom if idiom is not None else fixed)


def plain_command(text: str) -> Command | None:
    """A few fixed plain phrasings of argument-less commands: "learn again", "relearn from my
    trades" -> learn; "exchange status", "is kraken up?" -> market_open; "forget that I like
    eth" -> memory (the facts with their numbers, so `forget fact N` removes the right one)."""
    low = " ".join(text.lower().replace("’", "'").split()).strip(" ?!.")
    for pattern, name in _PLAIN:
        if pattern.match(low):
            return Command(name)
    rule = _NEW_RULE.match(" ".join(text.split()).strip(" .!"))  # "new rule - no more than 3 trades a day"
    if rule is not None:
        return Command("remember", (rule.group(1),))
    called = _CALL_ME.match(low)  # "call me jim" -> set name jim
    if called is not None:
        return Command("set", ("name", called.group(1).strip().title()))
    plot = _PLOT.match(low)  # "plot my pnl", "graph the equity"
    if plot is not None:
        return Command("chart", ("equity" if plot.group(1) == "equity" else "pnl",))
    return _change_setting(text) or _bare_setting(low) or _price_question(low)


_PLOT = re.compile(r"^(?:plot|graph|chart|draw)\s+(?:(?:me\s+)?(?:my|the|our)\s+)?(pnl|p&l|equity|profits?|gains)"
                   r"(?:\s+(?:curve|chart|graph|please|pls))*$")


_PRICE_Q = re.compile(
    r"^(?:(?:please\s+)?(?:what(?:'s|s|\s+is|\s+are)|whats|tell\s+me|show\s+me|give\s+me|get\s+me|check|"
    r"can\s+(?:you|u)\s+(?:tell|show|give)\s+me|could\s+you\s+(?:tell|show|give)\s+me|i'?d\s+like\s+to\s+know|"
    r"do\s+you\s+know)\s+)?(?:the\s+)?(?:current|latest|live|spot|present|today'?s|market|actual)?\s*"
    r"(?:price|value|rate|quote)\s+(?:of|for|on)\s+(?:one\s+|1\s+|a\s+)?([a-z0-9$]+)"
    r"(?:\s+(?:now|right\s+now|today|currently|at\s+the\s+moment|at\s+present|please|pls|in\s+dollars|in\s+usd))*$")


_HOW_MUCH = re.compile(
    r"^how\s+much\s+(?:is|does|are|'s)\s+(?:a\s+|one\s+|1\s+)?([a-z0-9]+)(?:\s+(?:worth|cost|costing|going\s+for|"
    r"selling\s+for|trading\s+at|at))?(?:\s+(?:now|right\s+now|today|currently|at\s+the\s+moment|these\s+days))*$")


def _price_question(low: str) -> Command | None:
    """"What is the current price of Cardano?", "tell me the price of sol now", "how much is cardano?"
    -> price of that coin; None when the word is no coin ("the price of fame"), or a holding is
    asked about ("how much is my btc worth" names no single word after "is": the balance)."""
    match = _PRICE_Q.match(low) or _HOW_MUCH.match(low)
    if match is None:
        return None
    code = asset_code(match.group(1))
    if code is None or code in ("USD", "EUR", "GBP", "CAD", "JPY", "AUD", "CHF", "USDT", "USDC"):
        return None
    return Command("price", (normalize_pair(code),))


_VALUE = re.compile(r"^\$?\d+(?:\.\d+)?\s*(?:%|percent|pct|usd|dollars|\$)?$")


def _bare_setting(low: str) -> Command | None:
    """"daily loss limit 50", "risk 1%", "max position 20 percent": a trading setting's name then one
    value reads as `set NAME VALUE` (no money moves; the setting's own parser checks the value)."""
    words = low.split()
    for size in (3, 2, 1):
        if len(words) > size and setting_name(words[:size]) is not None and words[:size] != ["position"]:
            value = " ".join(w for w in words[size:] if w not in ("to", "=", "at", "of", "is"))
            if _VALUE.match(value):
                value = re.sub(r"\s*(?:percent|pct)$", "%", value).replace(" ", "")
                return Command("set", (setting_name(words[:size]) or "", value))
    return None


_CHANGE = re.compile(r"^(?:change|update|make|adjust|lower|raise|increase|reduce|drop|bump|switch|move)\s+(.+)$", re.I)
_PREF_NAMES = frozenset({"quiet_hours", "report_time", "tz", "name", "pair"})


def _change_setting(text: str) -> Command | None:
    """"change my risk to 1 percent", "lower the risk to 0.5%", "change the report time to 20:00" ->
    the same `set` command; a sentence that names no setting ("make me a coffee") is free text."""
    match = _CHANGE.match(" ".join((unwrap_polite(text) or text).split()).rstrip(" .!"))
    if match is None or not any(c.isdigit() for c in match.group(1)) and " percent" not in match.group(1).lower():
        return None
    try:
        cmd = parse_set("set", match.group(1).split())
    except UserError:
        return None
    known = cmd.args[:1] and (cmd.args[0] in _PREF_NAMES or setting_name([cmd.args[0]]) is not None)
    return cmd if known else None


_COMMAND_SLIPS = _command_slips()
