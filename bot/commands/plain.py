"""Answers for plain phrasings (issue 22.8): how much to buy, part of a holding, a timed pause,
"is the market open?", the trend of a pair, best and worst trades, "last week".

Why a module of its own: these are read by `bot/conversation/parser_plain.py` and the offline
engine into commands of their own; the money ones end in the existing order handler (echo and
`yes`), so nothing here moves money by itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from loguru import logger
from sqlmodel import Session, col, select

from bot.commands.context import (
    CommandContext,
    base_of,
    fmt_amount,
    fmt_money,
    fmt_price,
    fmt_time,
    price_decimals,
    quote_of,
    to_decimal,
)
from bot.commands.trading import order
from bot.conversation.envelope import Reply, Row
from bot.conversation.parsed import OrderSpec
from bot.conversation.parser import Command
from core.domain import ExchangeUnavailable, UserError, ZynError
from core.telemetry.models import DecisionRow, TradeRow
from core.trading.commands import Pause

DAY_MS = 86_400_000
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# ---- money, always through the order handler's echo and yes --------------------------------------
def ask_amount(ctx: CommandContext, cmd: Command) -> Reply:
    """"buy some bitcoin": a question back, nothing prepared."""
    side, pair = cmd.args[0], cmd.args[1]
    base = base_of(pair)
    verb = "buy" if side == "buy" else "sell"
    return Reply(
        text=f"How much {base} should I {verb}, {ctx.user_name}? Give an amount, e.g. {verb} 0.01 {base}"
        + (f" or {verb} $100 of {base}" if verb == "buy" else f", or a part of it, e.g. {verb} half my {base}")
        + "; I echo it and wait for your yes."
    )


def holding(ctx: CommandContext, base: str) -> Decimal:
    """How much of an asset the account holds (the status snapshot's balances)."""
    balances = ctx.services.status.snapshot().get("balances") or {}
    if not isinstance(balances, Mapping):
        return Decimal(0)
    return to_decimal(balances.get(base)) or Decimal(0)


def sell_part(ctx: CommandContext, cmd: Command) -> Reply:
    """"sell half my BTC": that part of the holding, rounded down to the pair's lot, then the usual
    echo and yes of `sell AMOUNT PAIR`."""
    pair, fraction = cmd.args[0], Decimal(cmd.args[1])
    base = base_of(pair)
    held = holding(ctx, base)
    if held <= 0:
        return Reply(text=f"You hold no {base}, so there is nothing to sell.")
    lots = ctx.services.market.lot_decimals(pair) if ctx.services.market is not None else 8
    amount = (held * fraction).quantize(Decimal(1).scaleb(-lots), rounding=ROUND_DOWN)
    if amount <= 0:
        raise UserError(f"that part of your {fmt_amount(held)} {base} is less than one lot")
    reply = order(ctx, Command("sell", order=OrderSpec(side="sell", amount=amount, pair=pair)))
    part = "all" if fraction == 1 else f"{_fraction_name(fraction)} of"
    return Reply(text=f"That is {part} your {fmt_amount(held)} {base}.\n{reply.text}", title=reply.title,
                 rows=reply.rows, columns=reply.columns, buttons=reply.buttons, kind=reply.kind)


def _fraction_name(fraction: Decimal) -> str:
    names = {Decimal("0.5"): "half", Decimal("0.25"): "a quarter"}
    return names.get(fraction, "a third" if abs(fraction - Decimal(1) / 3) < Decimal("0.001") else f"{fraction:.0%}")


# ---- timed pause ----------------------------------------------------------------------------------
def pause_end_ms(now_ms: int, kind: str, value: str, tz: str) -> int:
    """The end of a timed pause in the owner's time zone: ("for", seconds) or ("until", "tomorrow" |
    "tomorrow HH:MM" | weekday | "HH:MM" — the next such time)."""
    if kind == "for":
        return now_ms + int(value) * 1000
    zone = ZoneInfo(tz)
    now = datetime.fromtimestamp(now_ms / 1000, tz=zone)
    words = value.split()
    clock = words[-1] if ":" in words[-1] else "00:00"
    hour, minute = (int(x) for x in clock.split(":"))
    if words[0] == "tomorrow":
        day = now.date() + timedelta(days=1)
    elif words[0] in _WEEKDAYS:
        ahead = (_WEEKDAYS.index(words[0]) - now.weekday()) % 7 or 7
        day = now.date() + timedelta(days=ahead)
    else:  # "18:00": today if still ahead, else tomorrow
        day = now.date() if (now.hour, now.minute) < (hour, minute) else now.date() + timedelta(days=1)
    end = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    return int(end.timestamp() * 1000)


def pause_until(ctx: CommandContext, cmd: Command) -> Reply:
    """"pause trading until tomorrow": paused now, resumed by the scheduler at the end (and said so)."""
    kind, value = cmd.args[0], cmd.args[1]
    now = ctx.clock.now_ms()
    until = pause_end_ms(now, kind, value, ctx.tz)
    when = fmt_time(until, ctx.tz)
    ctx.services.trading.handle(Pause(f"paused by the owner on {ctx.env.channel} until {when}", until))
    return Reply(
        text=f"Paused until {when}: no new entries; open positions keep their stops and targets. "
        f"I resume by myself then and tell you; send resume to start earlier.",
        title="Paused",
    )


# ---- market open ----------------------------------------------------------------------------------
_STATUS_WORDS = {
    "online": "Kraken says it is online: trading works normally.",
    "maintenance": "Kraken says it is in maintenance: no trading until it is back online.",
    "cancel_only": "Kraken is in cancel-only mode: orders can be cancelled but not placed.",
    "post_only": "Kraken is in post-only mode: only limit orders that rest on the book are accepted.",
    "limit_only": "Kraken is in limit-only mode: market orders are refused.",
}


def market_open(ctx: CommandContext, cmd: Command) -> Reply:
    """Crypto has no opening hours; whether the exchange is up is Kraken's SystemStatus."""
    first = "Crypto trades around the clock, every day: there is no opening bell."
    source = ctx.services.system_status
    if source is None:
        return Reply(text=f"{first} I'm replaying stored candles in paper mode, so I'm not asking Kraken.",
                     title="Market")
    try:
        state = source()
    except (ExchangeUnavailable, ZynError, OSError) as exc:
        return Reply(text=f"{first} But I can't reach Kraken right now to ask whether it is online ({exc}).",
                     title="Market")
    line = _STATUS_WORDS.get(state, f"Kraken reports its status as {state!r}.")
    return Reply(text=f"{first} {line}", title="Market")


# ---- trend ----------------------------------------------------------------------------------------
def trend(ctx: CommandContext, cmd: Command) -> Reply:
    """SMA20, ATR and the multi-timeframe (mtf) state of a pair: computed with the strategy's own
    indicators on the feed's closed candles (`core/strategy/trend_view.py`); without a feed, as the
    autopilot last computed them at a candle close (its decision row)."""
    pair = cmd.args[0] if cmd.args else (ctx.services.pairs[0] if ctx.services.pairs else "BTC/USD")
    view = None
    if ctx.services.trend is not None:
        try:
            view = ctx.services.trend(pair)
        except (ZynError, OSError) as exc:  # no candles for that pair, exchange down: fall back
            logger.bind(pair=pair).info("trend from the feed failed: {}", exc)
    if view is not None and view.sma20 is not None:
        return _trend_reply(ctx, pair, view.ts_ms, view.timeframe, view.close, view.sma20, view.atr,
                            _mtf_rows(ctx, view.higher), None)
    with Session(ctx.db) as s:
        row = s.exec(
            select(DecisionRow).where(DecisionRow.pair == pair, col(DecisionRow.sma).is_not(None))
            .order_by(col(DecisionRow.ts_ms).desc()).limit(1)
        ).first()
    if row is None or row.price is None or row.sma is None:
        return Reply(text=f"I have no indicators for {pair} yet: no closed candles for it here.",
                     title=f"Trend {pair}")
    return _trend_reply(ctx, pair, row.ts_ms, row.timeframe or "-", row.price, row.sma, row.atr,
                        [("Higher timeframes (mtf)", _mtf_from_decision(ctx, row))], f"{row.action}: {row.reason}")


def _trend_reply(ctx: CommandContext, pair: str, ts_ms: int, timeframe: str, close: float, sma: float,
                 atr: float | None, mtf: list[Row], decision: str | None) -> Reply:
    dp = price_decimals(ctx, pair)
    gap = (close - sma) / sma if sma else 0.0
    side = "above" if gap > 0 else "below" if gap < 0 else "at"
    word = "up" if gap > 0 else "down" if gap < 0 else "flat"
    rows: list[Row] = [
        ("Candle", f"{fmt_time(ts_ms, ctx.tz)} ({timeframe})"),
        ("Close", fmt_price(close, dp)),
        ("SMA20", f"{fmt_price(sma, dp)} (close {abs(gap):.2%} {side})"),
        ("ATR", f"{fmt_price(atr, dp)} ({atr / close:.2%} of the price)" if atr and close else "-"),
        *mtf,
    ]
    if decision is not None:
        rows.append(("Last decision", decision))
    text = f"{pair} is trending {word}: the last closed candle is {side} its 20-candle average."
    return Reply(text=text, title=f"Trend {pair}", rows=rows)


def _mtf_rows(ctx: CommandContext, higher: tuple[tuple[str, str], ...]) -> list[Row]:
    modules = ctx.services.modules
    on = modules is not None and modules.features.enabled("mtf")
    if not higher:
        return [("Higher timeframes (mtf)", "none above the trading timeframe")]
    note = "" if on else "; the mtf module is off: shown, not used"
    return [(f"{h} trend (mtf{note})", state) for h, state in higher]


def _mtf_from_decision(ctx: CommandContext, row: DecisionRow) -> str:
    modules = ctx.services.modules
    if modules is None or not modules.features.enabled("mtf"):
        return "not checked (the mtf module is off)"
    if "mtf" in row.reason.lower() or "sma20" in row.reason.lower():
        return f"against ({row.reason})"
    return "no objection at the last close"


# ---- best / worst ---------------------------------------------------------------------------------
def extremes(ctx: CommandContext, cmd: Command) -> Reply:
    """Best and worst closed trades and pairs (by net P&L), from the last 100 trades."""
    trades = [t for t in ctx.services.status.recent_trades(100) if to_decimal(t.get("pnl")) is not None]
    if not trades:
        return Reply(text="No closed trades yet, so no best or worst.", title="Best and worst")
    ranked = sorted(trades, key=lambda t: to_decimal(t.get("pnl")) or Decimal(0))
    by_pair: dict[str, Decimal] = defaultdict(Decimal)
    for t in trades:
        by_pair[str(t.get("pair") or "-")] += to_decimal(t.get("pnl")) or Decimal(0)
    pairs = sorted(by_pair.items(), key=lambda kv: kv[1])
    rows: list[Row] = [
        ("Best trade", _trade_line(ranked[-1])),
        ("Worst trade", _trade_line(ranked[0])),
        ("Best pair", f"{pairs[-1][0]} {fmt_money(pairs[-1][1], quote_of(pairs[-1][0]), signed=True)}"),
        ("Worst pair", f"{pairs[0][0]} {fmt_money(pairs[0][1], quote_of(pairs[0][0]), signed=True)}"),
    ]
    return Reply(text=f"Best and worst of the last {len(trades)} closed trades (net P&L).",
                 title="Best and worst", rows=rows)


def _trade_line(t: Mapping[str, Any]) -> str:
    pair = str(t.get("pair") or "-")
    return f"#{t.get('id', '-')} {pair} {fmt_money(t.get('pnl'), quote_of(pair), signed=True)}"


# ---- "last week" ----------------------------------------------------------------------------------
def pnl_days(ctx: CommandContext, cmd: Command) -> Reply:
    """Realized P&L of the trades closed in the N days ending now ("last week" = 7 days ending now,
    not the calendar week `pnl week` shows), saying which days that is."""
    days = int(cmd.args[0]) if cmd.args else 7
    now = ctx.clock.now_ms()
    start = now - days * DAY_MS
    with Session(ctx.db) as s:
        rows = s.exec(
            select(TradeRow).where(TradeRow.status == "closed", col(TradeRow.exit_ms) >= start,
                                   col(TradeRow.exit_ms) <= now)
        ).all()
    total = sum((Decimal(r.pnl) for r in rows if r.pnl is not None), Decimal(0))
    quote = quote_of(rows[0].pair) if rows else "USD"
    span = f"{fmt_time(start, ctx.tz)} to {fmt_time(now, ctx.tz)}"
    text = (f"P&L over the last {days} days ({span}; I read \"last week\" as the {days} days ending now): "
            f"{fmt_money(total, quote, signed=True)} from {len(rows)} closed trade{'s' if len(rows) != 1 else ''}.")
    return Reply(text=text, title=f"P&L last {days} days")


HANDLERS = {
    "ask_amount": ask_amount,
    "sell_part": sell_part,
    "pause_until": pause_until,
    "market_open": market_open,
    "trend": trend,
    "extremes": extremes,
    "pnl_days": pnl_days,
}
