"""The default free-text engine: answers common questions without any API key.

Why keyword scoring and not a model: it must work offline, instantly and predictably. Each
intent has weighted words and phrases; the best score above a threshold wins, and the answer is
produced by running the matching chat command through `Dispatcher.execute_command` — so free
text and commands always agree and free text can never place an order. When nothing scores, it
says so plainly and suggests commands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from bot.envelope import Envelope, Reply
from bot.parser import infer_stats_group

if TYPE_CHECKING:
    from bot.dispatcher import Dispatcher

THRESHOLD = 2.0
_WORD = re.compile(r"[a-z0-9&']+")


@dataclass(frozen=True)
class Intent:
    name: str
    words: dict[str, float]
    phrases: dict[str, float]
    patterns: tuple[tuple[re.Pattern[str], float], ...] = ()


_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
STATS_WORDS: dict[str, float] = {
    "stats": 4,
    "statistics": 4,
    "stat": 3,
    "winrate": 3,
    "best": 3,
    "worst": 3,
    "works": 2,
    "work": 1.5,
    "edge": 2,
    **{d: 3.5 for d in _DAYS},
    **{d + "s": 3.5 for d in _DAYS},
    "weekend": 3.5,
    "weekends": 3.5,
    "weekday": 3,
    "weekdays": 3,
    "night": 2.5,
    "nights": 2.5,
    "overnight": 2.5,
    "asia": 3,
    "asian": 3,
    "europe": 3,
    "european": 3,
    "london": 2,
    "american": 2,
    "session": 2.5,
    "sessions": 2.5,
    "pair": 2,
    "pairs": 2,
    "hour": 1.5,
    "hours": 1.5,
    "regime": 3,
    "volatility": 2.5,
    "volatile": 2,
    "trend": 2,
    "trending": 2,
}
STATS_PHRASES: dict[str, float] = {
    "worth it": 3,
    "doesn't work": 3,
    "does not work": 3,
    "don't work": 3,
    "win rate": 3,
    "hit rate": 3,
    "how do you do": 2,
    "new york": 3,
}
STATS_PATTERNS = (
    (re.compile(r"\bbetween\s+\d{1,2}(?::\d\d)?\s*(?:h|utc)?\s*(?:and|to|-|–)\s*\d{1,2}"), 3.0),
    (re.compile(r"\b\d{1,2}(?::00)?\s*(?:-|–|to)\s*\d{1,2}(?::00)?\s*utc\b"), 3.0),
)
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


INTENTS = (
    Intent(
        "balance",
        {
            "balance": 3,
            "balances": 3,
            "cash": 2,
            "money": 2,
            "funds": 2,
            "equity": 2,
            "worth": 2,
            "usd": 1,
            "wallet": 2,
            "afford": 2,
        },
        {"how much": 1.5, "account value": 3},
    ),
    Intent(
        "pnl",
        {
            "pnl": 3,
            "p&l": 3,
            "profit": 3,
            "profits": 3,
            "loss": 2,
            "losses": 2,
            "earn": 2,
            "earned": 2,
            "made": 1.5,
            "lost": 2,
            "performance": 3,
            "return": 2,
            "returns": 2,
            "gains": 2,
            "doing": 1,
        },
        {"how am i doing": 3, "how are we doing": 3, "how did i do": 3, "how's it going": 2, "up or down": 3},
    ),
    Intent(
        "positions",
        {
            "position": 3,
            "positions": 3,
            "holding": 3,
            "holdings": 3,
            "hold": 2,
            "own": 2,
            "exposure": 3,
            "bags": 2,
        },
        {"what do i have": 2, "in the market": 2},
    ),
    Intent(
        "orders",
        {"orders": 3, "order": 2, "pending": 1.5, "resting": 2},
        {"open orders": 2, "limit orders": 2},
    ),
    Intent(
        "trades",
        {"trades": 3, "trade": 2, "history": 2, "fills": 2, "bought": 1.5, "sold": 1.5, "recent": 1},
        {"last trades": 2, "recent trades": 2},
    ),
    Intent(
        "why",
        {"why": 4, "reason": 3, "reasons": 3, "explain": 3, "skip": 2, "skipped": 3, "didn't": 1},
        {"how come": 3},
    ),
    Intent("stats", STATS_WORDS, STATS_PHRASES, STATS_PATTERNS),
    Intent(
        "autopilot",
        {
            "autopilot": 4,
            "bot": 1.5,
            "strategy": 2,
            "plan": 2,
            "watching": 2,
            "waiting": 2,
            "signal": 2,
            "signals": 2,
            "decisions": 3,
            "currently": 1,
        },
        {"what are you doing": 4, "what are you up to": 4, "right now": 1, "what's happening": 2},
    ),
    Intent(
        "help",
        {"help": 4, "commands": 3, "command": 3, "options": 2, "usage": 3, "can": 0.5},
        {"what can you do": 5, "how do i": 2, "how to": 1.5},
    ),
    Intent(
        "greeting",
        {"hi": 2, "hello": 2, "hey": 2, "yo": 2, "morning": 1.5, "thanks": 2, "thank": 2},
        {"good morning": 2, "good evening": 2},
    ),
)
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
SUGGESTION = "Try: status, balance, positions, pnl week, trades, why, stats, autopilot, or help."


def score(text: str) -> list[tuple[float, str]]:
    """(score, intent) pairs, best first (ties keep the INTENTS order)."""
    low = " ".join(text.lower().replace("’", "'").split())
    words = _WORD.findall(low)
    scored = []
    for order, intent in enumerate(INTENTS):
        value = sum(intent.words.get(w, 0.0) for w in words)
        value += sum(weight for phrase, weight in intent.phrases.items() if phrase in low)
        value += sum(weight for pattern, weight in intent.patterns if pattern.search(low))
        scored.append((value, -order, intent.name))
    scored.sort(reverse=True)
    return [(value, name) for value, _, name in scored]


def classify(text: str) -> str | None:
    best_score, best = score(text)[0]
    return best if best_score >= THRESHOLD else None


class OfflineEngine:
    """`FreeTextEngine` that needs no key. Stateless; safe to share between threads."""

    def answer(self, env: Envelope, text: str, dispatcher: Dispatcher) -> Reply:
        intent = classify(text)
        name = dispatcher.user_name
        if intent is None:
            return Reply(text=f"Sorry {name}, I didn't understand that. {SUGGESTION}")
        if intent == "greeting":
            return Reply(text=f"Hi {name}! Ask me how you're doing, or send help. {SUGGESTION}")
        command = self._command_for(intent, text)
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
            numbers = [w.lstrip("#") for w in re.findall(r"#?\d+", text)]
            if numbers and ("trade" in words or "#" in text):
                return f"why {numbers[0]}"
            return (
                "why skip" if any(w in words for w in ("skip", "skipped", "didn't", "not", "no")) else "why"
            )
        if intent == "stats":
            return stats_command(text)
        if intent == "trades":
            numbers = [int(n) for n in re.findall(r"\b\d{1,3}\b", text)]
            return f"trades {numbers[0]}" if numbers and 1 <= numbers[0] <= 100 else "trades 5"
        return intent


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
