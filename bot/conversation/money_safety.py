"""The safety rule of issue 22.8: a money-moving command is only suggested or prepared for a message
that is an instruction naming that action.

Why grammatical and apart from the classifier: "it's close to midnight", "what does it mean to
close a position?" and "cancel culture is weird" share words with money commands, and a
statistical guess must never turn them into "Did you mean `flatten`?". The offline engine
(`bot/conversation/offline_engine.py`) drops any money guess this rule does not confirm;
`bench/phrase_accuracy.py` and `tests/bot/conversation/test_safe_sentences.py` count the result
over held-out safe sentences (goal and result: 0).
"""

from __future__ import annotations

import re

from bot.conversation.parser_money import fix_verb_slip
from bot.conversation.parser_plain import unwrap_polite
from core.markets.asset_names import asset_in

_WORD = re.compile(r"[a-z0-9&']+")
MONEY_INTENTS = frozenset({"buy", "sell", "flatten", "cancel"})
MONEY_VERBS = {  # the imperative a money instruction starts with (after a polite wrapper)
    "buy": re.compile(r"(buy|purchase|acquire|grab|pick up|get me|go long)\b"),
    "sell": re.compile(r"(sell|dump|offload|unload|cash out|get rid of|take profits? (on|in|from))\b"),
    "flatten": re.compile(r"(flatten|close|liquidate|exit|dump|cash out|get (me |us )?out|go to cash|sell)\b"),
    "cancel": re.compile(r"(cancel|pull|withdraw|kill|remove|scrap|delete|get rid of)\b"),
}
QUESTION_WORDS = frozenset({"what", "why", "how", "when", "where", "who", "which", "is", "are", "do", "does", "did",
                            "can", "could", "would", "should", "will", "was", "were", "if", "whats", "what's"})
NEGATION = re.compile(r"\b(don't|dont|do not|never|no need to|not)\b")
FLATTEN_OBJECTS = frozenset({"position", "positions", "everything", "all", "trades", "trade", "holdings", "it",
                             "them", "market", "bags", "coins", "out", "cash"})
_BARE_FILLER = frozenset({"all", "everything", "my", "the", "of", "it", "now", "please", "pls", "asap", "them", "me",
                          "us", "pending", "open", "that", "these", "those", "right", "away"})
CANCEL_OBJECTS = frozenset({"order", "orders", "all", "stops", "limit", "limits", "everything", "bids"})


def names_money_action(intent: str, text: str) -> bool:
    """Whether the message is an instruction to do the money action `intent` — the safety rule.

    Grammatical, not statistical: the message (after a polite wrapper such as "could you") must
    START with that action's verb (imperative), must not be a question or a negation ("what does
    it mean to close a position?", "don't sell"), and must name what it acts on: a coin for buy and
    sell, positions/everything/a coin for flatten, orders for cancel. "It's close to midnight",
    "close call on the motorway" and "I'll close out the evening" are therefore never money."""
    low = text.lower().replace("’", "'").strip()
    core = fix_verb_slip((unwrap_polite(low) or low).strip())  # "cancell the order" names cancel
    words = _WORD.findall(core)
    if not words or low.endswith("?") or words[0] in QUESTION_WORDS or NEGATION.search(low):
        return False
    if not MONEY_VERBS[intent].match(core):
        return False
    objects = set(words[1:])
    if intent in ("buy", "sell"):
        return asset_in(core) is not None
    if intent == "flatten":  # "out" alone names nothing: "get me out of here" is no flatten
        return (bool(objects & (FLATTEN_OBJECTS - {"out"})) or asset_in(core) is not None
                or (bool(objects) and objects <= _BARE_FILLER | {"out"}))
    if objects & (CANCEL_OBJECTS - {"all", "everything"}) or any(c.isdigit() for c in core):
        return True
    return bool(objects & {"all", "everything"}) and objects <= _BARE_FILLER  # "kill all notifications" is not

