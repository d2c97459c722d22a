"""help, set PREF VALUE and alerts.

Why preferences live in the kv table: they must survive restarts and be shared by every process
(`zyn chat`, `zyn run`, the scheduler reading the report time), and they are tiny.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.alerts.notifier import ALERT_EVENTS, alert_enabled, set_alert
from bot.commands.context import CommandContext
from bot.commands.modules import SETTERS as MODULE_SETTERS
from bot.commands.owner import set_trading
from bot.conversation.envelope import Reply, Row
from bot.conversation.parser import Command
from bot.owner.settings import REPORT_TIME_KEY, TZ_KEY
from core.domain import UserError

PREF_USER_NAME = "pref:user_name"
PREF_TZ = TZ_KEY  # one spelling of each key: bot/owner/settings.py
PREF_REPORT_TIME = REPORT_TIME_KEY
_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
PREFS_HELP = (
    "risk N%, max position N%, daily loss N%, cooloff N, pair PAIR on|off, quiet hours HH:MM-HH:MM|off, "
    "alerts EVENT on|off, report_time HH:MM, tz ZONE, name NAME"
)
TRADING_SETTINGS = frozenset({"risk", "max_position", "daily_loss", "cooloff", "pair", "quiet_hours"})

HELP_ROWS: list[Row] = [
    ("status", "mode, equity, P&L, positions, autopilot state"),
    ("balance / positions / orders", "what you hold and what is open"),
    ("pnl [today|week|all]", "profit and loss (pnl today = daily summary)"),
    ("trades [N]", "the last N trades"),
    ("buy|sell AMOUNT PAIR [at PRICE] [sl PRICE] [tp PRICE]", "an order; I echo it and wait for yes"),
    ("cancel ID|all, flatten", "cancel orders / close everything (needs yes)"),
    ("pause, resume", "stop or restart the autopilot's entries (resume needs yes)"),
    ("why [TRADE_ID|skip], autopilot", "why a trade was taken or skipped; what the autopilot is doing"),
    (
        "stats [best|worst|pair|hour|weekday|session|regime|trend|exit] [GROUP]",
        "my own record: trades, win rate with its 95 % interval, expectancy in R (e.g. stats weekday Sunday)",
    ),
    ("insights, learn, backtest PAIR", "what the learner found; re-run it; test the strategy"),
    ("memory, forget [fact N]", "what I remember about you; wipe the conversation or one fact"),
    ("remember ..., rules, forget rule N", 'standing rules the autopilot obeys, e.g. "no new trades after 22:00"'),
    ("settings, price PAIR, time, killswitch", "risk settings; a price; the time; the kill-switch state"),
    ("report week, chart [equity|pnl]", "the weekly report; charts"),
    ("set PREF VALUE, alerts", f"preferences: {PREFS_HELP}"),
    ("features, set feature NAME on|off, set target N%, universe", "the optional modules and their state"),
    ("pause until tomorrow|18:00|monday, pause for N hours", "a timed pause: I resume by myself then and say so"),
    ("trend PAIR, market, best, pnl_days N",
     "SMA20/ATR/mtf of a pair; is Kraken online; best and worst trades and pairs; P&L of the last N days"),
    ("trade PAIR anyway; why aren't you trading PAIR?", "force a shadow pair live (needs yes); its evidence"),
    ("how are you doing? would mtf help? should I keep trading?", "answers measured on your pairs and my record"),
    ("yes / no", "confirm or drop the pending action"),
]


def help_command(ctx: CommandContext, cmd: Command) -> Reply:
    text = (
        f"Hi {ctx.user_name}, I'm Zyn. Commands work with or without a slash, in any case; "
        'you can also just ask, e.g. "how am I doing this week?"'
    )
    return Reply(text=text, title="Commands", rows=list(HELP_ROWS))


def set_command(ctx: CommandContext, cmd: Command) -> Reply:
    pref, values = cmd.args[0], list(cmd.args[1:])
    if pref in MODULE_SETTERS:  # issue 9: set feature NAME on|off, set target N%
        return MODULE_SETTERS[pref](ctx, values)
    if pref in ("alert", "alerts"):
        return _set_alerts(ctx, values)
    if pref in TRADING_SETTINGS:

        return set_trading(ctx, pref, " ".join(values))
    value = " ".join(values).strip()
    if pref in ("report_time", "report-time", "daily_report_time"):
        match = _HHMM.fullmatch(value)
        if not match:
            raise UserError(f"report_time takes HH:MM (24h), e.g. 20:00, not {value[:20]!r}")
        value = f"{int(match.group(1)):02d}:{match.group(2)}"
        ctx.kv.set(PREF_REPORT_TIME, value)
        return Reply(text=f"Daily summary time set to {value} ({ctx.tz}); it applies from the next schedule.")
    if pref in ("tz", "timezone"):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # "America" is a directory, not a zone
            raise UserError(f"{value[:40]!r} is not a time zone (e.g. UTC, Europe/Berlin)") from None
        ctx.kv.set(PREF_TZ, value)
        return Reply(text=f"Time zone set to {value}.")
    if pref == "name":
        if not value or len(value) > 40 or not value.isprintable():
            raise UserError("name must be a short printable name")
        ctx.kv.set(PREF_USER_NAME, value)
        return Reply(text=f"Got it, {value}.")
    raise UserError(f"unknown setting {pref[:30]!r}; settings: {PREFS_HELP}")


def alerts(ctx: CommandContext, cmd: Command) -> Reply:
    rows: list[Row] = [(kind, "on" if alert_enabled(ctx.kv, kind) else "off") for kind in ALERT_EVENTS]
    return Reply(text="Alert settings (change with: set alerts EVENT on|off).", title="Alerts", rows=rows)


def _set_alerts(ctx: CommandContext, values: list[str]) -> Reply:
    if len(values) != 2 or values[1].lower() not in ("on", "off"):
        raise UserError(
            "usage: set alerts EVENT on|off, e.g. set alerts stop_hit off (send alerts to list them)"
        )
    kind, state = values[0].lower().replace("-", "_"), values[1].lower()
    changed = set_alert(ctx.kv, kind, state == "on")
    label = "all alerts" if kind == "all" else f"{changed[0]} alerts"
    return Reply(text=f"{label} {'on' if state == 'on' else 'off'}.")


HANDLERS = {"help": help_command, "set": set_command, "alerts": alerts}
