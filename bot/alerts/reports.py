"""Daily P&L summary and weekly report, built from the status service.

Why here and not in the scheduler: the same text answers `pnl today` / `report week` on demand
and the scheduled push (`notifier.notify(daily_report_event(...))`), so both always agree. Days
are the owner's local days (`ZYN_TZ`); the kill-switch's trading day stays UTC in core.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from loguru import logger

from bot.alerts.charts import ChartUnavailable, equity_curve_png
from bot.conversation.envelope import Reply, Row, render_plain
from bot.conversation.services import Services
from core.domain import Event
from core.ports import Clock
from core.research.metrics import max_drawdown
from core.text import money_with_currency as fmt_money
from core.text import number_text as fmt_num

WEEK_MS = 7 * 24 * 3600 * 1000
TRADE_SCAN = 500


def daily_summary(services: Services, clock: Clock, tz: str = "UTC", user_name: str = "jimmy") -> Reply:
    """Today's P&L (local day), week and all-time, trades closed today, equity and open positions."""
    status, cur = services.status, services.currency  # the account's currency (issue 17.9)
    now = clock.now().astimezone(ZoneInfo(tz))
    start_ms = int(datetime.combine(now.date(), time(0), tzinfo=ZoneInfo(tz)).timestamp() * 1000)
    closed = _closed_since(status.recent_trades(TRADE_SCAN), start_ms)
    today, week, total = status.pnl("today"), status.pnl("week"), status.pnl("all")
    snap = status.snapshot()
    positions = snap.get("positions") or []
    wins = sum(1 for t in closed if _pnl(t) > 0)
    text = (
        f"{user_name}, today {fmt_money(today, cur, signed=True)} (week {fmt_money(week, cur, signed=True)}, "
        f"all time {fmt_money(total, cur, signed=True)}). {_count(len(closed), 'trade')} closed today"
        f"{f' ({wins} won, {len(closed) - wins} lost)' if closed else ''}; "
        f"{_count(len(positions), 'open position')}."
    )
    rows: list[Row] = [
        ("P&L today", fmt_money(today, cur, signed=True)),
        ("P&L this week", fmt_money(week, cur, signed=True)),
        ("P&L all time", fmt_money(total, cur, signed=True)),
        ("Closed today", f"{len(closed)} ({wins} won, {len(closed) - wins} lost)"),
        ("Equity", fmt_money(snap.get("equity_usd"), cur)),
        ("Open positions", str(len(positions))),
        ("Kill-switch", _kill_switch(snap)),
    ]
    return Reply(text=text, title=f"Daily summary — {now:%a %d %b %Y}", rows=rows)


