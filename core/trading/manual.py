"""Manual chat orders (`buy|sell AMOUNT PAIR [at P] [sl P] [tp P]`): checks, the echo, and placing.

Every refusal is one line and happens before anything is sent, so a refused order leaves
the account and the database exactly as they were. `send_manual` runs under the
TradingService lock (its caller holds it); nothing here locks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from core.domain import (
    Balances,
    ExchangeError,
    ExchangeUnavailable,
    Market,
    OrderRequest,
    OrderType,
    UserError,
    ZynError,
)
from core.ports import Exchange
from core.strategy.risk import RiskConfig
from core.text import amount_text, money_text, price_text
from core.trading.bracket import Bracket
from core.trading.entries import enter_market, limit_entry
from core.trading.manual_limits import account_equity, check_max_position
from core.trading.no_price import no_price_line
from core.trading.orders import action_failed
from core.trading.outcome import EXITS, exit_infos
from core.trading.parts import TradingParts
from core.trading.plan import dec
from core.trading.positions import EntryPlan
from core.trading.types import ActionResult, ManualOrder, OrderPreview


@dataclass(frozen=True)
class Gatekeeping:
    """Why buys are refused right now (None = allowed), computed by the service under its lock."""

    halted: str | None
    paused: str | None
    circuit: str | None


@dataclass
class ManualChecker:
    exchange: Exchange
    markets: Mapping[str, Market]
    cfg: RiskConfig
    atr_of: Callable[[str], float | None]

    def preview(self, req: ManualOrder, gates: Gatekeeping, brackets: list[Bracket]) -> OrderPreview:
        market = self.markets.get(req.pair)
        if market is None:
            raise UserError(
                f"unknown pair {req.pair}; I trade {', '.join(sorted(self.markets)) or 'nothing'}"
            )
        if req.amount <= 0:
            raise UserError("the amount must be above 0")
        amount = req.amount.quantize(Decimal(1).scaleb(-market.lot_decimals), rounding=ROUND_DOWN)
        if amount <= 0 or amount < market.ordermin:
            raise UserError(
                f"amount {amount_text(req.amount)} is below the minimum {amount_text(market.ordermin)} for {req.pair}"
            )
        if gates.circuit:
            raise UserError(gates.circuit)
        price = req.price if req.price is not None else self._price(req.pair)
        if price <= 0:
            raise UserError("the price must be above 0")
        if amount * price < market.costmin:
            raise UserError(
                f"order value {money_text(amount * price, signed=False)} is below the minimum "
                f"{amount_text(market.costmin)} {market.quote}"
            )
        balances = self._balances()
        if req.side == "buy":
            return self._buy(req, amount, price, market, gates, balances)
        return self._sell(req, amount, price, market, balances, brackets)

    def _buy(  # noqa: PLR0913
        self,
        req: ManualOrder,
        amount: Decimal,
        price: Decimal,
        market: Market,
        gates: Gatekeeping,
        bal: Balances,
    ) -> OrderPreview:
        if gates.halted or gates.paused:
            raise UserError(gates.halted or gates.paused or "")
        atr = self.atr_of(req.pair)
        stop, target = req.stop, req.target
        if stop is None:
            if atr is None:
                raise UserError(f"no stop given and the ATR of {req.pair} is not known yet: add sl PRICE")
            stop = _q(price - dec(self.cfg.stop_atr) * dec(atr), market.pair_decimals)
            if stop <= 0:  # never propose a stop below zero: the price is under 1.5 ATR
                raise UserError(
                    f"no stop given and {self.cfg.stop_atr:g} x ATR ({_px(market, atr)}) below "
                    f"{_px(market, price)} is not a price: add sl PRICE"
                )
        if target is None and atr is not None:
            target = _q(price + dec(self.cfg.target_atr) * dec(atr), market.pair_decimals)
        if stop <= 0:
            raise UserError("the stop must be above 0")
        if stop >= price:
            raise UserError(
                f"the stop {_px(market, stop)} must be below the price {_px(market, price)}"
            )
        _check_stop_minimum(amount, stop, market)
        if target is not None and target <= price:
            raise UserError(f"the target {_px(market, target)} must be above the price {_px(market, price)}")
        cost = amount * price * (1 + Decimal(repr(self.cfg.fee_rate)))
        free = bal.free.get(market.quote, Decimal(0))
        if cost > free:
            raise UserError(
                f"insufficient funds: {money_text(cost, signed=False)} {market.quote} needed, "
                f"{money_text(free, signed=False)} free"
            )
        equity = account_equity(bal, market.quote, self.markets, self._price)
        check_max_position(amount, price, market, equity, self.cfg.max_position_frac)
        p = req.pair
        kind = f"limit {_px(market, req.price)}" if req.price is not None else f"market (~{_px(market, price)})"
        text = (
            f"Buy {amount_text(amount)} {p} at {kind}, est. cost {money_text(cost, signed=False)} {market.quote} "
            f"incl. fee; stop {_px(market, stop)} (held on the exchange)"
            + (f", target {_px(market, target)} (watched by Zyn)" if target is not None else ", no target")
        )
        return OrderPreview(text, amount, req.pair, "buy", price, stop, target, cost)

    def _sell(  # noqa: PLR0913
        self,
        req: ManualOrder,
        amount: Decimal,
        price: Decimal,
        market: Market,
        bal: Balances,
        brackets: list[Bracket],
    ) -> OrderPreview:
        if req.stop is not None or req.target is not None:
            raise UserError("sl/tp only apply to buys")
        brackets = sold_positions(brackets, amount)
        held = sum((b.amount for b in brackets), Decimal(0))
        free = bal.free.get(market.base, Decimal(0))
        if brackets and req.price is not None:
            raise UserError(f"the {req.pair} position's stop holds its coins: sell it at market")
        if brackets and amount < held:
            raise UserError(
                f"sell the whole {req.pair} position ({amount_text(held)}) or use a smaller manual position"
            )
        if amount > held + free:
            raise UserError(
                f"insufficient funds: {amount_text(amount)} {market.base} to sell, {amount_text(held + free)} held"
            )
        proceeds = amount * price * (1 - Decimal(repr(self.cfg.fee_rate)))
        p = req.pair
        kind = f"limit {_px(market, req.price)}" if req.price is not None else f"market (~{_px(market, price)})"
        note = "; cancels its stop" if brackets else ""
        text = (
            f"Sell {amount_text(amount)} {p} at {kind}, est. proceeds {money_text(proceeds, signed=False)} "
            f"{market.quote}{note}"
        )
        return OrderPreview(text, amount, req.pair, "sell", price, None, None, proceeds, len(brackets))

    def _price(self, pair: str) -> Decimal:
        try:
            return self.exchange.fetch_ticker(pair).last
        except ZynError as exc:
            raise UserError(no_price_line(pair, str(exc))) from None

    def _balances(self) -> Balances:
        try:
            return self.exchange.fetch_balances()
        except ZynError as exc:
            raise UserError(f"cannot read balances right now ({exc})") from None


def sold_positions(brackets: list[Bracket], amount: Decimal) -> list[Bracket]:
    """The positions a manual sell closes: exactly the manual ones when it sells exactly their
    coins (the autopilot's position beside them keeps its stop), else every position of the pair."""
    manual = [b for b in brackets if b.origin == "manual"]
    if manual and len(manual) < len(brackets) and amount == sum((b.amount for b in manual), Decimal(0)):
        return manual
    return brackets


def _check_stop_minimum(amount: Decimal, stop: Decimal, market: Market) -> None:
    """The stop is an order too: below the exchange's minimum it would be refused for ever after
    the buy filled, leaving the coins without a stop. Refuse the buy before anything is sent."""
    if amount * stop >= market.costmin:
        return
    need = (market.costmin / stop).quantize(Decimal(1).scaleb(-market.lot_decimals), rounding=ROUND_UP)
    raise UserError(
        f"the stop's value {money_text(amount * stop, signed=False)} {market.quote} (amount x stop "
        f"{_px(market, stop)}) is below the exchange "
        f"minimum {market.costmin} {market.quote}: buy at least {need.normalize():f} {market.pair} "
        f"or set the stop higher"
    )


def _q(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals))


