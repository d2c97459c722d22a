"""The scheduled learning check: re-run the pooled walk-forward and set the learning switch.

Why here (composition side): it gathers candles from two places the core does not know about —
the pairs Zyn trades (the market's history up to now) and the folders in `ZYN_LEARN_DATA`
(e.g. the shipped ../shared/data/binance) — and stores the verdict in the kv table for the
autopilot's gate, `status`, the dashboard and the chat answers. Candles that close after the
clock's now are left out, so a replay never learns from its own future.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger

from core.domain import UserError
from core.kernel.strategies import strategy_named
from core.learning.pooled_data import load_folder
from core.learning.pooled_walk_forward import CONTROL_SEEDS, JUDGED_VARIANT, pooled_walk_forward
from core.learning.switch import MIN_PAIRS, SwitchState, not_enough_pairs, save_switch, verdict
from core.markets.catalog import market_for
from core.markets.timeframes import timeframe_ms
from core.research.pair_backtest import PairBacktest

if TYPE_CHECKING:
    from bot.learning.runner import LearningRunner

# The live learner is the cell model (core.learning.learner). The check judges the one frozen model
# (JUDGED_VARIANT, the same as `zyn backtest --data DIR --learn`); while the live learner is another
# model, a verdict of skill does not turn it on (issue 17 point 5: one model judged everywhere).
LIVE_VARIANT = "V0"
MIN_CANDLES = 200


def check_universe(learning: LearningRunner, now_ms: int) -> tuple[dict[str, Any], list[str]]:
    """pair -> (candles, market) of traded pairs and ZYN_LEARN_DATA folders, closed before now."""
    tf = learning.settings.timeframe
    tf_ms = timeframe_ms(tf)
    data: dict[str, Any] = {}
    notes: list[str] = []
    for pair, candles in learning.history_before(now_ms).items():
        data[pair] = (candles, market_for(pair))
    for folder in [f.strip() for f in learning.settings.learn_data.split(",") if f.strip()]:
        try:
            uni = load_folder(folder, tf, label=f"{Path(folder).name}:")
        except UserError as exc:
            notes.append(str(exc))
            continue
        for key, (candles, market) in uni.data.items():
            past = [c for c in candles if c.ts + tf_ms <= now_ms]
            if len(past) >= MIN_CANDLES:
                data[key] = (past, market)
    return data, notes


def run_learning_check(learning: LearningRunner, seeds: int = CONTROL_SEEDS) -> dict[str, Any]:
    """Walk forward, judge by the protocol's bar, store the switch; returns its public form."""
    now = learning.clock.now_ms()
    data, notes = check_universe(learning, now)
    if not data:
        state = SwitchState(
            False,
            "learning off: no candles to walk forward over (traded pairs' history or ZYN_LEARN_DATA), "
            "so I trade the plain strategy",
            now,
            JUDGED_VARIANT,
        )
    elif len(data) < MIN_PAIRS:
        state = not_enough_pairs(len(data), now, JUDGED_VARIANT)
    else:
        backtest = PairBacktest(strategy_named(learning.settings.strategy))  # the configured strategy, via the port
        res = pooled_walk_forward(data, learning.settings.timeframe, seeds=seeds, variant=JUDGED_VARIANT,
                                  backtest=backtest)
        state = verdict(
            res.summary(),
            len(res.pairs),
            sum(p.signals for p in res.pairs),
            sum(p.skipped for p in res.pairs),
            JUDGED_VARIANT,
            now,
            live_variant=LIVE_VARIANT,
        )
    save_switch(learning.kv, state)
    logger.bind(action="learning_switch", on=state.on, pairs=len(data), notes=notes).info(state.reason)
    return state.public()
