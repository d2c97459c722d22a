"""The advanced modules' veto on a live entry, decided by the compiled kernel (`live_veto`, the
very `veto_flags` the backtest's loop runs), so mtf and the daily target's "no new entries" act
live exactly as in a kernel backtest.

What stays in Python: the daily target's state (`EntryRules.on_close`: it is persisted and its
percentage follows the owner's `set target`), the session clock (a time zone), and the words of a
veto, built only because the decision is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from core.domain import Candle
from core.kernel import codes as C
from core.kernel.decisions import veto_words
from core.kernel.flavour import by_work, entry_points
from core.markets.timeframes import timeframe_ms
from core.strategy.entry_rules import EntryRules
from core.strategy.pinned import Decision


def review(rules: EntryRules, decision: Decision, history: Sequence[Candle]) -> Decision:
    """`decision`, or a `skip` naming the module that vetoes the entry (as EntryRules.review)."""
    if decision.action != "enter":
        return decision
    tf_ms = timeframe_ms(rules.timeframe)
    pt_on, mtf_on = bool(rules.enabled("profit_target")), bool(rules.enabled("mtf")) and bool(rules.confirming)
    session_open = rules.sessions.open_at(decision.ts + tf_ms) if pt_on else True
    window = history if mtf_on else history[-1:]  # mtf reads back as far as the reference may
    ts = np.fromiter((c.ts for c in window), np.int64, len(window))
    cl = np.fromiter((c.close for c in window), np.float64, len(window))
    hms = np.array([timeframe_ms(h) for h in rules.confirming] if mtf_on else [], np.int64)
    live_veto = entry_points(by_work(len(window))).live_veto
    code = int(live_veto(C.ENTER, pt_on, rules.target.reached(decision.ts), session_open, mtf_on, ts, cl, tf_ms,
                         hms))
    if code == C.ENTER:
        return decision
    return replace(decision, action="skip", reason=veto_words(rules, history, len(history) - 1, code))