def weekly_report(
    services: Services, clock: Clock, tz: str = "UTC", user_name: str = "jimmy", with_chart: bool = True
) -> Reply:
    """The last 7 days: P&L, trades (wins/losses/win rate, best/worst), equity change, drawdown."""
    status, cur = services.status, services.currency  # the account's currency (issue 17.9)
    now_ms = clock.now_ms()
    closed = _closed_since(status.recent_trades(TRADE_SCAN), now_ms - WEEK_MS)
    week = sum(_pnl(t) for t in closed)  # the report's own window (last 7 days), not the ISO week
    wins = sum(1 for t in closed if _pnl(t) > 0)
    curve = [(ts, float(eq)) for ts, eq in status.equity_curve() if ts >= now_ms - WEEK_MS]
    rows: list[Row] = [
        ("P&L, last 7 days", fmt_money(week, cur, signed=True)),
        ("Trades closed", str(len(closed))),
        ("Won / lost", f"{wins} / {len(closed) - wins}"),
        ("Win rate", f"{100 * wins / len(closed):.0f} %" if closed else "n/a (no trades)"),
    ]
    text = (f"{user_name}, the last 7 days: {fmt_money(week, cur, signed=True)} over "
            f"{_count(len(closed), 'closed trade')}")
    if closed:
        best, worst = max(closed, key=_pnl), min(closed, key=_pnl)
        rows += [("Best trade", _trade_label(best)), ("Worst trade", _trade_label(worst))]
        text += f"; best {_trade_label(best)}, worst {_trade_label(worst)}"
    shadow = _shadow_since(services, now_ms - WEEK_MS)
    if shadow is not None:  # issue 17: live vs shadow records of the same week
        would = fmt_money(sum(t.pnl for t in shadow), cur, signed=True)
        mean_r = f", mean {sum(t.r for t in shadow) / len(shadow):+.2f}R" if shadow else ""
        rows += [("Live record", f"{len(closed)} trade(s), {fmt_money(week, cur, signed=True)}"),
                 ("Shadow record", f"{len(shadow)} trade(s) not sent, would have made {would}"
                  f"{mean_r}")]
        text += f"; in shadow {_count(len(shadow), 'trade')} not sent would have made {would}"
    if len(curve) >= 2:
        rows += [
            ("Equity", f"{fmt_money(curve[0][1], cur)} -> {fmt_money(curve[-1][1], cur)}"),
            ("Max drawdown", f"{100 * max_drawdown([e for _, e in curve]):.1f}%"),
        ]
    image = None
    if with_chart and len(curve) >= 2:
        try:
            image = equity_curve_png(curve, "Equity, last 7 days", tz)
        except ChartUnavailable as exc:  # the report goes out without its picture, said once in the log
            logger.warning("weekly report: {}", exc)
    end = clock.now().astimezone(ZoneInfo(tz))
    title = f"Weekly report — {(end - timedelta(days=7)):%d %b} to {end:%d %b %Y}"
    return Reply(text=text + ".", title=title, rows=rows, image_png=image)


def build_daily_summary(services: Services, clock: Clock, tz: str = "UTC", user_name: str = "jimmy") -> str:
    return render_plain(daily_summary(services, clock, tz, user_name))


def build_weekly_report(services: Services, clock: Clock, tz: str = "UTC", user_name: str = "jimmy") -> str:
    return render_plain(weekly_report(services, clock, tz, user_name, with_chart=False))


def daily_report_event(services: Services, clock: Clock, tz: str = "UTC", user_name: str = "jimmy") -> Event:
    """What the scheduler's daily job passes to `notifier.notify`."""
    return Event("daily_report", build_daily_summary(services, clock, tz, user_name))


def weekly_report_event(services: Services, clock: Clock, tz: str = "UTC", user_name: str = "jimmy") -> Event:
    """The weekly push, with the equity chart as `data["image_png"]` for channels that show images."""
    reply = weekly_report(services, clock, tz, user_name)
    return Event(
        "weekly_report", render_plain(reply), {"image_png": reply.image_png} if reply.image_png else {}
    )


def _shadow_since(services: Services, since_ms: int) -> list[Any] | None:
    """Shadow trades closed in the window (None: no servant here)."""
    servant = services.servant
    if servant is None:
        return None
    return [t for t in servant.shadow_trades() if t.closed_ms >= since_ms]


def _closed_since(trades: Sequence[Mapping[str, Any]], since_ms: int) -> list[Mapping[str, Any]]:
    return [
        t for t in trades if t.get("status", "closed") == "closed" and int(t.get("exit_ms") or 0) >= since_ms
    ]


def _pnl(trade: Mapping[str, Any]) -> float:
    try:
        return float(trade.get("pnl") or 0.0)
    except (TypeError, ValueError):
        return 0.0


def _trade_label(trade: Mapping[str, Any]) -> str:
    pair = str(trade.get("pair") or "")
    quote = pair.partition("/")[2] or "USD"  # a trade's P&L is in its pair's quote
    return f"#{trade.get('id', '?')} {pair} {fmt_money(_pnl(trade), quote, signed=True)}"


def _kill_switch(snap: Mapping[str, Any]) -> str:
    ks = snap.get("kill_switch") or {}
    if not isinstance(ks, Mapping):
        return "-"
    return "tripped" if ks.get("tripped") else f"ok (today {fmt_num(ks.get('daily_pnl'), 2)})"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
