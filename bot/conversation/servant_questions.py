"""Recognises the owner's questions about the servant that get measured answers, before free text.

Why a separate matcher (like `learning_questions`): "why aren't you trading BTC?", "how are you
doing?", "should I turn on mtf?", "would mtf help?", "should I keep trading?" must be answered
from the evidence, the account and a walk-forward on his own pairs — never improvised, never
the help text; and `trade BTC anyway` is a standing rule that needs a `yes`. The parser calls
`servant_question` right after `learning_question` and is otherwise untouched.
"""

from __future__ import annotations

import re

from bot.conversation.parsed import Command
from core.domain import UserError
from core.markets.asset_names import asset_code
from core.markets.pairs import normalize_pair
from core.strategy.features import FEATURES

COMMAND = "servant_question"
ANYWAY = "trade_anyway"
EXPLICIT = "explicit"  # trade_anyway's second argument: the owner named the quote too

_PAIR = r"([a-z0-9]{2,10}(?:/[a-z0-9]{2,6})?)"
_ANYWAY = re.compile(rf"^\s*trade\s+{_PAIR}\s+anyway\s*[.!]?\s*$", re.I)
_WHY_NOT = re.compile(
    rf"\bwhy\b.*\b(?:aren'?t|are\s+not|not|isn'?t|don'?t|do\s+not|no)\b.*\b(?:trad\w*|buy\w*|in)\s+{_PAIR}\b", re.I
)
_HOW = re.compile(r"\bhow\b.*\b(?:are|is)\b.*\b(?:you|we|zyn|it|things|the\s+account)\b.*\b(?:doing|going|performing)\b"
                  r"|\bhow(?:'s|\s+is)\s+(?:it|my\s+money|the\s+account)\s+(?:going|doing)\b", re.I)
_FEATURE_WORDS = "|".join(sorted((f.replace("_", "[ _]") for f in FEATURES), key=len, reverse=True))
_WOULD = re.compile(
    rf"\b(?:should\s+i\s+(?:turn|switch|put)\s+on|should\s+i\s+(?:use|enable|try)|would|will|does|could)\b.*?"
    rf"\b({_FEATURE_WORDS}|[a-z_]{{2,20}})\b.*\b(?:help|work|pay|be\s+better|improve)\b"
    rf"|\bshould\s+i\s+(?:turn|switch)\s+({_FEATURE_WORDS})\s+on\b"
    rf"|\bshould\s+i\s+(?:turn|switch|put)\s+on\s+({_FEATURE_WORDS})\b",
    re.I,
)
_KEEP = re.compile(r"\bshould\s+(?:i|we|you)\s+(?:keep|continue|carry\s+on|go\s+on)\s+"
                   r"(?:trading|with\s+(?:it|this|zyn))\b"
                   r"|\bshould\s+(?:i|we)\s+stop\s+trading\b(?!\s+[a-z0-9/]{2,12}\b)", re.I)
_NOT_FEATURES = frozenset({"this", "that", "it", "zyn", "you", "everything", "thing", "things", "the", "bot",
                           "app", "chat", "all"})
_NOT_PAIRS = frozenset({"it", "that", "this", "now", "today", "anything", "more", "at", "the", "any"})


def servant_question(text: str) -> Command | None:
    """Command("trade_anyway", (PAIR,)) or Command("servant_question", (kind, arg)) with kind in
    why_not | how | would | keep, else None."""
    t = " ".join(text.strip().replace("’", "'").split())
    if not t or len(t) > 200:
        return None
    anyway = _ANYWAY.match(t)
    if anyway is not None:
        word = anyway.group(1)
        pair = _pair(word)
        return Command(ANYWAY, (pair, EXPLICIT) if _names_quote(word, pair) else (pair,))
    why = _WHY_NOT.search(t)
    if why is not None and why.group(1).lower() not in _NOT_PAIRS:
        try:
            return Command(COMMAND, ("why_not", _pair(why.group(1))))
        except UserError:
            return None
    if _HOW.search(t):
        return Command(COMMAND, ("how", ""))
    if _KEEP.search(t):
        return Command(COMMAND, ("keep", ""))
    would = _WOULD.search(t)
    if would is not None:
        word = next(g for g in would.groups() if g)
        if word.lower() in _NOT_FEATURES:  # "how does this work?" asks for help, not a walk-forward
            return None
        return Command(COMMAND, ("would", word.lower().replace(" ", "_")))
    return None


def _pair(word: str) -> str:
    """"bitcoin", "xbt", "ether/eur" name the same pair as BTC, ETH/EUR: the asset names the rest of
    the chat knows (core.markets.asset_names), so `trade bitcoin anyway` is not "I don't trade BITCOIN/USD"."""
    base, slash, quote = word.partition("/")
    code = asset_code(base)
    if code is not None:
        word = f"{code}/{asset_code(quote) or quote}" if slash else code
    return normalize_pair(word)  # a UserError here is the parser's one-line refusal


def _names_quote(word: str, pair: str) -> bool:
    """Did the owner name the quote ("BTC/USD", "btcusd") rather than only the coin ("BTC", "bitcoin")?
    Only then is a pair he does not trade refused instead of read as his BTC pair (a standing rule
    that sends real orders must be about the pair he typed)."""
    quote = pair.partition("/")[2]
    w = word.upper()
    return "/" in w or "-" in w or (len(w) > len(quote) and w.endswith(quote))
