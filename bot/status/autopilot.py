"""The status JSON's `autopilot` and `kill_switch` parts (core.status.service calls these back).

Why in bot: the answer joins the trading service, the optional modules and this process's
lifecycle (reconciling, scheduler started), which only the bot side holds together.
"""

from __future__ import annotations

from typing import Any, Protocol

from core.ports import Clock, MarketFeed
from core.strategy.daily_loss import cents
from core.trading.autopilot import Autopilot
from core.trading.service import TradingService


class EntriesStopper(Protocol):
    """`bot.wiring.modules.Modules`: a module that stops entries for now (the profit target)."""

    def entries_stopped(self, now_ms: int) -> str | None: ...


class ProcessState(Protocol):
    """`bot.wiring.lifecycle.Lifecycle`: what this process is doing now."""

    @property
    def reconciling(self) -> bool: ...
    @property
    def scheduled(self) -> bool: ...


def autopilot_state(trading: TradingService, modules: EntriesStopper, clock: Clock, feed: MarketFeed | None,
                    lifecycle: ProcessState, autopilot: Autopilot | None = None) -> dict[str, Any]:
    """Whether the autopilot trades now, and if not, why (the first reason that applies)."""
    paused = trading.paused_reason
    if paused is None and autopilot is not None:
        paused = autopilot.cannot_trade  # issue 17: a zero-equity account says what is wrong
    if paused is None and lifecycle.reconciling:
        paused = "reconciling with the exchange after a start"
    if paused is None and trading.halted():
        paused = "daily loss kill-switch (until the next UTC day or resume)"
    if paused is None:
        paused = modules.entries_stopped(clock.now_ms())
    if paused is None and feed is None:
        paused = "no market data (Kraken unreachable and no PAPER_DATA)"
    scheduled = lifecycle.scheduled
    if paused is None and not scheduled:
        # Other processes ask the owner for status, so a Zyn without a scheduler answering
        # here is a terminal command owning the money for a moment: nothing trades meanwhile.
        paused = "the autopilot runs only in `zyn run`, which is not running"
    return {"running": scheduled and paused is None, "paused_reason": paused}


def kill_switch_state(trading: TradingService) -> dict[str, Any]:
    guard = trading.state.guard
    return {"tripped": trading.halted(), "daily_pnl": cents(guard.daily_pnl()), "limit": guard.limit}