def send_manual(parts: TradingParts, req: ManualOrder, preview: OrderPreview, atr: float | None) -> ActionResult:
    """Send an order its caller re-checked under the lock (`preview`: the market may have moved
    since the echo); a buy is bracketed from the preview's stop and target."""
    if req.side == "buy":
        plan = EntryPlan(
            req.pair,
            atr=atr,
            stop=preview.stop,
            target=preview.target,
            meta={"manual": True, "placed_by": req.placed_by},
        )
        if req.price is not None:
            return limit_entry(parts, preview, plan)
        return enter_market(parts, req.pair, preview.amount, plan, "manual", preview.price_est)
    return _manual_sell(parts, req, preview)


def _manual_sell(parts: TradingParts, req: ManualOrder, preview: OrderPreview) -> ActionResult:
    """Close the pair's positions (their stops hold the coins), then sell whatever is left over."""
    exits, sold = [], preview.amount
    try:
        for bracket in sold_positions(parts.positions.book.for_pair(req.pair), preview.amount):
            exits.append(parts.positions.exit(bracket, "manual"))
            sold -= bracket.amount
        order = None
        if sold > 0:
            kind: OrderType = "limit" if req.price is not None else "market"
            order = parts.desk.send(OrderRequest(req.pair, "sell", kind, sold, req.price), "manual")
    except (ExchangeError, ExchangeUnavailable) as exc:
        return action_failed(parts.journal, "manual sell", req.pair, exc)
    pnl = sum(e.pnl for e in exits)
    text = f"Sold {preview.amount} {req.pair}" + (
        f" (closed {len(exits)} position(s), P&L {pnl:+.2f})" if exits else ""
    )
    if order is not None and order.status == "open":
        text = f"Limit sell {order.amount} {req.pair} at {order.price} placed (order {order.id})"
    resting = order is not None and order.status == "open"
    data: dict[str, object] = {
        "exits": [e.trade_id for e in exits],
        EXITS: exit_infos(exits),
        "order_id": order.id if order else "",
        "amount": order.amount if resting and order is not None else preview.amount,
    }
    if resting and order is not None:
        data["price"] = order.price
    return ActionResult(True, text, data, "limit_placed" if resting else "sold")


def _px(market: Market, value: object) -> str:
    """A price at the market's own decimals (the same text the alerts and replies show)."""
    return price_text(market.pair, value, market.pair_decimals)
