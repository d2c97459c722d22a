"""Chat commands of the advanced modules: `features`, `set feature NAME on|off`, `set target N%`,
`universe`.

Why settings are echoed, not asked with yes: like the other `set` commands they change no
order or position now; the reply confirms the new state and that it is stored (kv table), and
it applies from the autopilot's next candle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.commands.context import CommandContext, fmt_num
from bot.conversation.envelope import Reply, Row
from bot.conversation.parser import Command
from core.domain import UserError
from core.strategy.features import DESCRIPTIONS, FEATURES
from core.strategy.profit_target import parse_pct

UNIVERSE_SHOWN_OUT = 25


def _modules(ctx: CommandContext) -> Any:
    modules = ctx.services.modules
    if modules is None:
        raise UserError("the feature modules are not available in this process")
    return modules


def features(ctx: CommandContext, cmd: Command) -> Reply:
    modules = _modules(ctx)
    states = modules.features.states()
    settings = modules.settings_of()
    rows: list[Row] = [
        (name, "on" if states[name] else "off", settings.get(name) or DESCRIPTIONS[name]) for name in FEATURES
    ]
    return Reply(text="Modules (switch one with: set feature NAME on|off).", title="Features", rows=rows)


def set_feature(ctx: CommandContext, values: list[str]) -> Reply:
    if len(values) != 2 or values[1].lower() not in ("on", "off"):
        raise UserError(f"usage: set feature NAME on|off (names: {', '.join(FEATURES)})")
    name, state = values[0].lower(), values[1].lower() == "on"
    before = _modules(ctx).features.set(name, state)
    word = "on" if state else "off"
    note = "" if before != state else " (it already was)"
    return Reply(text=f"Feature {name} is now {word}{note}; saved, and it applies from the next candle.")


def set_target(ctx: CommandContext, values: list[str]) -> Reply:
    if len(values) != 1:
        raise UserError("usage: set target N%, e.g. set target 2%")
    pct = parse_pct(values[0], "target")
    modules = _modules(ctx)
    modules.set_target_pct(pct)
    text = f"Daily profit target set to {pct * 100:g}% of the day's start equity; saved."
    if not modules.features.enabled("profit_target"):
        text += " The profit_target feature is off: set feature profit_target on to use it."
    return Reply(text=text)


def universe(ctx: CommandContext, cmd: Command) -> Reply:
    rows = _modules(ctx).universe_rows()
    inside = [r for r in rows if r["included"]]
    outside = [r for r in rows if not r["included"]]
    shown: list[Row] = [(r["pair"], "in", _figures(r)) for r in inside]
    shown += [(r["pair"], "out", r["reason"]) for r in outside[:UNIVERSE_SHOWN_OUT]]
    more = len(outside) - UNIVERSE_SHOWN_OUT
    text = f"Universe: {len(inside)} of {len(rows)} pairs in."
    if more > 0:
        text += f" {more} more out (zyn universe lists them all)."
    if not _modules(ctx).features.enabled("universe"):
        text += " The universe feature is off: the autopilot trades ZYN_PAIRS."
    return Reply(text=text, title="Universe", rows=shown)


def _figures(r: dict[str, Any]) -> str:
    vol = fmt_num(r.get("volume_quote_24h"), 0)
    spread = r.get("spread_pct")
    return f"{r['reason']}; 24h volume {vol}" + (f"; spread {spread:.3f}%" if spread is not None else "")


SETTERS: dict[str, Callable[[CommandContext, list[str]], Reply]] = {
    "feature": set_feature,
    "features": set_feature,
    "target": set_target,
    "profit_target": set_target,
}
HANDLERS = {"features": features, "modules": features, "universe": universe}
