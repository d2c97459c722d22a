"""Emergency flatten: close every bracket, cancel every open order, sell every traded coin.

Bounded retries with backoff on each step (3 attempts by default) and an honest report of
what could not be done: in an emergency we must neither loop forever nor claim success.
Also the owner's `cancel`, which cancels orders but, unlike flatten, keeps the positions' stops.
Callers hold the TradingService lock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from functools import partial
from typing import TypeVar

from core.domain import ExchangeError, ExchangeUnavailable, Market, OrderRequest
from core.ports import Exchange
from core.trading.entries import drop_limit_plan
from core.trading.events import Flattened
from core.trading.orders import OrderDesk, Sleep, action_failed
from core.trading.outcome import exit_infos
from core.trading.parts import TradingParts
from core.trading.positions import Positions, TradeExit
from core.trading.results import FlattenFailure, FlattenSold
from core.trading.types import ActionResult

T = TypeVar("T")


@dataclass
class FlattenReport:
    """What a flatten did, as data: the owner's words come from bot/text/safety.py (`Flattened`)."""

    exits: list[TradeExit] = field(default_factory=list)
    canceled: list[str] = field(default_factory=list)
    sold: list[FlattenSold] = field(default_factory=list)
    failed: list[FlattenFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def event(self, reason: str) -> Flattened:
        return Flattened(reason, exit_infos(self.exits), len(self.canceled), tuple(self.sold), tuple(self.failed))

    def text(self) -> str:
        """The diagnostic line for the journal and `ActionResult.text` (not the owner's alert)."""
        exits = " ".join(f"{e.pair}#{e.trade_id}:{e.origin}" for e in self.exits)
        sold = " ".join(f"{s.amount}{s.base}@{s.price}" for s in self.sold)
        failed = "; ".join(str(f) for f in self.failed)
        return f"flatten exits=[{exits}] canceled={len(self.canceled)} sold=[{sold}] failed=[{failed}]"


class Flattener:
    def __init__(
        self,
        exchange: Exchange,
        positions: Positions,
        desk: OrderDesk,
        *,
        attempts: int = 3,
        backoff_s: float = 0.5,
        sleep: Sleep,
    ) -> None:
        self.exchange, self.positions, self.desk = exchange, positions, desk
        self.attempts, self.backoff_s, self.sleep = max(1, attempts), backoff_s, sleep

    def run(self, pairs: Sequence[str], markets: Mapping[str, Market], reason: str) -> FlattenReport:
        report = FlattenReport()
        for bracket in self.positions.book.all():
            done = self._retry(
                ("exit", f"{bracket.pair} #{bracket.trade_id}"),
                report,
                partial(self.positions.exit, bracket, reason),
                once=True,
            )
            if done is not None:
                report.exits.append(done)
        self._cancel_all(report)
        traded = sorted(set(pairs) | {b.pair for b in self.positions.book.all()})
        for pair in traded:
            market = markets.get(pair)
            if market is not None:
                self._sell_rest(market, reason, report)
        return report

    def _cancel_all(self, report: FlattenReport) -> None:
        orders = self._retry(("read_orders", ""), report, lambda: self.exchange.fetch_open_orders())
        keep = {b.stop_order_id for b in self.positions.book.all()}  # exits that failed stay protected
        for order in orders or []:
            if order.id in keep:
                continue
            final = self._retry(
                ("cancel", order.id), report, partial(self.desk.cancel_confirmed, order.id), once=True
            )
            if final is not None and final.status == "canceled":
                report.canceled.append(order.id)

    def _sell_rest(self, market: Market, reason: str, report: FlattenReport) -> None:
        balances = self._retry(("read_balances", market.pair), report, self.exchange.fetch_balances)
        if balances is None:
            return
        # Coins of a position whose exit failed are its own, whether or not its stop is known to
        # reserve them: the sweep sells only the coins beyond every position's (of the total held),
        # and never more than is free. Counting a position with a stop id as reserved sold its
        # coins unbooked when that stop was never placed (a fake accept), and without a stop yet
        # they would leave the trade open with coins it no longer has (both found by the bad-day
        # property test).
        kept = sum((b.amount for b in self.positions.book.for_pair(market.pair)), Decimal(0))
        total, free = balances.total.get(market.base, Decimal(0)), balances.free.get(market.base, Decimal(0))
        raw = min(free, total - kept)
        amount = raw.quantize(Decimal(1).scaleb(-market.lot_decimals), rounding=ROUND_DOWN)
        if amount <= 0:
            return
        if amount < market.ordermin:
            report.failed.append(FlattenFailure("dust", f"{amount} {market.base}", str(market.ordermin)))
            return
        req = OrderRequest(market.pair, "sell", "market", amount)
        order = self._retry(
            ("sell", f"{amount} {market.base}"), report, lambda: self.desk.send(req, reason), once=True
        )
        if order is not None:
            report.sold.append(FlattenSold(market.base, order.filled, order.average_price))

    def _retry(
        self, what: tuple[str, str], report: FlattenReport, action: Callable[[], T], once: bool = False
    ) -> T | None:
        """Up to `attempts` tries with exponential backoff; an exchange refusal is not retried.
        `what`: the step and its subject, kept in the FlattenFailure when it fails.

        `once`: the action retries by itself (OrderDesk sends and cancels already do, with a
        client-ref lookup in between), so retrying it again here would multiply the attempts.
        """
        attempts = 1 if once else self.attempts
        for attempt in range(attempts):
            try:
                return action()
            except ExchangeUnavailable as exc:
                if attempt == attempts - 1:
                    report.failed.append(FlattenFailure(*what, str(exc)))
                    return None
                self.sleep(self.backoff_s * 2**attempt)
            except ExchangeError as exc:
                report.failed.append(FlattenFailure(*what, str(exc)))
                return None
        return None


def cancel_orders(parts: TradingParts, order_id: str | None) -> ActionResult:
    """Cancel one order or all but the positions' stops: a naked position needs flatten, not cancel."""
    stops = {b.stop_order_id for b in parts.positions.book.all()}
    if order_id is not None and order_id in stops:
        return ActionResult(
            False, f"{order_id} is the stop of an open position; sell it or flatten instead", {}, "refused"
        )
    try:
        targets = (
            [order_id] if order_id else [o.id for o in parts.exchange.fetch_open_orders() if o.id not in stops]
        )
        done = [parts.desk.cancel_confirmed(oid) for oid in targets]
    except (ExchangeError, ExchangeUnavailable) as exc:
        return action_failed(parts.journal, "cancel", order_id or "all", exc)
    for order in done:
        try:
            drop_limit_plan(parts, order)
        except (ExchangeError, ExchangeUnavailable) as exc:  # the bought part has no stop yet
            parts.journal.safety("naked_position", f"order {order.id}: stop not placed ({exc}); retrying")
    kept = f"; kept {len(stops)} stop(s) of open positions" if order_id is None and stops else ""
    return ActionResult(True, f"Canceled {len(done)} order(s){kept}", {"canceled": [o.id for o in done]}, "canceled")
