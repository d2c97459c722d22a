"""The default free-text engine: answers common questions without any API key.

The intent comes from `bot/conversation/intents.py` (a classifier trained on the phrase set in the repo,
typo-tolerant); the answer is produced by running the matching chat command through
`Dispatcher.execute_command` — so free text and commands always agree and free text can never
place an order (orders are not an intent; money actions still end in the `yes` confirmation).
When the classifier is unsure it asks "Did you mean `pause`?" instead of acting; pause, resume
and flatten need a higher certainty than questions. When nothing fits it says so plainly.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from loguru import logger

from bot.conversation.envelope import Envelope, Reply
from bot.conversation.intent_cache import IntentModel
from bot.conversation.intents import Guess, IntentClassifier
from bot.conversation.parser import KNOWN_BASES, infer_stats_group
from core.domain import UserError
from core.markets.pairs import normalize_pair

if TYPE_CHECKING:
    from bot.conversation.dispatcher import Dispatcher

COIN_NAMES = {"bitcoin": "BTC", "ether": "ETH", "ethereum": "ETH", "solana": "SOL", "xbt": "BTC"}
_WORD = re.compile(r"[a-z0-9&']+")


@dataclass(frozen=True)
class Intent:
    name: str
    words: dict[str, float]
    phrases: dict[str, float]
    patterns: tuple[tuple[re.Pattern[str], float], ...] = ()


STATS_DIMENSION_WORDS = {
    "pair": "pair",
    "pairs": "pair",
    "hour": "hour",
    "hours": "hour",
    "time": "hour",
    "weekday": "weekday",
    "day": "weekday",
    "days": "weekday",
    "session": "session",
    "sessions": "session",
    "regime": "regime",
    "volatility": "regime",
    "trend": "trend",
    "trends": "trend",
    "exit": "exit",
    "exits": "exit",
}
WORST_WORDS = frozenset({"worst", "worse", "doesn't", "don't", "not", "losing", "lose", "fails", "fail"})


PERIOD_WORDS = {
    "today": "today",
    "day": "today",
    "tonight": "today",
    "week": "week",
    "weekly": "week",
    "ever": "all",
    "total": "all",
    "overall": "all",
    "all": "all",
    "far": "all",
    "since": "all",
}


ACTIONS = frozenset({"pause", "resume", "flatten"})  # never run on a guess
ACTION_SURE = 0.6
SUGGESTION = "Try: status, balance, positions, pnl week, price BTC, why, stats, settings, rules, or help."
_COMMAND_OF = {"learned": "insights"}


class OfflineEngine:
    """`FreeTextEngine` that needs no key. The classifier comes from `model` (the composition
    root's on-disk cache, `bot/conversation/intent_cache.py`: loaded, not trained, when it exists; `zyn run`
    warms it at start), else it is trained once on first use; safe to share between threads."""

    def __init__(self, classifier: IntentClassifier | None = None, model: IntentModel | None = None) -> None:
        self._classifier = classifier
        self._model = model
        self._lock = threading.Lock()

    def classifier(self) -> IntentClassifier:
        if self._classifier is None and self._model is not None:
            return self._model.get()
        with self._lock:
            if self._classifier is None:
                self._classifier = IntentClassifier.from_file()
            return self._classifier

    def warm(self) -> None:
        """Prepare the classifier in the background (nothing to do without a model to load)."""
        if self._classifier is None and self._model is not None:
            self._model.warm()

    def answer(self, env: Envelope, text: str, dispatcher: Dispatcher) -> Reply:
        guess = self.classifier().classify(text)
        if (not guess.sure or guess.intent == "stats") and infer_stats_group(text) is not None:
            guess = Guess("stats", 1.0, guess.intent, sure=True)
        name = dispatcher.user_name
        logger.bind(channel=env.channel, intent=guess.intent, p=round(guess.confidence, 2)).info("free text")
        if guess.intent is None:
            return Reply(text=f"Sorry {name}, I didn't understand that. {SUGGESTION}")
        if guess.intent == "greeting":
            return Reply(text=f"Hi {name}! Ask me how you're doing, or send help. {SUGGESTION}")
        command = self._command_for(guess.intent, text)
        unsure = not guess.sure or (guess.intent in ACTIONS and guess.confidence < ACTION_SURE)
        if unsure:
            return Reply(text=f"Did you mean `{command}`? Send it as a command if so.", buttons=[command])
        reply = dispatcher.execute_command(env, command)
        if reply.kind == "error":
            return reply
        return replace(reply, text=f"{reply.text}\n(Same as the command: {command})")

    @staticmethod
    def _command_for(intent: str, text: str) -> str:
        words = _WORD.findall(text.lower())
        if intent == "pnl":
            periods = [PERIOD_WORDS[w] for w in words if w in PERIOD_WORDS]
            return f"pnl {periods[0]}" if periods else "pnl"
        if intent == "why":
            return why_command(text, words)
        if intent == "stats":
            return stats_command(text)
        if intent == "trades":
            numbers = [int(n) for n in re.findall(r"\b\d{1,3}\b", text)]
            return f"trades {numbers[0]}" if numbers and 1 <= numbers[0] <= 100 else "trades 5"
        if intent == "price":
            pair = pair_in(text)
            return f"price {pair}" if pair else "price BTC"
        return _COMMAND_OF.get(intent, intent)


def pair_in(text: str) -> str | None:
    """The first pair or coin named in a sentence ("why did you buy ETH?" -> ETH/USD)."""
    for raw in re.findall(r"[A-Za-z]{2,6}(?:/[A-Za-z]{2,5})?", text):
        word = raw.lower()
        base = COIN_NAMES.get(word, raw.upper().partition("/")[0])
        if base in KNOWN_BASES:
            try:
                return normalize_pair(raw if "/" in raw else base)
            except UserError:
                continue
    return None


def why_command(text: str, words: list[str]) -> str:
    numbers = [w.lstrip("#") for w in re.findall(r"#?\d+", text)]
    if numbers and ("trade" in words or "#" in text):
        return f"why {numbers[0]}"
    pair = pair_in(text)
    if any(w in words for w in ("skip", "skipped", "didn't", "not", "no")):
        return f"why skip {pair}" if pair else "why skip"  # "why didn't you buy ETH?"
    return f"why {pair}" if pair else "why"  # "why did you buy ETH?" -> why ETH/USD


def stats_command(text: str) -> str:
    """'are Sunday trades worth it?' -> 'stats weekday Sunday'; 'which pair is best?' -> 'stats pair';
    'what works best?' -> 'stats best'; 'what doesn't work?' -> 'stats worst'."""
    group = infer_stats_group(text)
    if group is not None:
        return f"stats {group[0]} {group[1]}"
    words = _WORD.findall(text.lower().replace("’", "'"))
    dimensions = [STATS_DIMENSION_WORDS[w] for w in words if w in STATS_DIMENSION_WORDS]
    if dimensions:
        return f"stats {dimensions[0]}"
    if any(w in WORST_WORDS for w in words):
        return "stats worst"
    if any(w in ("best", "works", "work", "better", "edge") for w in words):
        return "stats best"
    return "stats"
