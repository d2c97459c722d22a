"""The owner's trading settings and durable memory (standing rules, remembered facts).

Why in the kv table: set from any channel, they must survive restarts and be read by the
autopilot in the `zyn run` process. `OwnerSettings` is the `core.trading.rules.TradingPolicy` the
composition root hands the autopilot: risk per trade, max position size, daily loss limit and
cool-off length override the pinned defaults within hard bounds; switched-off pairs and the
standing rules stop new entries. Facts and rules live under `memory:*` keys, apart from the
conversation log (`MessageRow`), so `forget` of the conversation never drops a rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from core.domain import UserError
from core.markets.pairs import normalize_pair
from core.strategy.risk import RiskConfig
from core.telemetry.kv import KeyValueStore
from core.trading.rules import Rule

SETTINGS_KEY = "settings:risk"
PAIRS_OFF_KEY = "settings:pairs_off"
QUIET_KEY = "settings:quiet_hours"
RULES_KEY = "memory:rules"
RULES_NEXT_KEY = "memory:rules:next"  # the next rule number: numbers are never reused
FACTS_KEY = "memory:facts"
TZ_KEY = "pref:tz"
REPORT_TIME_KEY = "pref:daily_report_time"  # `set report_time`; the reports job reads it
DEFAULT_REPORT_TIME = "20:00"
MAX_RULES, MAX_FACTS, FACT_CHARS = 20, 50, 300
_HHMM = re.compile(r"([01]?\d|2[0-3]):?([0-5]\d)?")


@dataclass(frozen=True)
class Bound:
    field: str  # RiskConfig attribute
    label: str
    low: Decimal
    high: Decimal
    percent: bool = True


BOUNDS: dict[str, Bound] = {
    "risk": Bound("risk_per_trade", "risk per trade", Decimal("0.1"), Decimal("2")),
    "max_position": Bound("max_position_frac", "max position size", Decimal("1"), Decimal("50")),
    "daily_loss": Bound("daily_loss_limit", "daily loss limit", Decimal("0.5"), Decimal("10")),
    "cooloff": Bound("cooloff_candles", "cool-off length", Decimal("0"), Decimal("48"), percent=False),
}
class OwnerSettings:
    """Implements `core.trading.rules.TradingPolicy`; every read goes to the kv table (no cache: the
    chat and the autopilot may run in different processes)."""

    def __init__(self, kv: KeyValueStore, default_tz: str = "UTC") -> None:
        self.kv, self._default_tz = kv, default_tz

    # ---- TradingPolicy
    def risk(self, base: RiskConfig) -> RiskConfig:
        stored = self._stored()
        changes: dict[str, Any] = {}
        for name, bound in BOUNDS.items():
            if name in stored:
                value = Decimal(str(stored[name]))
                changes[bound.field] = float(value / 100) if bound.percent else int(value)
        return replace(base, **changes) if changes else base

    def rules(self) -> list[Rule]:
        pair_rules = [
            Rule("skip_pair", pair, f"{pair} switched off in settings") for pair in self.pairs_off()
        ]
        return pair_rules + StandingMemory(self.kv).rules()

    def tz(self) -> str:
        return self.kv.get(TZ_KEY) or self._default_tz

    # ---- chat
    def set_value(self, name: str, raw: str) -> str:
        """Store one bounded setting; a value out of bounds is a one-line UserError."""
        bound = BOUNDS[name]
        text = raw.strip().rstrip("%").strip()
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise UserError(f"{bound.label} takes a number, not {raw[:20]!r}") from None
        unit = " %" if bound.percent else " candles"
        if not value.is_finite() or not bound.low <= value <= bound.high:
            raise UserError(
                f"{bound.label} must be between {bound.low}{unit} and {bound.high}{unit}; kept "
                f"{self.display(name)}"
            )
        if not bound.percent and value != value.to_integral_value():
            raise UserError(f"{bound.label} is a whole number of candles")
        stored = self._stored()
        stored[name] = str(value.normalize() if bound.percent else int(value))
        self.kv.set_json(SETTINGS_KEY, stored)
        return f"{bound.label[:1].upper()}{bound.label[1:]} set to {self.display(name)}."

    def display(self, name: str, base: RiskConfig | None = None) -> str:
        return _shown(name, self.risk(base or RiskConfig()))

    def displays(self, base: RiskConfig | None = None) -> dict[str, str]:
        """Every bounded setting as `display` shows it, from one read of the stored settings (the
        status reply and the dashboard show them all; issue 20.1)."""
        risk = self.risk(base or RiskConfig())
        return {name: _shown(name, risk) for name in BOUNDS}

    def pairs_off(self) -> list[str]:
        raw = self.kv.get_json(PAIRS_OFF_KEY, [])
        return [str(p) for p in raw] if isinstance(raw, list) else []

    def set_pair(self, pair_text: str, on: bool, known: Sequence[str]) -> str:
        pair = normalize_pair(pair_text)
        if known and pair not in known:
            raise UserError(f"{pair} is not one of the traded pairs ({', '.join(known)})")
        off = [p for p in self.pairs_off() if p != pair] + ([] if on else [pair])
        self.kv.set_json(PAIRS_OFF_KEY, sorted(off))
        return f"{pair} {'on: the autopilot may trade it' if on else 'off: no new autopilot trades'}."

    def quiet_hours(self) -> tuple[str, str] | None:
        raw = self.kv.get(QUIET_KEY)
        if not raw or "-" not in raw:
            return None
        start, _, end = raw.partition("-")
        return start, end

    def set_quiet_hours(self, raw: str) -> str:
        text = raw.strip().lower()
        if text in ("off", "none", "no"):
            self.kv.delete(QUIET_KEY)
            return "Quiet hours off: alerts arrive at any time."
        parts = re.split(r"\s*(?:-|–|to)\s*", text)
        times = [_hhmm(p) for p in parts] if len(parts) == 2 else []
        if len(times) != 2 or None in times or times[0] == times[1]:
            raise UserError("quiet hours take HH:MM-HH:MM (e.g. 22:00-07:00) or off")
        start, end = str(times[0]), str(times[1])
        self.kv.set(QUIET_KEY, f"{start}-{end}")
        return (f"Quiet hours {start}-{end} ({self.tz()}): only safety alerts then; the others wait "
                "and come as one digest when quiet hours end.")

    def _stored(self) -> dict[str, Any]:
        raw = self.kv.get_json(SETTINGS_KEY, {})
        return raw if isinstance(raw, dict) else {}


def _shown(name: str, risk: RiskConfig) -> str:
    bound = BOUNDS[name]
    value = getattr(risk, bound.field)
    if bound.percent:
        return f"{Decimal(str(value)) * 100:.2f}".rstrip("0").rstrip(".") + " %"
    return f"{value} candles"


def _hhmm(text: str) -> str | None:
    match = _HHMM.fullmatch(text.strip())
    if match is None:
        return None
    return f"{int(match.group(1)):02d}:{match.group(2) or '00'}"


def in_quiet_hours(quiet: tuple[str, str] | None, local_hhmm: str) -> bool:
    """'23:10' is inside 22:00-07:00; a window may cross midnight."""
    if quiet is None:
        return False
    start, end = quiet
    if start < end:
        return start <= local_hhmm < end
    return local_hhmm >= start or local_hhmm < end


class StandingMemory:
    """Durable rules and facts the owner asked Zyn to keep. A rule keeps the number it was given
    (`rules`, `forget rule N`): forgetting rule 1 does not turn rule 2 into rule 1 (issue 22.9);
    numbers are never reused. Facts are numbered from 1 in `memory`."""

    def __init__(self, kv: KeyValueStore) -> None:
        self.kv = kv

    def rules(self) -> list[Rule]:
        return [rule for _, rule in self.numbered_rules()]

    def numbered_rules(self) -> list[tuple[int, Rule]]:
        """(number, rule), oldest first; rules stored before numbers were kept get their position."""
        raw = self.kv.get_json(RULES_KEY, [])
        out: list[tuple[int, Rule]] = []
        for i, item in enumerate(raw if isinstance(raw, list) else [], 1):
            if isinstance(item, dict) and item.get("kind") in (
                "no_weekends",
                "no_entries_after",
                "max_positions",
                "skip_pair",
                "force_live",
            ):
                number = item.get("no")
                rule = Rule(item["kind"], str(item.get("value", "")), str(item.get("text", "")))
                out.append((number if isinstance(number, int) else i, rule))
        return out

    def add_rule(self, rule: Rule) -> int:
        """Keep `rule` (the same kind and value replaces the old one, under its old number)."""
        kept = self.numbered_rules()
        same = [n for n, r in kept if (r.kind, r.value) == (rule.kind, rule.value)]
        kept = [(n, r) for n, r in kept if (r.kind, r.value) != (rule.kind, rule.value)]
        if len(kept) >= MAX_RULES:
            raise UserError(f"I keep at most {MAX_RULES} rules; forget one first (rules lists them)")
        number = same[0] if same else self._next_number(kept)
        self._save([*kept, (number, rule)])
        return number

    def forget_rule(self, number: int) -> Rule:
        kept = self.numbered_rules()
        gone = [r for n, r in kept if n == number]
        if not gone:
            shown = ", ".join(str(n) for n, _ in kept)
            raise UserError(f"there is no rule {number} (rules: {shown})" if kept else "there are no rules")
        self._save([(n, r) for n, r in kept if n != number])
        return gone[0]

    def _next_number(self, kept: list[tuple[int, Rule]]) -> int:
        counter = self.kv.get_json(RULES_NEXT_KEY, 0)
        return max([counter if isinstance(counter, int) else 0, *(n + 1 for n, _ in kept), 1])

    def _save(self, numbered: list[tuple[int, Rule]]) -> None:
        numbered.sort(key=lambda nr: nr[0])
        self.kv.set_json(
            RULES_KEY, [{"no": n, "kind": r.kind, "value": r.value, "text": r.text} for n, r in numbered]
        )
        top = max((n for n, _ in numbered), default=0)
        counter = self.kv.get_json(RULES_NEXT_KEY, 0)
        self.kv.set_json(RULES_NEXT_KEY, max(top + 1, counter if isinstance(counter, int) else 0))

    def facts(self) -> list[str]:
        raw = self.kv.get_json(FACTS_KEY, [])
        return [str(f) for f in raw] if isinstance(raw, list) else []

    def add_fact(self, fact: str) -> int:
        facts = [f for f in self.facts() if f.lower() != fact.lower()]
        if len(facts) >= MAX_FACTS:
            raise UserError(f"I keep at most {MAX_FACTS} facts; forget one first (memory lists them)")
        facts.append(fact[:FACT_CHARS])
        self.kv.set_json(FACTS_KEY, facts)
        return len(facts)

    def forget_fact(self, number: int) -> str:
        facts = self.facts()
        if not 1 <= number <= len(facts):
            raise UserError(f"there is no fact {number}; memory lists them" if facts else "there are no facts")
        gone = facts.pop(number - 1)
        self.kv.set_json(FACTS_KEY, facts)
        return gone


def dashboard_rows(kv: KeyValueStore, tz: str = "UTC") -> list[tuple[str, str]]:
    """The owner's trading settings as (label, value) rows for the dashboard (as `status` in chat)."""
    owner = OwnerSettings(kv, tz)
    rows = [(BOUNDS[name].label.capitalize(), shown) for name, shown in owner.displays().items()]
    quiet = owner.quiet_hours()
    rows.append(("Pairs off", ", ".join(owner.pairs_off()) or "none"))
    rows.append(("Quiet hours", f"{quiet[0]}-{quiet[1]}" if quiet else "off"))
    rules = owner.rules()
    rows.append(("Standing rules", "; ".join(r.text for r in rules) if rules else "none"))
    return rows
