"""Honest answers about the servant (issue 17): live/shadow per pair, forcing a pair live, and the
owner's questions "how are you doing?", "would mtf help?", "should I keep trading?".

Why every sentence is built from figures: an outside check found "how are you doing?" answering
"The autopilot is running." at +11 % and at -28.8 % alike, and "should I turn on mtf?" getting the
help text. Here the numbers come from the status service (the exchange's own P&L), the evidence
gate (`status["evidence"]`), the shadow record, and a backtest of the plain strategy and of the
asked module over the owner's pairs on the candles Zyn holds (`core.research.what_if`) — and the
verdict is computed from them, so a different account gets a different answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.commands.context import CommandContext, fmt_money
from bot.conversation.envelope import Reply, Row
from bot.conversation.parser import Command
from bot.owner.settings import StandingMemory
from bot.text.evidence import evidence_line, evidence_of, evidence_rows, record_rows, record_words  # noqa: F401
from core.domain import UserError
from core.evidence import DEFAULT_RULE, PairEvidence
from core.research.what_if import MIN_VERDICT_MONTHS, MIN_VERDICT_TRADES, WhatIf
from core.trading.rules import Rule
from core.trading.servant import evidence_text

MARGIN = 0.001  # a variant "better" by less than 0.1 % of the account is a tie, not a finding
QUARTER_SLACK_MONTHS = 0.5  # a fold of 2.5-3.5 months may be called a quarter; otherwise "equal parts"


def _pair_of(ctx: CommandContext, pair: str, explicit: bool = False) -> str:
    """`BTC` means the configured BTC pair whatever its quote (BTC/USDT when that is traded);
    `BTC/USD` (`explicit`: the quote was named) means that pair only."""
    pairs = list(ctx.services.pairs)
    if pair in pairs or not pairs:
        return pair
    if explicit:
        raise UserError(f"I don't trade {pair}; my pairs are {', '.join(pairs)}")
    base = pair.partition("/")[0]
    same = [p for p in pairs if p.partition("/")[0] == base]
    if len(same) == 1:
        return same[0]
    raise UserError(f"I don't trade {pair}; my pairs are {', '.join(pairs)}")


# ------------------------------------------------------------------------------- handlers
def servant_question(ctx: CommandContext, cmd: Command) -> Reply:
    kind = cmd.args[0] if cmd.args else ""
    arg = cmd.args[1] if len(cmd.args) > 1 else ""
    if kind == "why_not":
        return why_not(ctx, _pair_of(ctx, arg))
    if kind == "how":
        return how_doing(ctx)
    if kind == "would":
        return would_help(ctx, arg)
    if kind == "keep":
        return keep_trading(ctx)
    raise UserError("I did not understand that question")


def why_not(ctx: CommandContext, pair: str) -> Reply:
    snap = ctx.services.status.snapshot()
    evidence = evidence_of(snap)
    auto = snap.get("autopilot") or {}
    paused = auto.get("paused_reason")
    rows: list[Row] = [("autopilot", "running" if auto.get("running") else f"not trading: {paused or '-'}")]
    if not evidence:
        text = (f"The evidence gate is off (ZYN_EVIDENCE=off): I trade the plain strategy on {pair} like every pair"
                + (f"; right now nothing trades because {paused}." if paused else "; it trades when its signal comes."))
        return Reply(text=text, title=f"Why not {pair}?", rows=rows)
    ev = evidence.get(pair)
    if ev is None:
        raise UserError(f"I don't trade {pair}; my pairs are {', '.join(evidence)}")
    rows.append((pair, evidence_text(ev).partition(": ")[2]))
    rows += record_rows(ctx.kv, snap)
    record = record_words(ctx.kv)
    of = f" Its record is that of {record} (the modules on at the last candle)." if record else ""
    shadow = [t for t in _shadow_trades(ctx) if t.pair == pair]
    if shadow:
        mean_r = sum(t.r for t in shadow) / len(shadow)
        rows.append(("shadow trades recorded", f"{len(shadow)}, mean {mean_r:+.2f}R"))
    rule = DEFAULT_RULE
    if ev.state == "live":
        why = "It is live" + (" because your rule forces it" if ev.forced else "")
        why += ": I do trade it when its signal comes"
        text = f"{evidence_text(ev)}. {why}" + (f", but now nothing trades because {paused}." if paused else ".") + of
    else:
        window = f"the last {rule.lookback_days} days" if rule.lookback_days else "its whole record"
        needs = (f"it goes live when at least {rule.min_trades} trades of {window} put the "
                 f"90 % interval's low end above {rule.enter_above:+.2f}R")
        text = (f"{evidence_text(ev)}. In shadow I record each signal with its size, stop and target and send no "
                f"order; {needs}. `trade {pair} anyway` forces it live (a standing rule, undone by forget rule N).{of}")
    return Reply(text=text, title=f"Why not {pair}?", rows=rows)


def trade_anyway(ctx: CommandContext, cmd: Command) -> Reply:
    """Echo the evidence, then wait for `yes` (the rule is stored by `run_force_live`)."""
    pair = _pair_of(ctx, cmd.args[0] if cmd.args else "", explicit=cmd.args[1:2] == ("explicit",))
    snap = ctx.services.status.snapshot()
    evidence = evidence_of(snap)
    if not evidence:
        return Reply(text=f"The evidence gate is off (ZYN_EVIDENCE=off): {pair} already trades like every pair. "
                          "Nothing to force.")
    ev = evidence.get(pair)
    if ev is None:
        raise UserError(f"I don't trade {pair}; my pairs are {', '.join(evidence)}")
    if any(r.kind == "force_live" and r.value == pair for r in StandingMemory(ctx.kv).rules()):
        return Reply(text=f"{pair} is already forced live by your rule (rules lists it; forget rule N undoes it).")
    summary = (f"trade {pair} live whatever its evidence says (a standing rule) — its evidence: "
               f"{evidence_text(ev).partition(': ')[2]}")
    ctx.confirmations.put(ctx.env, "force_live", summary, {"pair": pair})
    minutes = max(1, ctx.confirmations.window_ms // 60_000)
    text = (f"{ctx.user_name}, please confirm: {summary}.\nReply yes within {minutes} minutes to go ahead, "
            "or no to drop it.")
    return Reply(text=text, kind="confirm", title=f"Confirm: trade {pair} anyway",
                 rows=[(pair, evidence_text(ev).partition(": ")[2])], buttons=["yes", "no"])


def run_force_live(ctx: CommandContext, payload: Mapping[str, Any]) -> tuple[bool, str]:
    """The confirmed `trade PAIR anyway`: a standing rule the gate reads at the next candle."""
    pair = str(payload.get("pair") or "")
    if not pair:
        return False, "no pair to force"
    number = StandingMemory(ctx.kv).add_rule(Rule("force_live", pair, f"trade {pair} anyway"))
    return True, (f"Rule {number} kept: trade {pair} live whatever its evidence says, from the next candle. "
                  f"forget rule {number} undoes it.")


def how_doing(ctx: CommandContext) -> Reply:
    """P&L today / week / since start, against standing aside (0) and the plain strategy's backtest
    of the same period on the same candles; live and shadow records."""
    status = ctx.services.status
    snap = status.snapshot()
    quote = ctx.services.currency
    today, week, total = status.pnl("today"), status.pnl("week"), status.pnl("all")
    curve = list(status.equity_curve())
    start_ms, start_eq = (curve[0][0], curve[0][1]) if curve else (None, None)
    equity = snap.get("equity_usd")
    rows: list[Row] = [("P&L today", fmt_money(today, quote, signed=True)),
                       ("P&L this week", fmt_money(week, quote, signed=True)),
                       ("P&L since start", fmt_money(total, quote, signed=True))]
    parts = [f"Today {fmt_money(today, quote, signed=True)}, this week {fmt_money(week, quote, signed=True)}, "
             f"since start {fmt_money(total, quote, signed=True)}"]
    if start_eq and isinstance(equity, int | float):
        change = equity / start_eq - 1.0
        rows.append(("equity change since start", f"{100 * change:+.2f} %"))
        verdict = "better than" if change > MARGIN else "worse than" if change < -MARGIN else "level with"
        parts.append(f"equity {100 * change:+.2f} % since start — {verdict} standing aside (0 %)")
    servant = ctx.services.servant
    expected = servant.what_if(None, since_ms=start_ms) if servant is not None and start_ms is not None else None
    if isinstance(expected, WhatIf):
        rows.append(("plain backtest, same period", f"{100 * expected.plain.mean_return:+.2f} % per pair"))
        parts.append(f"the plain strategy's backtest of the same {expected.months:.1f} months on my "
                     f"{len(expected.pairs)} pair(s) expected {100 * expected.plain.mean_return:+.2f} % per pair "
                     f"({expected.plain.trades} trades)")
    live_n, shadow_n = _records(ctx, snap)
    rows += [("live trades closed", str(live_n[0])), ("shadow trades closed", str(shadow_n[0]))]
    parts.append(f"{live_n[0]} live trade(s) closed{live_n[1]} and {shadow_n[0]} in shadow{shadow_n[1]}")
    return Reply(text="; ".join(parts) + ".", title="How I am doing", rows=rows)


def would_help(ctx: CommandContext, feature: str) -> Reply:
    servant = ctx.services.servant
    if servant is None:
        raise UserError("I cannot measure that here (no candle history in this process)")
    if feature not in servant.measurable:
        return Reply(text=f"I can measure {', '.join(servant.measurable)} on your pairs; {feature!r} is not something "
                          "I can backtest, so I have no evidence either way.", title="Would it help?")
    found = servant.what_if(feature)
    if not isinstance(found, WhatIf) or found.variant is None:
        return Reply(text="I hold too few candles of your pairs to measure that yet (at least 60 per pair).",
                     title=f"Would {feature} help?")
    plain, other = found.plain, found.variant
    better = found.folds_better()
    diff = other.mean_return - plain.mean_return
    parts = _parts(found)
    text = (f"On your {len(found.pairs)} pair(s) over {_span(found.months)} of candles I hold, {feature} would "
            f"have {_made(other.mean_return)} (per pair) instead of {100 * plain.mean_return:+.1f} % for the plain "
            f"strategy ({plain.trades} trades); better in {better} of {len(plain.fold_returns)} {parts}.")
    if not found.enough_for_verdict():
        text += " " + _too_little() + _states(evidence_of(ctx.services.status.snapshot()))
    else:
        if diff > MARGIN and better * 4 >= 3 * len(plain.fold_returns):
            text += f" {feature} measured better here"
        elif diff < -MARGIN:
            text += f" {feature} measured worse here"
        else:
            text += " No clear difference"
        text += _standing(other.mean_return, plain.mean_return, evidence_of(ctx.services.status.snapshot()))
    rows: list[Row] = [("plain", f"{100 * plain.mean_return:+.2f} % ({plain.trades} trades)"),
                       (feature, f"{100 * other.mean_return:+.2f} % ({other.trades} trades)"),
                       (f"{_row_parts(found)} better", f"{better} of {len(plain.fold_returns)}")]
    return Reply(text=text, title=f"Would {feature} help?", rows=rows)


def keep_trading(ctx: CommandContext) -> Reply:
    servant = ctx.services.servant
    found = servant.what_if(None) if servant is not None else None
    evidence = evidence_of(ctx.services.status.snapshot())
    if not isinstance(found, WhatIf):
        return Reply(text="I hold too few candles of your pairs to judge yet (at least 60 per pair)." +
                          _states(evidence), title="Should you keep trading?")
    plain = found.plain
    positive = sum(r > 0 for r in plain.fold_returns)
    text = (f"On your {len(found.pairs)} pair(s) over {_span(found.months)} of candles I hold, the plain strategy "
            f"{_made(plain.mean_return)} per pair ({plain.trades} trades; positive in {positive} of "
            f"{len(plain.fold_returns)} {_parts(found)}) against 0 % for standing aside.")
    if not found.enough_for_verdict():
        text += " " + _too_little()
    elif plain.mean_return < -MARGIN:
        text += " On this record standing aside did better."
    elif plain.mean_return > MARGIN and positive * 4 >= 3 * len(plain.fold_returns):
        text += f" On this record trading paid, in most {_parts(found)}."
    else:
        text += " On this record trading and standing aside are close."
    text += _states(evidence)
    rows: list[Row] = [("plain strategy", f"{100 * plain.mean_return:+.2f} % per pair"), ("standing aside", "0 %"),
                       (f"{_row_parts(found)} positive", f"{positive} of {len(plain.fold_returns)}")]
    return Reply(text=text, title="Should you keep trading?", rows=rows)


# ------------------------------------------------------------------------------- helpers
def _is_quarterly(found: WhatIf) -> bool:
    """Each fold is called a quarter only when it really spans about three months."""
    return abs(found.fold_months() - 3.0) <= QUARTER_SLACK_MONTHS


def _parts(found: WhatIf) -> str:
    """"quarters" when each fold is ~3 months, else "equal parts of that period" (never a false "quarter")."""
    return "quarters" if _is_quarterly(found) else "equal parts of that period"


def _row_parts(found: WhatIf) -> str:
    return "quarters" if _is_quarterly(found) else "equal parts"


def _too_little() -> str:
    """The plain admission when the history is below the minimum for a verdict (figures are still given)."""
    return (f"That is too little history to tell: I need at least {MIN_VERDICT_MONTHS:.0f} months of candles and "
            f"{MIN_VERDICT_TRADES} trades of the plain strategy before I call a difference a finding.")


def _span(months: float) -> str:
    """"14 months", but "0.4 months" for a short history (never "over 0 months")."""
    return f"{months:.0f} months" if months >= 2 else f"{months:.1f} months"


def _made(r: float) -> str:
    return f"{'made' if r >= 0 else 'lost'} {abs(100 * r):.1f} %"


def _states(evidence: Mapping[str, PairEvidence]) -> str:
    if not evidence:
        return " The evidence gate is off (ZYN_EVIDENCE=off): I trade every pair."
    live = [p for p, e in evidence.items() if e.state == "live"]
    shadow = [p for p, e in evidence.items() if e.state != "live"]
    if not live:
        return f" I keep all {len(shadow)} pair(s) in shadow (no order) until their evidence says live."
    return f" Live now: {', '.join(live)}; in shadow: {', '.join(shadow) or 'none'}."


def _standing(other: float, plain: float, evidence: Mapping[str, PairEvidence]) -> str:
    both_lose = other < -MARGIN and plain < -MARGIN
    return ("; both lose." if both_lose else ".") + _states(evidence)


def _shadow_trades(ctx: CommandContext) -> Sequence[Any]:
    servant = ctx.services.servant
    return list(servant.shadow_trades()) if servant is not None else []


def _records(ctx: CommandContext, snap: Mapping[str, Any]) -> tuple[tuple[int, str], tuple[int, str]]:
    trades = snap.get("trades") or {}
    live_count = int(trades.get("count") or 0) if isinstance(trades, Mapping) else 0
    shadow = _shadow_trades(ctx)
    shadow_note = f", mean {sum(t.r for t in shadow) / len(shadow):+.2f}R" if shadow else ""
    return (live_count, ""), (len(shadow), shadow_note)


HANDLERS = {
    "servant_question": servant_question,
    "trade_anyway": trade_anyway,
}
