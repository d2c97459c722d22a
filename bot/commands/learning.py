"""Explanations and learning: insights, why, autopilot, learn, memory, forget, backtest.

Why they read the telemetry tables directly: decisions, trades, insights and the agent's memory
are pinned tables (core/telemetry/models.py) and explaining a trade is just reading them back —
no service method to wait for. `learn` and `backtest` need the optional learning services.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlmodel import Session, col, select

from bot.commands.context import (
    CommandContext,
    fmt_amount,
    fmt_money,
    fmt_num,
    fmt_price,
    fmt_time,
    price_decimals,
)
from bot.commands.owner import facts_rows
from bot.commands.stats import context_record
from bot.conversation import memory as conversation_memory
from bot.conversation.envelope import Reply, Row
from bot.conversation.parser import Command
from bot.owner.settings import StandingMemory
from bot.text.status_text import plain_value
from core.domain import UserError
from core.learning.stats import rate_text
from core.telemetry.models import DecisionRow, InsightRow, OrderRow, TradeRow

SKIP_ACTIONS = ("skip", "shadow", "none", "halt", "hold")
NOT_TAKEN = ("skip", "halted", "shadow")  # a signal not traded: skipped, halted, or held in shadow (issue 17)


def insights(ctx: CommandContext, cmd: Command) -> Reply:
    with Session(ctx.db) as s:
        rows = s.exec(
            select(InsightRow).where(col(InsightRow.active)).order_by(col(InsightRow.ts_ms).desc()).limit(10)
        ).all()
    if not rows:
        return Reply(
            text="No insights yet: they appear once the learner has seen enough closed trades "
            "(send learn to run it now).",
            title="Insights",
        )
    return Reply(
        text=f"{len(rows)} current insight(s).",
        title="Insights",
        rows=[(r.title or "-", r.text) for r in rows],
    )


def why(ctx: CommandContext, cmd: Command) -> Reply:
    """`why N` explains trade N, `why skip` the latest skip, `why ETH/USD` the latest ETH/USD
    trade (or decision), bare `why` the latest trade (or skip)."""
    arg = cmd.args[0] if cmd.args else "last"
    pair = cmd.args[1] if arg in ("pair", "skip") and len(cmd.args) > 1 else None
    with Session(ctx.db) as s:
        if arg == "skip":
            query = _decisions() if pair is None else _decisions().where(DecisionRow.pair == pair)
            if pair is not None:  # a real skip of that pair first, else its latest non-entry
                found = _latest(s, query.where(col(DecisionRow.action).in_(NOT_TAKEN)))
                if found is not None:
                    return _explain_skip(ctx, found)
            return _explain_skip(ctx, _latest(s, query.where(col(DecisionRow.action).in_(SKIP_ACTIONS))))
        if arg in ("last", "pair"):
            query = select(TradeRow).order_by(col(TradeRow.entry_ms).desc(), col(TradeRow.id).desc())
            if pair is not None:
                query = query.where(TradeRow.pair == pair)
            trade = s.exec(query.limit(1)).first()
            if trade is None:
                decisions = _decisions() if pair is None else _decisions().where(DecisionRow.pair == pair)
                skipped = decisions.where(col(DecisionRow.action).in_(NOT_TAKEN))
                found = _latest(s, skipped) or _latest(s, decisions)
                if found is None and pair is not None:
                    return Reply(text=f"No {pair} trades or decisions yet, so nothing to explain.", title="Why")
                return _explain_skip(ctx, found)
        else:
            trade = s.get(TradeRow, int(arg))
            if trade is None:
                raise UserError(f"there is no trade #{arg}; send trades to see their numbers")
        decision = s.get(DecisionRow, trade.decision_id) if trade.decision_id else None
        manual = manual_origin(ctx, s, trade) if decision is None else None
        reply = _explain_trade(ctx, trade, decision, manual)
        return _with_other_positions(ctx, s, trade, reply)


def _with_other_positions(ctx: CommandContext, s: Session, trade: TradeRow, reply: Reply) -> Reply:
    """A pair may hold a manual position beside the autopilot's: name the others, each with its
    own stop and target, so `why BTC/USD` never reads as if there were one position."""
    others = s.exec(
        select(TradeRow).where(TradeRow.pair == trade.pair, TradeRow.status == "open", TradeRow.id != trade.id,
                               TradeRow.source == trade.source)
    ).all()
    if not others:
        return reply
    dp = price_decimals(ctx, trade.pair)
    rows = list(reply.rows or [])
    for o in others:
        whose = "manual" if manual_origin(ctx, s, o) is not None else "autopilot"
        rows.append((
            f"Also open #{o.id}",
            f"{whose}, {fmt_amount(o.amount)} {trade.pair}, stop {fmt_price(o.stop_price, dp)}, "
            f"target {fmt_price(o.target_price, dp)}",
        ))
    return replace(reply, rows=rows)


MANUAL_PURPOSES = ("manual", "entry_limit")


def manual_origin(ctx: CommandContext, s: Session, trade: TradeRow) -> str | None:
    """"placed by jimmy on telegram at …" for a trade bought by hand; None for the autopilot's."""
    origin = ctx.kv.get_json(f"manual:trade:{trade.id}")
    if isinstance(origin, dict):
        who = origin.get("user_name") or "you"
        return f"placed by hand by {who} on {origin.get('channel', '?')} at {fmt_time(origin.get('ms'), ctx.tz)}"
    context = _context_dict(trade.context_json)
    if context.get("origin") == "manual":
        who = context.get("placed_by") or "the owner"
        return f"placed by hand by {who} at {fmt_time(trade.entry_ms, ctx.tz)}"
    order = s.exec(
        select(OrderRow).where(OrderRow.trade_id == trade.id, col(OrderRow.purpose).in_(MANUAL_PURPOSES))
    ).first()
    if order is not None:
        return f"placed by hand (a manual order, {order.purpose}) at {fmt_time(trade.entry_ms, ctx.tz)}"
    return None


