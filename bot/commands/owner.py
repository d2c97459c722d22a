"""The owner's settings, standing rules and remembered facts; time, price and kill-switch state.

Why a group of its own: these are what "a servant who knows the books" is told once and keeps —
`set risk 0.5%`, "don't trade on weekends", "remember that I prefer ETH" — persisted in the kv
table by `bot/owner/settings.py`, apart from the conversation log, and (for settings and rules)
read by the autopilot on every tick.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.commands.context import CommandContext, fmt_money, fmt_price
from bot.conversation.envelope import Reply, Row
from bot.conversation.parser import Command
from bot.owner.settings import BOUNDS, OwnerSettings, StandingMemory
from core.domain import UserError
from core.trading.rules import parse_rule


def owner_settings(ctx: CommandContext) -> OwnerSettings:
    return OwnerSettings(ctx.kv, ctx.tz)


def settings_rows(ctx: CommandContext) -> list[Row]:
    """Settings as (label, value) rows: shown by `settings`, `status` and the dashboard."""
    owner = owner_settings(ctx)
    rows: list[Row] = [(BOUNDS[name].label.capitalize(), shown) for name, shown in owner.displays().items()]
    off = owner.pairs_off()
    rows.append(("Pairs off", ", ".join(off) if off else "none"))
    quiet = owner.quiet_hours()
    rows.append(("Quiet hours", f"{quiet[0]}-{quiet[1]}" if quiet else "off"))
    return rows


def settings(ctx: CommandContext, cmd: Command) -> Reply:
    text = (
        "Change with: set risk 0.5%, set max position 20%, set daily loss 3%, set cooloff 6, "
        "set pair ETH off, set quiet hours 22:00-07:00."
    )
    return Reply(text=text, title="Settings", rows=settings_rows(ctx))


def set_trading(ctx: CommandContext, name: str, value: str) -> Reply:
    """`set risk 0.5%` and friends (called from `set`)."""
    owner = owner_settings(ctx)
    if name == "pair":
        parts = value.split()
        if len(parts) != 2 or parts[1].lower() not in ("on", "off"):
            raise UserError("usage: set pair PAIR on|off, e.g. set pair ETH off")
        known = tuple(ctx.services.pairs) if ctx.services.pairs else ()
        return Reply(text=owner.set_pair(parts[0], parts[1].lower() == "on", known))
    if name == "quiet_hours":
        return Reply(text=owner.set_quiet_hours(value))
    return Reply(text=owner.set_value(name, value))


def rules(ctx: CommandContext, cmd: Command) -> Reply:
    kept = StandingMemory(ctx.kv).numbered_rules()
    off = owner_settings(ctx).pairs_off()
    if not kept and not off:
        return Reply(
            text='No standing rules. Tell me one, e.g. "don\'t trade on weekends", "no new trades after '
            '22:00", "never more than 2 positions", "stop trading ETH".',
            title="Rules",
        )
    rows: list[Row] = [(str(n), f"{r.text} — {r.describe()}") for n, r in kept]
    rows += [("settings", f"{pair} switched off (set pair {pair} on)") for pair in off]
    return Reply(
        text="The autopilot obeys these for new trades; each skip is recorded with the rule. "
        "Remove one with: forget rule N.",
        title="Rules",
        rows=rows,
    )


def remember(ctx: CommandContext, cmd: Command) -> Reply:
    """A standing instruction becomes a rule the autopilot obeys; anything else a kept fact."""
    text = cmd.args[0].strip() if cmd.args else ""
    if not text:
        raise UserError('remember what? e.g. "remember that I don\'t trade on weekends"')
    rule = parse_rule(text)
    memory = StandingMemory(ctx.kv)
    if rule is not None:
        number = memory.add_rule(rule)
        return Reply(
            text=f"Rule {number} kept: {rule.describe()}. The autopilot obeys it from the next candle; "
            "forget rule N removes it.",
            title="Rule kept",
        )
    number = memory.add_fact(text)
    return Reply(
        text=f"I'll remember that (fact {number}). It is a note, not a trading rule: rules are things "
        'like "no new trades after 22:00". forget fact N removes it.',
        title="Remembered",
    )


def forget_item(ctx: CommandContext, cmd: Command) -> Reply:
    kind, number = cmd.args[0], int(cmd.args[1])
    memory = StandingMemory(ctx.kv)
    if kind == "rule":
        gone = memory.forget_rule(number)
        return Reply(text=f"Forgot rule {number} ({gone.text}); the autopilot no longer applies it.")
    fact = memory.forget_fact(number)
    return Reply(text=f"Forgot fact {number} ({fact}).")


def facts_rows(ctx: CommandContext) -> list[Row]:
    return [(f"fact {i}", f) for i, f in enumerate(StandingMemory(ctx.kv).facts(), 1)]


def time_now(ctx: CommandContext, cmd: Command) -> Reply:
    now = datetime.fromtimestamp(ctx.clock.now_ms() / 1000, tz=ZoneInfo(ctx.tz))
    return Reply(text=f"It is {now.strftime('%A %d %B %Y, %H:%M')} ({ctx.tz}).")


def price(ctx: CommandContext, cmd: Command) -> Reply:
    pair = cmd.args[0]
    if ctx.services.market is None:
        raise UserError("prices are not available here")
    last = ctx.services.market.price(pair)
    decimals = ctx.services.market.price_decimals(pair)
    return Reply(text=f"{pair} is at {fmt_price(last, decimals)} (last trade).")


def killswitch(ctx: CommandContext, cmd: Command) -> Reply:
    snap = ctx.services.status.snapshot()
    ks = snap.get("kill_switch") or {}
    limit = owner_settings(ctx).display("daily_loss")
    daily = fmt_money(ks.get("daily_pnl"), signed=True)
    if ks.get("tripped"):
        text = (
            f"The daily loss kill-switch is TRIPPED: no new entries today (today {daily}, limit {limit}). "
            "resume overrides it."
        )
    else:
        text = f"The kill-switch is not tripped: today {daily}; it trips at a {limit} loss of the day's start equity."
    return Reply(text=text, title="Kill-switch")


HANDLERS = {
    "settings": settings,
    "rules": rules,
    "remember": remember,
    "forget_item": forget_item,
    "time": time_now,
    "price": price,
    "killswitch": killswitch,
}
