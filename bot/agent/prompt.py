"""The agent's system prompt: who it is, what it may do, and the facts it starts from.

The model is given the time context, the owner's name and preferences, a short summary of
recent performance and the memory summary up front, so simple questions need no tool call
and answers are grounded in Zyn's own numbers instead of the model's guesses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from loguru import logger

from bot.agent.protocols import KeyValueLike
from bot.text.learning import group_line
from core.ports import Clock
from core.time_context import from_clock

PREF_PREFIX = "pref:"
MAX_PREFS = 30

RULES = """\
You are Zyn, {name}'s self-learning trading assistant for Kraken. You talk with {name} in chat \
(Telegram, Slack, SMS or the web), so keep answers short and plain: a few sentences, no tables \
unless asked.
Rules:
- Answer from Zyn's own records. Use the tools to look up status, positions, P&L, trades, \
insights and trade explanations; cite the numbers with their sample size (n) and never invent \
figures. If the records do not say, say so.
- For "what works best?", "are Sunday trades worth it?", "how do you do at night?" use get_stats \
(with the group asked about) and compare it with overall, quoting n and the interval.
- You cannot place, cancel or confirm orders. request_order only PROPOSES an order: {name} sees \
it and must answer "yes" before anything happens. Never say an order was placed, filled or sent.
- Only call request_order when {name} clearly asked for a trade, with the amount and pair.
- Small samples are weak evidence: say so rather than sound confident.
- Times: trading days are UTC; mention {name}'s local time when it helps."""


@dataclass(frozen=True)
class PromptContext:
    """Everything the system prompt is built from (plain data: easy to test, easy to log)."""

    user_name: str
    time_context: str = ""
    preferences: Mapping[str, str] = field(default_factory=dict)
    performance: str = ""
    memory_summary: str = ""


def build_system_prompt(ctx: PromptContext) -> str:
    """Rules first, then the facts; empty sections are left out rather than shown as 'none'."""
    parts = [RULES.format(name=ctx.user_name)]
    if ctx.time_context:
        parts.append(f"Now: {ctx.time_context}")
    if ctx.preferences:
        prefs = "; ".join(f"{k} = {v}" for k, v in sorted(ctx.preferences.items()))
        parts.append(f"{ctx.user_name}'s preferences: {prefs}")
    if ctx.performance:
        parts.append(f"Recent performance: {ctx.performance}")
    if ctx.memory_summary:
        header = f"Earlier conversation with {ctx.user_name} (summary, oldest first):"
        parts.append(f"{header}\n{ctx.memory_summary}")
    return "\n\n".join(parts)


def read_preferences(kv: KeyValueLike | None) -> dict[str, str]:
    """`pref:*` keys from the kv store, name -> value (bounded; a broken store gives none)."""
    if kv is None:
        return {}
    try:
        keys = sorted(kv.keys(PREF_PREFIX))[:MAX_PREFS]
        return {k[len(PREF_PREFIX) :]: str(kv.get(k) or "")[:80] for k in keys}
    except Exception as exc:  # the prompt must still be built
        logger.bind(error_type=type(exc).__name__).warning("agent: preferences unreadable")
        return {}


def time_words(clock: Clock, tz: str = "UTC") -> str:
    """One paragraph of time context for the agent's system prompt (core gives the facts:
    `core.time_context.from_clock`; the words are the agent's)."""
    c = from_clock(clock, tz)
    local = c.local.strftime("%A %Y-%m-%d %H:%M")
    utc = c.utc.strftime("%A %Y-%m-%d %H:%M")
    where = f"{local} in {c.tz} ({utc} UTC)" if c.tz != "UTC" else f"{utc} UTC"
    session = "no major session open" if c.session == "off" else f"{c.session} session"
    day = "weekend" if c.weekend else "weekday"
    return f"It is {where}; {session}; {day}; UTC hour bucket {c.hour_bucket}."


def default_time_context(clock: Clock, tz: str) -> Callable[[], str]:
    """`time_words(clock, tz)` at each call (the prompt is built per message)."""
    return lambda: time_words(clock, tz)


def status_performance(status: Any) -> Callable[[], str]:
    """A one-line summary from the pinned `StatusService.snapshot()` fields."""

    def summary() -> str:
        snap = status.snapshot()
        pnl = snap.get("pnl", {}) or {}
        trades = snap.get("trades", {}) or {}
        auto = snap.get("autopilot", {}) or {}
        parts = [
            f"mode {snap.get('mode', '?')}, equity {_money(snap.get('equity_usd'))} USD",
            f"P&L today {_money(pnl.get('today'))}, week {_money(pnl.get('week'))}, "
            f"all time {_money(pnl.get('all_time'))}",
            f"{trades.get('count', 0)} closed trades "
            f"({trades.get('wins', 0)} won, {trades.get('losses', 0)} lost)",
            f"{len(snap.get('positions', []) or [])} open positions",
        ]
        if auto.get("paused_reason"):
            parts.append(f"autopilot paused: {auto['paused_reason']}")
        if (snap.get("kill_switch") or {}).get("tripped"):
            parts.append("daily-loss kill-switch tripped")
        return "; ".join(parts)

    return summary


LIVE_SOURCES = ("paper", "live", "validate")


def analyzer_performance(analyzer: Any) -> Callable[[], str]:
    """The analyzer's overall line over Zyn's own (not backtest) trades: n and interval included."""

    def summary() -> str:
        report = analyzer.analyze(analyzer.records(sources=LIVE_SOURCES))
        return "" if report.overall.n == 0 else group_line(report.overall)

    return summary


def performance_summary(status: Any = None, analyzer: Any = None) -> Callable[[], str] | None:
    """Status line + analyzer line, whichever exist; a part that fails is left out."""
    parts = [
        make(src) for make, src in ((status_performance, status), (analyzer_performance, analyzer)) if src
    ]
    if not parts:
        return None

    def summary() -> str:
        lines: list[str] = []
        for part in parts:
            try:
                lines.append(part())
            except Exception as exc:
                logger.bind(error_type=type(exc).__name__).warning("agent: performance part unavailable")
        return "; ".join(line for line in lines if line)

    return summary


def _money(value: Any) -> str:
    try:
        return f"{float(value):,.2f}"
    except (TypeError, ValueError):
        return "?"