def autopilot(ctx: CommandContext, cmd: Command) -> Reply:
    """What the autopilot is doing: running/paused, and its latest decision per pair."""
    snap = ctx.services.status.snapshot()
    auto = snap.get("autopilot") or {}
    state = (
        "paused (" + str(auto.get("paused_reason")) + ")"
        if auto.get("paused_reason")
        else ("running" if auto.get("running") else "stopped")
    )
    latest: dict[str, DecisionRow] = {}
    with Session(ctx.db) as s:
        for d in s.exec(_decisions().limit(500)).all():
            latest.setdefault(d.pair, d)
    rows: list[Row] = [
        (pair, f"{fmt_time(d.ts_ms, ctx.tz)}: {d.action or '-'} — {d.reason or 'no reason logged'}")
        for pair, d in sorted(latest.items())
    ]
    text = f"The autopilot is {state}."
    text += "" if rows else " It has made no decisions yet (no closed candles seen)."
    return Reply(text=text, title="Autopilot", rows=rows)


def learn(ctx: CommandContext, cmd: Command) -> Reply:
    if ctx.services.learner is None:
        return Reply(text="Learning is not set up in this build yet.", title="Learn")
    changes = ctx.services.learner.relearn()
    return Reply(text=str(changes.get("text") or "Learner ran."), title="Learn", rows=learn_rows(changes))


def _r_text(value: object) -> str:
    return f"{value:+.2f}R" if isinstance(value, int | float) and not isinstance(value, bool) else "none"


