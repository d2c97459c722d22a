"""Honest answers to "what have you learned?", "is learning helping?", "should I turn learning off?".

Why: the only evidence that learning helps is the walk-forward against random skips (the
learning switch holds the latest one) plus Zyn's own closed trades; an answer must cite them
with n and intervals and say plainly when the learner has not beaten trading less at random.
Two or three sentences each; the figures also go in rows for the web/Slack table.
"""

from __future__ import annotations

from typing import Any

from bot.commands.context import CommandContext
from bot.conversation.envelope import Reply, Row
from core.learning.analyzer import load_records
from core.learning.learner import Learner
from core.learning.stats import mean_ci
from core.learning.switch import SwitchState, load_switch
from core.learning.trade_sources import is_backtest, source_split


def _pct(x: Any) -> str:
    return f"{100 * x:+.1f} %" if isinstance(x, int | float) else "n/a"


def walk_forward_sentence(state: SwitchState) -> str:
    ev = state.evidence
    if state.checked_ms is None or not ev:
        return "I have not run a walk-forward test yet, so I have no out-of-sample evidence that learning helps."
    return (
        f"In the latest walk-forward test ({state.checked_at()}, {ev.get('pairs')} pairs, "
        f"{ev.get('signals')} signals, test periods only) the learned rules returned {_pct(ev.get('learned_return'))} "
        f"on average against {_pct(ev.get('baseline_return'))} for the plain strategy and "
        f"{_pct(ev.get('control_return'))} for skipping the same {ev.get('skipped')} entries at random; "
        f"it beat {ev.get('seeds_beaten')} of {ev.get('control_seeds')} random-skip runs (the bar is 95 %)."
    )


def live_sentence(ctx: CommandContext) -> tuple[str, list[Row]]:
    """Own closed trades: n, mean R with its 95 % interval, and how many the learner sized or gated."""
    records = load_records(ctx.db)
    backtest, own = source_split(records)
    mine = [r.r for r in records if not is_backtest(r.source)]
    rows: list[Row] = [("own closed trades", str(own)), ("backtest trades (counted once)", str(backtest))]
    ci = mean_ci(mine)
    if ci is None or own < 2:
        return f"I have {own} closed trade(s) of my own so far, too few to judge live.", rows
    m, lo, hi = ci
    rows.append(("own mean R (95 % CI)", f"{m:+.2f}R ({lo:+.2f} to {hi:+.2f})"))
    return f"Live, my {own} own closed trades average {m:+.2f}R (95 % CI {lo:+.2f} to {hi:+.2f}R).", rows


def _rows(state: SwitchState) -> list[Row]:
    ev = state.evidence
    keys = ("learned_return", "baseline_return", "control_return")
    rows: list[Row] = [("learning", "on" if state.on else "off"), ("checked", state.checked_at() or "never")]
    rows += [(k.replace("_", " "), _pct(ev.get(k))) for k in keys if k in ev]
    if "seeds_beaten" in ev:
        rows.append(("random-skip runs beaten", f"{ev.get('seeds_beaten')} of {ev.get('control_seeds')}"))
    return rows


def answer(ctx: CommandContext, kind: str) -> Reply:
    state = load_switch(ctx.kv)
    wf = walk_forward_sentence(state)
    live, live_rows = live_sentence(ctx)
    rows = _rows(state) + live_rows
    if kind == "learned":
        own = source_split(load_records(ctx.db))[1]
        text = f"{_learned_sentence(ctx, own)} {wf} {_switch_sentence(state)}"
        return Reply(text=text, title="What I have learned", rows=rows)
    if kind == "helping":
        verdict = "Yes, measurably." if state.on else "Not measurably."
        return Reply(text=f"{verdict} {wf} {live}", title="Is learning helping?", rows=rows)
    if state.on:
        text = (
            f"Keep it on for now: {wf} I switch it off myself if a later walk-forward loses that edge. {live}"
        )
    else:
        text = f"It is already off: {wf} So I trade the plain strategy; nothing to do. {live}"
    return Reply(text=text, title="Should learning be off?", rows=rows)


def _switch_sentence(state: SwitchState) -> str:
    if state.on:
        return "So the learner is allowed to skip entries now."
    return "So I do not let it change any trade: I trade the plain strategy."


def _learned_sentence(ctx: CommandContext, own: int) -> str:
    """What the model learned; when trades closed since it was last trained, say both counts (issue
    22.9: not "has seen 0 closed trades" beside "own closed trades · 13" in one reply)."""
    model = Learner.load_latest(ctx.db).model
    if not model.ready:
        since = (
            f"; I now have {own} closed trades of my own, and it retrains on them nightly or when you send learn"
            if own > model.trained_on else ""
        )
        return (f"My learner was last trained on {model.trained_on} closed trades, too few to learn anything "
                f"reliable{since}.")
    gated = model.gated_cells()
    if not gated:
        return (
            f"From {model.trained_on} closed trades (each counted once) I found no context that is reliably "
            f"worse than average (overall {model.overall_r or 0.0:+.2f}R per trade)."
        )
    worst = min(gated, key=lambda c: c.hi)
    return f"From {model.trained_on} closed trades (each counted once), my clearest finding: {model.cite(worst)}."
