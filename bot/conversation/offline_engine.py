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
from typing import Protocol

from loguru import logger

from bot.conversation.envelope import Envelope, Reply
from bot.conversation.intent_cache import IntentModel
from bot.conversation.intents import Guess, IntentClassifier
from bot.conversation.money_safety import MONEY_INTENTS, names_money_action
from bot.conversation.parser import (
    KNOWN_BASES,
    Command,
    command_word,
    infer_stats_group,
    normalize_pair,
    parse,
)
from bot.conversation.parser_money import owned_asset
from bot.conversation.parser_plain import pause_span
from core.domain import UserError
from core.markets.asset_names import asset_code, asset_in


class CommandRunner(Protocol):
    """What the offline engine needs of `bot.dispatch.dispatcher.Dispatcher`: the owner's name
    and the one path that runs a command (confirmation and refusals included)."""

    @property
    def user_name(self) -> str: ...

    def execute_command(self, env: Envelope, command_text: str) -> Reply: ...

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


ACTIONS = frozenset({"pause", "resume", "flatten", "cancel"})  # never run on a guess
ACTION_SURE = 0.6
STATS_OVERRIDE_BELOW = 0.6  # a guess less sure than this yields to the stats grammar ("between 0 and 4")
GENERAL_INTENTS = frozenset({"help", "status", "autopilot"})  # also yield to it ("good night" stays small talk)
EXTREME_WORDS = frozenset({"best", "worst", "biggest", "largest", "winner", "winners", "loser", "losers",
                           "top", "greatest"})
COMMAND_INTENT = {  # parsed command -> the phrase set's intent
    "insights": "learned", "learn": "learned", "learning_question": "learned", "sell_part": "sell",
    "pause_until": "pause", "set": "settings", "alerts": "settings", "remember": "rules", "forget": "memory",
    "pnl_days": "pnl", "extremes": "stats", "market_open": "market_open", "features": "settings",
    "modules": "settings", "universe": "settings", "close": "flatten",
}
SMALL_TALK = (
    (r"\b(thanks?|thx|ty|cheers|thank you|appreciated?)\b", "You're welcome, {name}."),
    (r"\b(good ?night|night night|gn|nighty|sleep well|off to bed)\b",
     "Good night, {name}. I keep watching; the stops stay on the exchange."),
    (r"\b(bye|goodbye|see you|see ya|later|ciao|talk soon)\b",
     "Bye, {name}. I keep an eye on things and message you if anything happens."),
    (r"\b(how are you|how are u|how r u|you ok|how have you been|how's your day|how do you feel|"
     r"how are you feeling|how's it going|hows it going)\b",
     "All good here, thanks for asking, {name}."),
    (r"\b(sorry|my bad|oops)\b", "No problem at all, {name}."),
    (r"\b(lol|haha|nice|cool|great|awesome|perfect|ok|okay|sweet|good bot|well done)\b", "Glad to hear it, {name}."),
)
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

    takes_unparsed = False  # unparsable commands get the strict grammar's answer, not a guess

    def warm(self) -> threading.Thread | None:
        """Prepare the classifier in the background (nothing to do without a model to load); the
        thread doing it, for whoever waits on it (zyn run's start-up warm)."""
        if self._classifier is None and self._model is not None:
            return self._model.warm()
        return None

    def answer(self, env: Envelope, text: str, dispatcher: CommandRunner) -> Reply:
        guess = free_text_guess(text, self.classifier())
        name = dispatcher.user_name
        logger.bind(channel=env.channel, intent=guess.intent, p=round(guess.confidence, 2)).info("free text")
        if guess.intent is None:
            return Reply(text=f"Sorry {name}, I didn't understand that. {SUGGESTION}")
        if guess.intent == "greeting":
            return Reply(text=f"Hi {name}! Ask me how you're doing, or send help. {SUGGESTION}")
        if guess.intent == "smalltalk":
            return Reply(text=small_talk(text, name))
        if guess.intent in ("buy", "sell"):  # named, but the parser read no order in it: nothing prepared
            return Reply(text=f"I read no complete order in that, {name}, so nothing was prepared. An order "
                         "names an amount and a coin; I echo it and wait for your yes.")
        command = command_for(guess.intent, text)
        unsure = not guess.sure or (guess.intent in ACTIONS and guess.confidence < ACTION_SURE)
        if unsure:
            return Reply(text=f"Did you mean `{command}`? Send it as a command if so.", buttons=[command])
        reply = dispatcher.execute_command(env, command)
        if reply.kind == "error":
            return reply
        return replace(reply, text=f"{reply.text}\n(Same as the command: {command})")

    @staticmethod
    def _command_for(intent: str, text: str) -> str:
        return command_for(intent, text)