def learn_rows(changes: Mapping[str, object]) -> list[Row]:
    """What a re-learn changed, for people: R figures as "+0.19R", each moved context on its own
    row ("Asia session (23 trades)": "+0.10R -> +0.19R"), never a list or dict shown raw."""
    rows: list[Row] = []
    for key, value in changes.items():
        label = str(key).replace("_", " ")
        if key in ("text", "moved"):
            continue
        if key.endswith("overall_r"):
            rows.append((label.replace(" r", " R per trade"), _r_text(value)))
        elif key == "sized" and isinstance(value, Mapping):
            rows.append((label, ", ".join(f"{c} x{f:g}" for c, f in value.items()) or "none"))
        else:
            rows.append((label, plain_value(value)))
    moved = changes.get("moved")
    for m in moved if isinstance(moved, list) else []:
        if isinstance(m, Mapping):
            before = "new" if m.get("before_r") is None else _r_text(m.get("before_r"))
            rows.append((f"{m.get('context')} ({m.get('n')} trades)", f"{before} -> {_r_text(m.get('after_r'))}"))
    return rows[:40]


def memory(ctx: CommandContext, cmd: Command) -> Reply:
    """Kept facts and standing rules (durable, apart from the conversation), then exactly what the
    agent would be given about this conversation (bot/conversation/memory.py owns that format)."""
    rows = facts_rows(ctx)
    rows += [(f"rule {n}", r.text) for n, r in StandingMemory(ctx.kv).numbered_rules()]
    return Reply(
        text=conversation_memory.show_memory(ctx.db, ctx.env.channel, ctx.env.user_id),
        title="Memory",
        rows=rows,
    )


def forget(ctx: CommandContext, cmd: Command) -> Reply:
    """The agent forgets this user; the message audit log stays (it is a security record)."""
    conversation_memory.forget(ctx.db, ctx.env.channel, ctx.env.user_id)
    return Reply(
        text="Done: I have forgotten our conversation. The audit log keeps the messages, "
        "but I will not use them any more.",
        title="Forget",
    )


def backtest(ctx: CommandContext, cmd: Command) -> Reply:
    pair = cmd.args[0]
    if ctx.services.backtester is None:
        return Reply(text="Backtests are not available from chat here; use zyn backtest --data CSV.")
    result = ctx.services.backtester.backtest(pair)
    pair = str(result.get("pair") or pair)  # `backtest SOL` may have found SOL/USDT
    rows: list[Row] = [(k.replace("_", " "), v) for k, v in _backtest_fields(result)]
    text = (
        f"{pair} on {result.get('candles', '?')} {result.get('timeframe', '')} candles: "
        f"{result.get('trades', 0)} trades, final equity {fmt_money(result.get('final_equity'))}."
    )
    return Reply(text=text, title=f"Backtest {pair}", rows=rows)


_BACKTEST_MONEY = ("final_equity", "fees_paid")
_BACKTEST_PERCENT = ("total_return", "max_drawdown")
_BACKTEST_RATIO = ("profit_factor", "expectancy_r", "sharpe")


