"""Read-only commands: status, balance, positions, orders, pnl, trades, report, chart.

Why they only read `services.status`: the status service already decides between the exchange
and its cache and computes P&L; these handlers only choose what to show and label it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loguru import logger

from bot.alerts.charts import ChartUnavailable, daily_pnl_from_equity, daily_pnl_png, equity_curve_png
from bot.alerts.reports import daily_summary, weekly_report
from bot.commands.context import (
    CommandContext,
    field,
    fmt_amount,
    fmt_money,
    fmt_price,
    price_decimals,
    quote_of,
)
from bot.commands.owner import settings_rows
from bot.conversation.envelope import Reply, Row
from bot.conversation.parser import Command
from bot.text.status_text import link_words

FIAT = frozenset({"USD", "EUR", "GBP", "CAD", "JPY", "AUD", "CHF", "USDT", "USDC"})


def status(ctx: CommandContext, cmd: Command) -> Reply:
    snap = ctx.services.status.snapshot()
    pnl = _mapping(snap.get("pnl"))
    auto = _mapping(snap.get("autopilot"))
    circuit = _mapping(snap.get("circuit"))
    positions, orders = snap.get("positions") or [], snap.get("open_orders") or []
    cur = ctx.services.currency  # a USDT-funded paper account is not counted in USD (issue 17.9)
    running = "running" if auto.get("running") else "stopped"
    if auto.get("paused_reason"):
        running = f"paused ({auto['paused_reason']})"
    rows: list[Row] = [
        ("Mode", str(snap.get("mode", "-"))),
        ("Equity", fmt_money(snap.get("equity_usd"), cur)),
        (
            "P&L today / week / all",
            " / ".join(fmt_money(pnl.get(k), cur, signed=True) for k in ("today", "week", "all_time")),
        ),
        ("Positions", str(len(positions))),
        ("Open orders", str(len(orders))),
        ("Autopilot", running),
        ("Kill-switch", "tripped" if _mapping(snap.get("kill_switch")).get("tripped") else "ok"),
        ("Exchange link", link_words(circuit)),
        *settings_rows(ctx),
    ]
    modules = ctx.services.modules
    if modules is not None:  # issue 9: which modules are on
        rows.append(("Features on", modules.status_line()))
    from bot.text.evidence import evidence_line, evidence_rows, record_rows  # lazy: keeps numpy out of this import

    rows += evidence_rows(snap)  # issue 17: live/shadow per pair with its figures
    rows += record_rows(ctx.kv, snap)  # ... and of which module set, when not the plain strategy
    text = (
        f"{str(snap.get('mode', '?')).capitalize()} mode: equity {fmt_money(snap.get('equity_usd'), cur)}, "
        f"today {fmt_money(pnl.get('today'), cur, signed=True)}, {len(positions)} position(s), "
        f"autopilot {running}.{evidence_line(snap)}"
    )
    if snap.get("source") == "cache" and circuit.get("state") in ("closed", None):
        text += f" (cached figures as of {str(snap.get('as_of') or '?')[11:19]} UTC)"
    elif snap.get("source") == "cache":
        text += " (exchange unreachable: cached figures)"
    return Reply(text=text, title="Status", rows=rows)


def balance(ctx: CommandContext, cmd: Command) -> Reply:
    snap = ctx.services.status.snapshot()
    balances = _mapping(snap.get("balances"))
    rows: list[Row] = [
        (str(asset), fmt_money(amount, "") if str(asset) in FIAT else fmt_amount(amount))
        for asset, amount in sorted(balances.items())
    ]
    cur = ctx.services.currency
    rows.append((f"Equity ({cur})", fmt_money(snap.get("equity_usd"), cur)))
    text = "No balances yet." if not balances else f"Equity {fmt_money(snap.get('equity_usd'), cur)}."
    return Reply(text=text, title="Balances", rows=rows)


def position_label(p: Mapping[str, Any]) -> str:
    """"BTC/USD #3 manual": a pair may hold a manual position beside the autopilot's, each its own."""
    pair = field(p, "pair")
    if p.get("trade_id") is None:
        return pair
    return f"{pair} #{p.get('trade_id')} {p.get('origin') or ''}".rstrip()


def positions(ctx: CommandContext, cmd: Command) -> Reply:
    items = ctx.services.status.positions()
    if not items:
        return Reply(text="No open positions.", title="Positions")
    cols = ["Pair", "Amount", "Entry", "Mark", "Unrealized", "Stop", "Target"]
    rows: list[Row] = []
    for p in items:
        dp = price_decimals(ctx, str(p.get("pair") or ""))
        rows.append(
            (
                position_label(p),
                fmt_amount(p.get("amount")),
                fmt_price(p.get("entry_price"), dp),
                fmt_price(p.get("mark_price"), dp),
                fmt_money(p.get("unrealized_pnl"), quote_of(str(p.get("pair") or "")), signed=True),
                fmt_price(p.get("stop_price"), dp),
                fmt_price(p.get("take_profit_price"), dp),
            )
        )
    return Reply(text=f"{len(items)} open position(s).", title="Positions", rows=rows, columns=cols)


