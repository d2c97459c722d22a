"""Standing instructions the autopilot obeys, and the policy hook that carries them (pure).

Why here: "don't trade on weekends", "no new trades after 22:00", "never more than 2 positions",
"stop trading ETH" change what the autopilot does, so they are judged next to the strategy, not
in the chat layer. `parse_rule` turns a sentence into a `Rule` (None when it is not one of the
kinds below — the caller then says so instead of storing something that would never act);
`blocking_rule` says which rule, if any, forbids a new entry. A rule only stops NEW entries:
open positions keep their stops and targets. `TradingPolicy` is what the composition root
passes to the autopilot (risk settings from chat + the rules); core never imports the chat side.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from core.domain import UserError
from core.markets.catalog import known_markets
from core.markets.pairs import normalize_pair
from core.strategy.risk import RiskConfig

# force_live (issue 17): "trade BTC anyway" — the pair trades live whatever its evidence says
RuleKind = Literal["no_weekends", "no_entries_after", "max_positions", "skip_pair", "force_live"]


@dataclass(frozen=True)
class Rule:
    kind: RuleKind
    value: str  # "" | "HH:MM" | "2" | "ETH/USD"
    text: str  # what the owner said (shown in `rules` and as the skip reason)

    def describe(self) -> str:
        if self.kind == "no_weekends":
            return "no new trades on Saturdays and Sundays"
        if self.kind == "no_entries_after":
            return f"no new trades from {self.value} until midnight"
        if self.kind == "max_positions":
            return f"never more than {self.value} open position(s)"
        if self.kind == "force_live":
            return f"trade {self.value} live whatever its evidence says"
        return f"no new {self.value} trades"


@dataclass(frozen=True)
class EntryContext:
    """What a rule may look at when the autopilot is about to enter."""

    pair: str
    when_ms: int  # when the entry would happen (the next candle's open)
    tz: str
    open_positions: int


class TradingPolicy(Protocol):
    """Owner settings the autopilot reads on every tick (built by the composition root)."""

    def risk(self, base: RiskConfig) -> RiskConfig: ...
    def rules(self) -> Sequence[Rule]: ...
    def tz(self) -> str: ...


_WEEKEND = re.compile(r"\b(weekends?|saturdays?\s+(?:and|or|&)\s+sundays?)\b")
_AFTER = re.compile(r"\bafter\s+([01]?\d|2[0-3])(?::([0-5]\d))?\s*(am|pm)?\b")
_MAX = re.compile(r"\b(?:more\s+than|over|max(?:imum)?(?:\s+of)?|at\s+most)\s+(\d{1,2})\s+(?:open\s+)?positions?\b")
_STOP_PAIR = re.compile(
    r"\b(?:stop|quit|no(?:\s+more)?|don'?t|do\s+not|never|avoid)\s+(?:trading|trade|buying|buy)\s+([a-z0-9/]{2,12})\b"
)
_NEGATIVE = re.compile(r"\b(don'?t|do\s+not|never|no|stop|avoid|not)\b")
_NOT_A_PAIR = frozenset({"on", "at", "in", "after", "any", "anymore", "more", "for", "now", "today", "the"})


def parse_rule(text: str) -> Rule | None:
    """A standing instruction in plain words -> Rule; None when it is not one we can obey."""
    low = " ".join(text.lower().replace("’", "'").split())
    said = " ".join(text.split())
    if not _NEGATIVE.search(low):
        return None
    if _WEEKEND.search(low):
        return Rule("no_weekends", "", said)
    after = _AFTER.search(low)
    if after is not None and ("trade" in low or "entr" in low or "buy" in low):
        hour = int(after.group(1))
        if after.group(3):
            hour = hour % 12 + (12 if after.group(3) == "pm" else 0)
        return Rule("no_entries_after", f"{hour:02d}:{after.group(2) or '00'}", said)
    most = _MAX.search(low)
    if most is not None and int(most.group(1)) >= 1:
        return Rule("max_positions", str(int(most.group(1))), said)
    stop = _STOP_PAIR.search(low)
    if stop is not None and stop.group(1) not in _NOT_A_PAIR:
        try:
            pair = normalize_pair(stop.group(1))
        except UserError:
            return None
        known = {p.partition("/")[0] for p in known_markets()}
        if "/" in stop.group(1) or pair.partition("/")[0] in known:  # "don't buy anything" is no pair
            return Rule("skip_pair", pair, said)
    return None


def forced_pairs(rules: Sequence[Rule]) -> frozenset[str]:
    """The pairs the owner forced live (`trade BTC anyway`): the evidence gate's `forced`."""
    return frozenset(r.value for r in rules if r.kind == "force_live")


def blocking_rule(rules: Sequence[Rule], ctx: EntryContext) -> Rule | None:
    """The first rule that forbids this entry, or None."""
    local = datetime.fromtimestamp(ctx.when_ms / 1000, tz=ZoneInfo(ctx.tz))
    for rule in rules:
        if rule.kind == "no_weekends" and local.weekday() >= 5:
            return rule
        if rule.kind == "no_entries_after" and local.strftime("%H:%M") >= rule.value:
            return rule
        if rule.kind == "max_positions" and ctx.open_positions >= int(rule.value):
            return rule
        if rule.kind == "skip_pair" and rule.value == ctx.pair:
            return rule
    return None