def _backtest_fields(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The backtest summary for people: money to cents, fractions as %, the win rate with its n and CI."""
    out: list[tuple[str, str]] = []
    for key in ("trades", "wins", "losses"):
        if key in result:
            out.append((key, fmt_num(result.get(key))))
    wins, n = result.get("wins"), result.get("trades")
    if isinstance(wins, int) and isinstance(n, int) and n > 0:
        out.append(("win_rate", rate_text(wins, n)))
    elif "win_rate" in result:
        out.append(("win_rate", _percent(result.get("win_rate"))))
    for key in _BACKTEST_RATIO:
        if key in result:
            value = result.get(key)
            out.append((key, "n/a" if value is None else fmt_num(value, 2)))
    out += [(key, _percent(result.get(key))) for key in _BACKTEST_PERCENT if key in result]
    out += [(key, fmt_money(result.get(key))) for key in _BACKTEST_MONEY if key in result]
    return out


def _percent(value: object) -> str:
    return f"{100 * value:.1f} %" if isinstance(value, int | float) and not isinstance(value, bool) else "n/a"


def _decisions() -> Any:
    return select(DecisionRow).order_by(col(DecisionRow.ts_ms).desc(), col(DecisionRow.id).desc())


def _latest(s: Session, query: Any) -> DecisionRow | None:
    """The newest decision of `query`, read with LIMIT 1 (issue 20.5): without it the ORM builds a
    DecisionRow for EVERY matching row before `first()` keeps one — at 240 pairs up to 5,760 more a
    day, a transient of several MB per `why` that grew with the run and left the heap behind."""
    found: DecisionRow | None = s.exec(query.limit(1)).first()
    return found


def _explain_trade(
    ctx: CommandContext, trade: TradeRow, decision: DecisionRow | None, manual: str | None = None
) -> Reply:
    reason = (
        decision.reason
        if decision is not None and decision.reason
        else "the entry signal (close crossed above SMA20)"
    )
    dp = price_decimals(ctx, trade.pair)
    bought = f"Trade #{trade.id} {trade.pair}: bought {fmt_amount(trade.amount)} at {fmt_price(trade.entry_price, dp)}"
    if manual is not None:
        text = f"{bought}: a manual trade, {manual}; not an autopilot signal."
    else:
        text = f"{bought} on {fmt_time(trade.entry_ms, ctx.tz)} by the autopilot, because of {reason}."
    if trade.status == "closed":
        text += (
            f" Closed at {fmt_price(trade.exit_price, dp)} ({trade.exit_reason or 'exit'}), "
            f"P&L {fmt_money(trade.pnl, signed=True)}"
            + (f", {trade.r_multiple:+.2f}R." if trade.r_multiple is not None else ".")
        )
    else:
        text += " Still open."
    rows: list[Row] = [
        ("Stop", fmt_price(trade.stop_price, dp)),
        ("Target", fmt_price(trade.target_price, dp)),
        ("ATR", fmt_price(trade.atr, dp)),
        ("SMA20", fmt_price(trade.sma, dp)),
        ("Source", f"{trade.source}, {'manual' if manual is not None else 'autopilot'}"),
    ]
    if decision is not None and decision.learner_note:
        rows.append(("Learner", f"{decision.learner_note} (size x{fmt_num(decision.size_factor, 2)})"))
    context = _context(trade.context_json)
    if context:
        rows.append(("Context", context))
    return Reply(text=text, title=f"Why trade #{trade.id}", rows=rows)


def _explain_skip(ctx: CommandContext, d: DecisionRow | None) -> Reply:
    if d is None:
        return Reply(text="No trades and no autopilot decisions yet, so nothing to explain.", title="Why")
    what = f"{d.action or 'no action'} — {d.reason or 'no reason logged'}"
    text = f"{d.pair} at {fmt_time(d.ts_ms, ctx.tz)}: {what}."
    dp = price_decimals(ctx, d.pair or "")
    rows: list[Row] = [
        ("Close", fmt_price(d.price, dp)),
        ("SMA20", fmt_price(d.sma, dp)),
        ("ATR", fmt_price(d.atr, dp)),
    ]
    if d.learner_note:
        rows.append(("Learner", d.learner_note))
    if d.action in SKIP_ACTIONS:
        record = context_record(ctx.db, d.ts_ms)
        text += f"\n{record}" if record else ""
    return Reply(text=text, title="Why", rows=rows)


def _context_dict(raw: str) -> dict[str, Any]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _context(raw: str) -> str:
    data = {k: v for k, v in _context_dict(raw).items() if k not in ("origin", "placed_by")}
    return ", ".join(f"{k}={v}" for k, v in sorted(data.items())[:6])


def learning_question(ctx: CommandContext, cmd: Command) -> Reply:
    """ "what have you learned?", "is learning helping?", "should I turn learning off?" """
    from bot.commands.learning_answers import answer  # lazy: keeps numpy out of this import

    return answer(ctx, cmd.args[0] if cmd.args else "helping")


HANDLERS = {
    "learning_question": learning_question,
    "insights": insights,
    "why": why,
    "autopilot": autopilot,
    "learn": learn,
    "memory": memory,
    "forget": forget,
    "backtest": backtest,
}
