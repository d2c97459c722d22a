"""What the live account does when the daily profit target is reached (feature `profit_target`).

`breakeven`: every open position's exchange-side stop is moved up to break-even plus both fees
(cancel the old stop, confirmed, then place the new one — the same steps an exit uses, so a stop
that filled meanwhile is booked, not doubled); `flatten`: every position is sold at market;
`hold`: nothing but the notice (`ProfitTargetReached`, worded by bot/text/safety.py). Entries
stop for the day either way (core.strategy.entry_rules). The caller holds the service lock; a
failure is journaled and published, never raised into the tick.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import Protocol

from loguru import logger

from core.domain import ExchangeError, ExchangeUnavailable, Market
from core.ports import Exchange
from core.strategy.profit_target import DailyTarget
from core.trading.bracket import Bracket
from core.trading.bus import EventBus
from core.trading.commands import Command, ExitPosition
from core.trading.events import ProfitLockOutcome, ProfitTargetReached
from core.trading.positions import Positions
from core.trading.results import TradeResult
from core.trading.unit_of_work import TradingJournal


class ProfitLockTrading(Protocol):
    """The trading service as this step uses it (the service runs it for `LockInProfit`)."""

    journal: TradingJournal
    exchange: Exchange
    positions: Positions
    bus: EventBus

    @property
    def markets(self) -> dict[str, Market]: ...

    def brackets(self, pair: str | None = None) -> list[Bracket]: ...

    def handle(self, cmd: Command) -> TradeResult: ...


def lock_in_profit(
    service: ProfitLockTrading, action: str, target: DailyTarget | None
) -> tuple[ProfitLockOutcome, ...]:
    """Carry out the action for every open position; returns what happened to each pair's
    positions (the same outcomes the published `ProfitTargetReached` carries)."""
    outcomes: list[ProfitLockOutcome] = []
    flattened: set[str] = set()
    for bracket in service.brackets():
        try:
            if action == "flatten" and bracket.pair not in flattened:  # every position of the pair at once
                flattened.add(bracket.pair)
                result = service.handle(ExitPosition(bracket.pair, "profit_target"))
                outcomes.append(ProfitLockOutcome(bracket.pair, "closed", exits=result.exits) if result.ok
                                else ProfitLockOutcome(bracket.pair, "failed", error=result.detail))
            elif action == "breakeven":
                outcomes.append(_raise_stop(service, bracket))
        except (ExchangeError, ExchangeUnavailable) as exc:
            outcomes.append(ProfitLockOutcome(bracket.pair, "failed", error=str(exc)))
            service.journal.error("profit_target", "transient", f"{bracket.pair} {action} failed: {exc}")
    pct = Decimal(str(target.pct)) if target is not None else None
    reached = ProfitTargetReached(pct, action, tuple(outcomes))
    detail = f"pct={pct} action={action} " + "; ".join(f"{o.pair}:{o.what}" for o in outcomes)
    logger.bind(action="profit_target", mode=action, positions=len(outcomes)).info(detail)
    service.journal.safety("profit_target", detail)
    service.bus.publish(reached)  # the owner's alert: bot/alerts/trade_alerts.py
    return reached.outcomes


def _raise_stop(service: ProfitLockTrading, bracket: Bracket) -> ProfitLockOutcome:
    fee = service.exchange.fee_rate(bracket.pair)  # the stop sent is computed in Decimals, never floats
    floor = bracket.entry_price * (1 + fee) / (1 - fee)  # = core.strategy.profit_target.breakeven_stop
    market = service.markets.get(bracket.pair)
    if market is not None:  # up to the pair's price step: never a cent below break-even
        floor = floor.quantize(Decimal(1).scaleb(-market.pair_decimals), rounding=ROUND_CEILING)
    if bracket.stop >= floor:
        return ProfitLockOutcome(bracket.pair, "at_breakeven", stop=bracket.stop)
    moved, done = service.positions.move_stop(bracket, floor)
    if moved is None:
        price = done.exit_price if done is not None else None
        return ProfitLockOutcome(bracket.pair, "closed_by_stop", stop=floor, price=price)
    return ProfitLockOutcome(bracket.pair, "raised", stop=moved.stop)
