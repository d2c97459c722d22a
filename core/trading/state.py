"""Durable strategy and safety state in the kv table, so a restart resumes where it stopped.

Persisted: the account-wide DailyLossGuard (kill-switch day), the pause flag, per pair the
strategy's own state (the cool-off for sma20_atr) and the last processed candle, and every
entry plan written BEFORE its order is sent (so reconcile can adopt a buy whose response was
lost). Indicator warm-up is not stored: it is recomputed from candles. Open positions live in
their own table (`core.trading.unit_of_work`).
"""

from __future__ import annotations

import json
from typing import Any

from core.strategy.daily_loss import DailyLossGuard, Money, money
from core.trading.tick_batch import KvWrite
from core.trading.unit_of_work import KeyValues

GUARD_KEY = "trading:guard"
PAUSE_KEY = "trading:paused"
PAIR_PREFIX = "autopilot:pair:"
PLAN_PREFIX = "trading:plan:"


class TradingState:
    def __init__(
        self, kv: KeyValues, start_equity: Money | None = None, loss_limit: float = 0.03
    ) -> None:
        self.kv = kv
        raw = kv.get_json(GUARD_KEY)
        if isinstance(raw, dict):
            self.guard = DailyLossGuard.from_dict(raw)
        else:
            start = money(start_equity) if start_equity is not None else None
            self.guard = DailyLossGuard(limit=loss_limit, start_equity=start)
        pause = kv.get_json(PAUSE_KEY, {})
        self.paused_reason: str | None = pause.get("reason") if isinstance(pause, dict) else None
        until = pause.get("until_ms") if isinstance(pause, dict) else None
        self.paused_until_ms: int | None = int(until) if isinstance(until, int | float) else None  # issue 22

    # ------------------------------------------------------------------ guard / pause
    def save_guard(self) -> None:
        self.kv.set_json(GUARD_KEY, self.guard.to_dict())

    def set_paused(self, reason: str | None, until_ms: int | None = None) -> None:
        """Pause (with an optional end, resumed by the scheduler) or, with None, unpause."""
        self.paused_reason = reason
        self.paused_until_ms = until_ms if reason is not None else None
        if reason is None:
            self.kv.delete(PAUSE_KEY)
        elif until_ms is None:
            self.kv.set_json(PAUSE_KEY, {"reason": reason})
        else:
            self.kv.set_json(PAUSE_KEY, {"reason": reason, "until_ms": until_ms})

    # ------------------------------------------------------------------ per pair
    def load_pair(self, pair: str) -> tuple[dict[str, Any] | None, int | None]:
        """(the strategy's persisted state, last decided candle); `cooloff` is the pre-port key."""
        raw = self.kv.get_json(PAIR_PREFIX + pair)
        if not isinstance(raw, dict):
            return None, None
        saved = raw.get("strategy", raw.get("cooloff"))
        last = raw.get("last_ts")
        return saved if isinstance(saved, dict) else None, int(last) if last is not None else None

    def save_pair(self, pair: str, strategy_state: dict[str, Any], last_ts: int | None) -> None:
        self.kv.set_json(PAIR_PREFIX + pair, {"strategy": strategy_state, "last_ts": last_ts})

    def tick_rows(
        self, pair: str, strategy_state: dict[str, Any], last_ts: int | None, now_ms: int
    ) -> list[KvWrite]:
        """The guard and the pair's state as kv rows, to be committed with the decision row."""
        pair_state = {"strategy": strategy_state, "last_ts": last_ts}
        return [
            KvWrite(GUARD_KEY, json.dumps(self.guard.to_dict(), sort_keys=True), now_ms),
            KvWrite(PAIR_PREFIX + pair, json.dumps(pair_state, sort_keys=True), now_ms),
        ]

    # ------------------------------------------------------------------ plans
    def save_plan(self, client_ref: str, plan: dict[str, Any]) -> None:
        self.kv.set_json(PLAN_PREFIX + client_ref, plan)

    def load_plan(self, client_ref: str) -> dict[str, Any] | None:
        raw = self.kv.get_json(PLAN_PREFIX + client_ref)
        return raw if isinstance(raw, dict) else None

    def drop_plan(self, client_ref: str) -> None:
        self.kv.delete(PLAN_PREFIX + client_ref)