def free_text_guess(text: str, classifier: IntentClassifier) -> Guess:
    """The classifier's intent for free text, with two overrides: a stats question the stats
    grammar can read goes to stats, and the SAFETY RULE (issue 22): a money-moving intent (buy,
    sell, flatten, cancel) stands only when the message names that action — otherwise the
    sentence is treated as not understood, so no money command is ever suggested for it."""
    text = owned_asset(text)  # "what's link going for" names LINK
    guess = classifier.classify(text)
    weak = not guess.sure or guess.confidence < STATS_OVERRIDE_BELOW or guess.intent in GENERAL_INTENTS
    low = text.lower().replace("’", "'")
    asks_price = guess.intent == "price" and _PRICE_ASK.search(low) is not None  # "what's sol going for"
    if (weak or guess.intent == "stats") and infer_stats_group(text) is not None and not _HOLDING.search(low) and (
            not asks_price) and (
            guess.intent == "stats" or _TRADING_HINT.search(low)):
        guess = Guess("stats", 1.0, guess.intent, sure=True)
    if guess.intent in MONEY_INTENTS and not names_money_action(guess.intent, text):
        return Guess(None, guess.confidence, guess.intent)
    return guess


_PRICE_ASK = re.compile(r"\b(going for|worth|trading at|cost|costs|price|priced|quote|selling for)\b")
_HOLDING = re.compile(r"\bhow (much|many)\b.*\b(own|hold|have|got)\b")  # "how much BTC do I own" is a balance
_TRADING_HINT = re.compile(  # a stats question is about trading ("how do I do on sundays"), not the weather in London
    r"\b(trad\w*|do|does|did|doing|perform\w*|win\w*|los\w*|profit\w*|stats?|statistics|works?|results?|"
    r"money|pnl|p&l|make|made|earn\w*|best|worst|worth|edge|good|bad|better|worse|going|returns?|r)\b")


def read(text: str, classifier: IntentClassifier) -> tuple[str | None, bool]:
    """(intent, sure) the way the dispatcher acts on a message: the command grammar first (a
    usage line counts as that command), else the free-text guess. Used by bench/phrase_accuracy.py."""
    try:
        cmd = parse(text)
    except UserError:
        name = command_word(text)
        return COMMAND_INTENT.get(name, name), True
    if cmd is not None:
        return (extremes_intent(text) if cmd.name == "extremes" else command_intent(cmd)), True
    guess = free_text_guess(text, classifier)
    if guess.intent is not None and guess.intent not in ("greeting", "smalltalk", "buy", "sell"):
        head = command_for(guess.intent, text).split()[0]  # the command it runs ("my best trade" -> extremes)
        if head == "extremes":
            return extremes_intent(text), guess.sure
        return COMMAND_INTENT.get(head, guess.intent), guess.sure
    return guess.intent, guess.sure


MONEY_COMMANDS = frozenset({"buy", "sell", "sell_part", "ask_amount", "flatten", "cancel"})
_MONEY_USAGE = re.compile(r"(usage:|send|e\.g\.|`)\s*(buy|sell|cancel|flatten|close)\b", re.I)


def money_suggestion(text: str, classifier: IntentClassifier) -> str:
    """Why Zyn would suggest or prepare a money-moving command for this message ('' = it would not):
    a parsed money command, a usage line naming one, or a free-text guess of a money intent (which
    the engine asks about, runs to a confirmation, or answers about). bench/phrase_accuracy.py
    counts these over the safe sentences; tests/bot/conversation checks the same through the dispatcher."""
    try:
        cmd = parse(text)
    except UserError as exc:
        return f"usage line {str(exc)!r}" if _MONEY_USAGE.search(str(exc)) else ""
    if cmd is not None:
        return f"command {cmd.name} {cmd.args}" if cmd.name in MONEY_COMMANDS else ""
    guess = free_text_guess(text, classifier)
    return f"free-text intent {guess.intent}" if guess.intent in MONEY_INTENTS else ""


_ONE_TRADE = re.compile(r"\btrades?\b")
_GROUP_WORDS = re.compile(r"\b(pairs?|coins?|assets?|markets?|days?|weekdays?|hours?|sessions?|times?)\b")


