"""What the live account does when the daily profit target is reached (feature `profit_target`).

`breakeven`: every open position's exchange-side stop is moved up to break-even plus both fees
(cancel the old stop, confirmed, then place the new one — the same steps an exit uses, so a stop
that filled meanwhile is booked, not doubled); `flatten`: every position is sold at market;
`hold`: nothing but the notice. Entries stop for the day either way (core.strategy.entry_rules). The
caller holds the service lock; a failure is journaled and notified, never raised into the tick.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import Protocol

from loguru import logger

from core.domain import Event, ExchangeError, ExchangeUnavailable, Market
from core.ports import Exchange, Notifier
from core.strategy.profit_target import DailyTarget
from core.trading.bracket import Bracket
from core.trading.commands import Command, ExitPosition
from core.trading.positions import Positions
from core.trading.results import TradeResult
from core.trading.unit_of_work import TradingJournal


class ProfitLockTrading(Protocol):
    """The trading service as this step uses it (the service runs it for `LockInProfit`)."""

    journal: TradingJournal
    exchange: Exchange
    positions: Positions
    notifier: Notifier | None

    @property
    def markets(self) -> dict[str, Market]: ...

    def brackets(self, pair: str | None = None) -> list[Bracket]: ...

    def handle(self, cmd: Command) -> TradeResult: ...


def lock_in_profit(service: ProfitLockTrading, action: str, target: DailyTarget | None) -> list[str]:
    """Carry out the action for every open position; returns one line per position."""
    pct = f"+{target.pct * 100:g}%" if target is not None else "the target"
    lines: list[str] = []
    flattened: set[str] = set()
    for bracket in service.brackets():
        try:
            if action == "flatten" and bracket.pair not in flattened:  # every position of the pair at once
                flattened.add(bracket.pair)
                result = service.handle(ExitPosition(bracket.pair, "profit_target"))
                closed = ", ".join(f"#{e.trade_id} P&L {e.pnl:+.2f}" for e in result.exits)
                lines.append(f"{bracket.pair}: closed {closed}" if result.ok else f"{bracket.pair}: {result.detail}")
            elif action == "breakeven":
                lines.append(_raise_stop(service, bracket))
        except (ExchangeError, ExchangeUnavailable) as exc:
            lines.append(f"{bracket.pair}: could not {action}: {exc}")
            service.journal.error("profit_target", "transient", f"{bracket.pair} {action} failed: {exc}")
    text = f"Daily profit target reached ({pct} today): no new entries until the next UTC day"
    text += (f"; {action}: " + "; ".join(lines)) if lines else "."
    logger.bind(action="profit_target", mode=action).info(text)
    service.journal.safety("profit_target", text)
    if service.notifier is not None:
        try:
            service.notifier.notify(Event("profit_target", text))
        except Exception as exc:  # noqa: BLE001 - a failing channel must not stop trading
            logger.bind(action="notify").warning("notifier failed: {}", exc)
    return lines


def _raise_stop(service: ProfitLockTrading, bracket: Bracket) -> str:
    fee = service.exchange.fee_rate(bracket.pair)  # the stop sent is computed in Decimals, never floats
    floor = bracket.entry_price * (1 + fee) / (1 - fee)  # = core.strategy.profit_target.breakeven_stop
    market = service.markets.get(bracket.pair)
    if market is not None:  # up to the pair's price step: never a cent below break-even
        floor = floor.quantize(Decimal(1).scaleb(-market.pair_decimals), rounding=ROUND_CEILING)
    if bracket.stop >= floor:
        return f"{bracket.pair}: stop {bracket.stop} already at or above break-even"
    moved, done = service.positions.move_stop(bracket, floor)
    if moved is None:
        price = done.exit_price if done is not None else "?"
        return f"{bracket.pair}: closed by its stop at {price} while it was raised to break-even {floor}"
    return f"{bracket.pair}: stop raised to break-even {moved.stop}"
