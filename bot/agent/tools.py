"""The agent's tools: each one is a chat command run through `Dispatcher.execute_command`.

Why commands and not direct service calls: the dispatcher is where authorization, confirmation
and audit live. An order tool therefore only ever creates the pending confirmation the owner
must answer with `yes` — the model has no path to place an order itself. Arguments are
validated strictly (types, ranges, a tight character set) so a model cannot smuggle a second
command (e.g. a newline and `yes`) into the command text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from loguru import logger

MAX_TOOL_CONTENT = 4000

_PAIR_RE = re.compile(r"^[A-Za-z0-9]{2,10}([/-][A-Za-z0-9]{2,10})?$")
_PREF_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,31}$")
_PREF_VALUE_RE = re.compile(r"^[A-Za-z0-9 _.,:/%+-]{1,64}$")
_CONFIRM_WORDS = {"yes", "y", "no", "n", "confirm", "ok"}


class ToolArgError(ValueError):
    """The model sent arguments we refuse: the message goes back to it so it can correct itself."""


@dataclass(frozen=True)
class ToolOutcome:
    """What a tool call produced: content for the model, and the dispatcher's Reply if it ran."""

    content: str
    reply: Any = None
    command: str | None = None

    @property
    def needs_confirmation(self) -> bool:
        return self.reply is not None and str(getattr(self.reply, "kind", "")) == "confirm"


def _fn(
    name: str, description: str, props: dict[str, Any] | None = None, required: list[str] | None = None
) -> dict[str, Any]:
    params: dict[str, Any] = {"type": "object", "properties": props or {}, "required": required or []}
    params["additionalProperties"] = False
    return {"type": "function", "function": {"name": name, "description": description, "parameters": params}}


_STATS_DIMENSIONS = ("overall", "best", "worst", "pair", "hour", "weekday", "session", "regime", "trend", "exit")
_STATS_GROUP_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 /+:_-]{0,23}$")
_WHY_HINT = "a trade id; or 'last' (latest trade) or 'skip' (the latest skipped entry and why)"
_NUM = {"type": "number", "exclusiveMinimum": 0}
_PAIR = {"type": "string", "description": "trading pair, e.g. BTC/USD"}

TOOL_SCHEMAS: list[dict[str, Any]] = [
    _fn("get_status", "Zyn's status: mode, balances, equity, P&L, autopilot, kill-switch."),
    _fn("get_positions", "Open positions with entry, mark, stop and target."),
    _fn(
        "get_pnl",
        "Realized P&L for a period.",
        {"period": {"type": "string", "enum": ["today", "week", "all"]}},
        ["period"],
    ),
    _fn(
        "get_trades",
        "The most recent trades.",
        {"n": {"type": "integer", "minimum": 1, "maximum": 50}},
        ["n"],
    ),
    _fn("get_insights", "What Zyn has learned from its own trades, with the evidence."),
    _fn(
        "get_stats",
        "Zyn's own record from its closed trades: n, win rate with its 95 % interval, expectancy in R, "
        "small-sample flags. dimension 'overall' (plus the best and worst groups), 'best' / 'worst' "
        "(ranked groups with enough data), or a breakdown by pair, hour (UTC), weekday, session, regime "
        "(volatility), trend or exit. Optional group: the one group asked about, e.g. weekday 'Sunday' "
        "or 'weekend', hour '0-4' or 'night', session 'Asia', pair 'ETH/USD', regime 'high'.",
        {
            "dimension": {"type": "string", "enum": list(_STATS_DIMENSIONS)},
            "group": {"type": "string", "description": "optional: one group of that dimension"},
        },
        ["dimension"],
    ),
    _fn(
        "explain_trade",
        "Why Zyn took (and exited) a trade, or skipped an entry, from its own records.",
        {"trade_id": {"type": ["integer", "string"], "description": _WHY_HINT}},
        ["trade_id"],
    ),
    _fn(
        "run_backtest",
        "Backtest the autopilot's strategy on a pair's stored candles.",
        {"pair": _PAIR},
        ["pair"],
    ),
    _fn(
        "set_preference",
        "Change a setting: report_time HH:MM, tz ZONE (e.g. Europe/Berlin), name NAME, "
        "or alerts with value 'EVENT on|off'.",
        {"name": {"type": "string"}, "value": {"type": "string"}},
        ["name", "value"],
    ),
    _fn("pause_trading", "Pause the autopilot (no new entries)."),
    _fn("resume_trading", "Ask to resume the autopilot; the owner must confirm with yes."),
    _fn(
        "request_order",
        "Propose a manual order. It is NOT placed: the owner sees it and must answer yes.",
        {
            "side": {"type": "string", "enum": ["buy", "sell"]},
            "amount": _NUM,
            "pair": _PAIR,
            "price": {**_NUM, "description": "limit price; omit for market"},
            "stop": {**_NUM, "description": "stop-loss price"},
            "target": {**_NUM, "description": "take-profit price"},
        },
        ["side", "amount", "pair"],
    ),
]
TOOL_NAMES = frozenset(t["function"]["name"] for t in TOOL_SCHEMAS)