def extremes_intent(text: str) -> str:
    """Which question the `extremes` table (best and worst trade, best and worst pair) answers:
    a question about a single trade ("what was my worst trade") is about `trades`, the help's
    "trades" row; one about a pair or coin ("which coin is my biggest loser") is a `stats` question."""
    low = text.lower()
    return "trades" if _ONE_TRADE.search(low) and not _GROUP_WORDS.search(low) else "stats"


def command_intent(cmd: Command) -> str:
    """The phrase-set intent a parsed command answers (e.g. `sell_part` -> sell, `set` -> settings)."""
    if cmd.name == "ask_amount":
        return cmd.args[0]
    if cmd.name == "servant_question" and cmd.args[:1] in (("how",), ("why_not",)):
        return "pnl" if cmd.args[0] == "how" else "why"  # "how are we doing?" answers P&L; "why not BTC?"
    if cmd.name == "forget_item":
        return "rules" if cmd.args[:1] == ("rule",) else "memory"
    return COMMAND_INTENT.get(cmd.name, cmd.name)


def small_talk(text: str, name: str) -> str:
    """Small talk answered as small talk (thanks, good night, how are you), never a menu."""
    low = text.lower().replace("’", "'")
    for pattern, answer in SMALL_TALK:
        if re.search(pattern, low):
            return answer.format(name=name)
    return f"Noted, {name}. I'm here whenever you need me."


def pnl_command(low: str, words: list[str]) -> str:
    """"the last 30 days" -> pnl_days 30, "last week" -> pnl_days 7 (the 7 days ending now), "past
    month" -> pnl_days 30, else pnl today|week|all as the words say."""
    days = re.search(r"\b(?:last|past|previous) (\d{1,3}) days?\b", low)
    if days and 1 <= int(days.group(1)) <= 366:
        return f"pnl_days {int(days.group(1))}"
    if re.search(r"\b(last|past|previous) (week|seven days)\b", low):
        return "pnl_days 7"
    if re.search(r"\b(last|past|previous) month\b", low):
        return "pnl_days 30"
    periods = [PERIOD_WORDS[w] for w in words if w in PERIOD_WORDS]
    return f"pnl {periods[0]}" if periods else "pnl"


def command_for(intent: str, text: str) -> str:
    """The chat command an intent runs for this sentence (pair, period, count filled in)."""
    words = _WORD.findall(text.lower())
    low = " ".join(words)
    if intent == "pnl":
        return pnl_command(low, words)
    if intent == "why":
        return why_command(text, words)
    if intent == "stats":
        return stats_command(text)
    if intent == "trades":
        if any(w in EXTREME_WORDS for w in words):
            return "extremes"
        numbers = [int(n) for n in re.findall(r"\b\d{1,3}\b", text)]
        return f"trades {numbers[0]}" if numbers and 1 <= numbers[0] <= 100 else "trades 5"
    if intent in ("price", "trend", "backtest"):
        pair = pair_in(text)
        return f"{intent} {pair}" if pair else ("price BTC" if intent == "price" else
                                               "trend" if intent == "trend" else "backtest BTC/USD")
    if intent == "chart":
        return "chart pnl" if re.search(r"\b(pnl|p&l|profit|daily)\b", low) else "chart equity"
    if intent == "report":
        return "report today" if re.search(r"\b(daily|today|day)\b", low) else "report week"
    if intent == "cancel":
        return "cancel all"
    if intent == "pause":
        return pause_command(text)
    return _COMMAND_OF.get(intent, intent)


def pair_in(text: str) -> str | None:
    """The first pair or coin named in a sentence ("why did you buy ETH?" -> ETH/USD)."""
    text = owned_asset(text)
    named = asset_in(text)
    if named is not None and named in KNOWN_BASES:
        return normalize_pair(named)
    for raw in re.findall(r"[A-Za-z]{2,6}(?:/[A-Za-z]{2,5})?", text):
        base = raw.upper().partition("/")[0]
        if base in KNOWN_BASES and (raw.isupper() or asset_code(raw) is not None):
            try:
                return normalize_pair(raw if "/" in raw else base)
            except UserError:
                continue
    return None


def pause_command(text: str) -> str:
    """"hold off trading till 6pm" -> "pause until 18:00", "take a break for an hour" -> "pause for 60
    minutes": the time in the sentence kept (issue 22.8), else a plain "pause"."""
    span = pause_span(text.split())
    if span is None:
        return "pause"
    kind, value = span
    if kind == "for":
        return f"pause for {max(1, int(value) // 60)} minutes"
    return "pause until tomorrow morning" if value == "tomorrow 08:00" else f"pause until {value}"


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