def orders(ctx: CommandContext, cmd: Command) -> Reply:
    items = ctx.services.status.open_orders()
    if not items:
        return Reply(text="No open orders.", title="Open orders")
    cols = ["ID", "Pair", "Side", "Type", "Price", "Amount"]
    rows: list[Row] = [
        (
            *(field(o, k) for k in ("id", "pair", "side", "type")),
            fmt_price(o.get("price"), price_decimals(ctx, str(o.get("pair") or ""))),
            fmt_amount(o.get("amount")),
        )
        for o in items
    ]
    return Reply(text=f"{len(items)} open order(s).", title="Open orders", rows=rows, columns=cols)


def pnl(ctx: CommandContext, cmd: Command) -> Reply:
    """`pnl today` is the full daily summary; `pnl week|all` one figure; bare `pnl` all three."""
    period = cmd.args[0] if cmd.args else ""
    if period == "today":
        return daily_summary(ctx.services, ctx.clock, ctx.tz, ctx.user_name)
    status, cur = ctx.services.status, ctx.services.currency
    if period in ("week", "all"):
        label = "this week" if period == "week" else "all time"
        value = fmt_money(status.pnl("week" if period == "week" else "all"), cur, signed=True)
        return Reply(text=f"P&L {label}: {value}.", title="P&L", rows=[(f"P&L {label}", value)])
    rows: list[Row] = [
        ("Today", fmt_money(status.pnl("today"), cur, signed=True)),
        ("This week", fmt_money(status.pnl("week"), cur, signed=True)),
        ("All time", fmt_money(status.pnl("all"), cur, signed=True)),
    ]
    return Reply(text=" · ".join(f"{k} {v}" for k, v in rows) + ".", title="P&L", rows=rows)


def trades(ctx: CommandContext, cmd: Command) -> Reply:
    n = int(cmd.args[0]) if cmd.args else 10
    items = ctx.services.status.recent_trades(n)
    if not items:
        return Reply(text="No trades yet.", title="Trades")
    cols = ["#", "Pair", "Status", "Amount", "Entry", "Exit", "P&L", "Exit reason"]
    rows: list[Row] = [_trade_row(t, price_decimals(ctx, str(t.get("pair") or ""))) for t in items[:n]]
    return Reply(text=f"Last {len(rows)} trade(s).", title="Trades", rows=rows, columns=cols)


def report(ctx: CommandContext, cmd: Command) -> Reply:
    if cmd.args and cmd.args[0] == "today":
        return daily_summary(ctx.services, ctx.clock, ctx.tz, ctx.user_name)
    return weekly_report(ctx.services, ctx.clock, ctx.tz, ctx.user_name)


def chart(ctx: CommandContext, cmd: Command) -> Reply:
    curve = list(ctx.services.status.equity_curve())
    if len(curve) < 2:
        return Reply(text="Not enough equity history for a chart yet.", title="Chart")
    try:
        if cmd.args and cmd.args[0] == "pnl":
            png = daily_pnl_png(daily_pnl_from_equity(curve, ctx.tz)[-30:], "Daily P&L")
            return Reply(text="Daily P&L, last 30 days.", title="Daily P&L", image_png=png)
        return Reply(text="Equity curve.", title="Equity", image_png=equity_curve_png(curve, "Equity", ctx.tz))
    except ChartUnavailable as exc:  # the chart process failed: one clear line, never a traceback
        logger.warning("chart: {}", exc)
        return Reply(text=f"Sorry, the chart could not be drawn ({exc}).", title="Chart")


def _trade_row(t: Mapping[str, Any], dp: int | None) -> Row:
    """Money to cents, prices at the pair's own decimals `dp` (as positions, status and the alerts),
    amounts trimmed: never a raw float like 3,780.6789471363295."""
    return (
        field(t, "id"),
        field(t, "pair"),
        field(t, "status"),
        fmt_amount(t.get("amount")),
        fmt_price(t.get("entry_price"), dp),
        fmt_price(t.get("exit_price"), dp),
        fmt_money(t.get("pnl"), quote_of(str(t.get("pair") or "")), signed=True),
        field(t, "exit_reason"),
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


HANDLERS = {
    "status": status,
    "balance": balance,
    "positions": positions,
    "orders": orders,
    "pnl": pnl,
    "trades": trades,
    "report": report,
    "chart": chart,
}