def parse_arguments(raw: str | None) -> dict[str, Any]:
    """JSON object or ToolArgError — models do send truncated or non-object arguments."""
    if raw is None or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ToolArgError(f"arguments are not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise ToolArgError("arguments must be a JSON object")
    return value


def _number(args: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    """A positive finite number as plain decimal text (no exponent), or None if optional+absent."""
    value = args.get(key)
    if value is None:
        if required:
            raise ToolArgError(f"missing required argument {key!r}")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ToolArgError(f"{key!r} must be a number")
    try:
        dec = Decimal(str(value).strip())
    except InvalidOperation:
        raise ToolArgError(f"{key!r} must be a number, got {str(value)[:20]!r}") from None
    if not dec.is_finite() or dec <= 0:
        raise ToolArgError(f"{key!r} must be a positive number")
    return format(dec.normalize(), "f")


def _integer(args: dict[str, Any], key: str, lo: int, hi: int) -> int:
    value = args.get(key)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ToolArgError(f"{key!r} must be an integer")
    if not lo <= value <= hi:
        raise ToolArgError(f"{key!r} must be between {lo} and {hi}")
    return value


def _text(args: dict[str, Any], key: str, pattern: re.Pattern[str], hint: str) -> str:
    value = args.get(key)
    if not isinstance(value, str):
        raise ToolArgError(f"{key!r} must be a string ({hint})")
    value = value.strip()
    if not pattern.fullmatch(value) or value.lower() in _CONFIRM_WORDS:
        raise ToolArgError(f"{key!r} is not valid ({hint})")
    return value


def _choice(args: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = args.get(key)
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise ToolArgError(f"{key!r} must be one of {', '.join(allowed)}")
    return value.strip().lower()


def _order_command(args: dict[str, Any]) -> str:
    """`buy 0.01 BTC/USD at 61000 sl 59000 tp 65000` — the chat command grammar of the contract."""
    side = _choice(args, "side", ("buy", "sell"))
    amount = _number(args, "amount")
    pair = _text(args, "pair", _PAIR_RE, "like BTC/USD").upper()
    parts = [side, str(amount), pair]
    for key, word in (("price", "at"), ("stop", "sl"), ("target", "tp")):
        value = _number(args, key, required=False)
        if value is not None:
            parts += [word, value]
    return " ".join(parts)


def _why_command(args: dict[str, Any]) -> str:
    value = args.get("trade_id")
    if isinstance(value, str) and value.strip().lower() in ("last", "skip"):
        return f"why {value.strip().lower()}"
    return f"why {_integer(args, 'trade_id', 1, 10**12)}"


def _stats_command(args: dict[str, Any]) -> str:
    """`stats`, `stats weekday`, `stats weekday Sunday`: the group is checked again by the parser."""
    dimension = _choice(args, "dimension", _STATS_DIMENSIONS)
    group = args.get("group")
    if group is None or (isinstance(group, str) and not group.strip()):
        return "stats" if dimension == "overall" else f"stats {dimension}"
    if dimension in ("overall", "best", "worst"):
        raise ToolArgError(f"'group' only goes with a breakdown dimension, not {dimension!r}")
    return f"stats {dimension} {_text(args, 'group', _STATS_GROUP_RE, 'one short group name like Sunday or 0-4')}"


SAFETY_ALERTS = ("kill_switch", "error", "circuit", "stop_hit", "all")


def _set_command(args: dict[str, Any]) -> str:
    name = _text(args, "name", _PREF_NAME_RE, "a short word like report_hour")
    value = _text(args, "value", _PREF_VALUE_RE, "short plain text, no line breaks")
    words = value.lower().split()
    if name.lower().startswith("alert") and "off" in words and any(w in SAFETY_ALERTS for w in words):
        # Text the model read (a trade note, a web page) must never be able to silence safety alerts.
        raise ToolArgError("safety alerts (kill-switch, errors, circuit breaker, stops) can only be turned "
                           "off by the owner typing the set command himself")
    return f"set {name} {value}"


_BUILDERS: dict[str, Callable[[dict[str, Any]], str]] = {
    "get_status": lambda a: "status",
    "get_positions": lambda a: "positions",
    "get_pnl": lambda a: f"pnl {_choice(a, 'period', ('today', 'week', 'all'))}",
    "get_trades": lambda a: f"trades {_integer(a, 'n', 1, 50)}",
    "get_insights": lambda a: "insights",
    "get_stats": _stats_command,
    "explain_trade": _why_command,
    "run_backtest": lambda a: f"backtest {_text(a, 'pair', _PAIR_RE, 'like BTC/USD').upper()}",
    "set_preference": _set_command,
    "pause_trading": lambda a: "pause",
    "resume_trading": lambda a: "resume",
    "request_order": _order_command,
}


def command_for(name: str, raw_arguments: str | None) -> str:
    """Validate a tool call and turn it into chat-command text (raises ToolArgError)."""
    builder = _BUILDERS.get(name)
    if builder is None:
        raise ToolArgError(f"unknown tool {name!r}; available: {', '.join(sorted(TOOL_NAMES))}")
    return builder(parse_arguments(raw_arguments))


def reply_to_content(reply: Any) -> str:
    """The Reply as the model reads it: title, text and rows (with the column header if any)."""
    parts: list[str] = [str(getattr(reply, "title", "") or ""), str(getattr(reply, "text", "") or "")]
    columns = list(getattr(reply, "columns", None) or [])
    if columns:
        parts.append(" | ".join(map(str, columns)))
    for row in list(getattr(reply, "rows", None) or [])[:30]:
        parts.append(" | ".join(map(str, row)) if isinstance(row, list | tuple) else str(row))
    kind = str(getattr(reply, "kind", "text"))
    content = "\n".join(p for p in parts if p)
    if kind in ("error", "refusal"):
        content = f"{kind}: {content}"
    return content[:MAX_TOOL_CONTENT] or "(no output)"


def run_tool(name: str, raw_arguments: str | None, env: Any, dispatcher: Any) -> ToolOutcome:
    """Execute one tool call; every failure becomes a message for the model, never an exception."""
    try:
        command = command_for(name, raw_arguments)
    except ToolArgError as exc:
        logger.bind(tool=name).info("agent tool refused: {reason}", reason=str(exc))
        return ToolOutcome(content=f"tool error: {exc}")
    try:
        reply = dispatcher.execute_command(env, command)
    except Exception as exc:  # a handler bug must not kill the conversation
        logger.bind(tool=name, command=command, error_type=type(exc).__name__).exception("agent tool crashed")
        return ToolOutcome(content=f"tool error: the command failed ({type(exc).__name__})", command=command)
    logger.bind(tool=name, command=command, kind=str(getattr(reply, "kind", ""))).info("agent tool ran")
    return ToolOutcome(content=reply_to_content(reply), reply=reply, command=command)
