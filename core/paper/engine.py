"""The paper matching engine: Kraken spot semantics as pure in-memory state transitions.

No database, no locks, no listeners: `PaperExchange` adds those. Every command validates
completely before it mutates anything, so a refused order leaves the state exactly as it
was, and every mutation is recorded in a `Changes` batch the store writes in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from core.domain import (
    Balances,
    Fill,
    InsufficientFunds,
    InvalidOrder,
    Market,
    Order,
    OrderNotFound,
    OrderRequest,
)
from core.markets.catalog import market_for
from core.paper import rules
from core.paper.ids import make_id


@dataclass
class PaperState:
    """Everything the paper account is, as loaded from (or written to) the store."""

    salt: str
    counter: int = 0
    balances: dict[str, Decimal] = field(default_factory=dict)
    orders: list[tuple[int, Order]] = field(default_factory=list)  # (seq, order)
    fills: list[tuple[int, Fill]] = field(default_factory=list)  # (seq, fill)
    prices: dict[str, tuple[Decimal, int]] = field(default_factory=dict)  # pair -> (price, ts)


@dataclass
class Changes:
    """What one action changed; `wipe` drops balances, orders and fills first (reset)."""

    wipe: bool = False
    salt: str | None = None
    counter: int | None = None
    balances: dict[str, Decimal] = field(default_factory=dict)
    orders: dict[str, tuple[int, Order]] = field(default_factory=dict)
    fills: list[tuple[int, Fill]] = field(default_factory=list)
    prices: dict[str, tuple[Decimal, int]] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (
            self.wipe
            or self.salt is not None
            or self.counter is not None
            or self.balances
            or self.orders
            or self.fills
            or self.prices
        )


class PaperEngine:
    """One paper account over a fixed set of markets."""

    def __init__(self, markets: Mapping[str, Market], fee_rate: Decimal, state: PaperState) -> None:
        self._markets = dict(markets)
        self.fee_rate = fee_rate
        self._salt = state.salt
        self._counter = state.counter
        self._balances = dict(state.balances)
        self._prices = dict(state.prices)
        self._orders: dict[str, Order] = {}
        self._seq: dict[str, int] = {}
        self._open: dict[str, int] = {}  # open order id -> seq
        self._by_ref: dict[str, str] = {}
        for seq, order in state.orders:
            self._remember(seq, order)
        self._fills = [fill for _, fill in sorted(state.fills, key=lambda item: item[0])]
        self._fill_seq = {fill.id: seq for seq, fill in state.fills}
        self._changes = Changes()

    # ----------------------------------------------------------------- changes
    def has_changes(self) -> bool:
        return not self._changes.is_empty()

    def only_prices_pending(self) -> bool:
        """Whether the pending batch holds quotes and nothing else (they may wait; issue 20.4)."""
        c = self._changes
        return not (c.wipe or c.salt is not None or c.counter is not None or c.balances or c.orders or c.fills)

    def take_changes(self) -> Changes:
        """Hand the pending batch to the store and start a new one."""
        changes, self._changes = self._changes, Changes()
        return changes

    def reset(self, start_balances: Mapping[str, Decimal]) -> None:
        """Empty the account (orders, fills) and fund it; prices and the id counter survive."""
        self._balances = {asset: rules.to_decimal(v) for asset, v in start_balances.items()}
        self._orders.clear()
        self._seq.clear()
        self._open.clear()
        self._by_ref.clear()
        self._fills.clear()
        self._fill_seq.clear()
        self._changes = Changes(
            wipe=True,
            salt=self._salt,
            counter=self._counter,
            balances=dict(self._balances),
            prices=dict(self._prices),
        )

    # ----------------------------------------------------------------- queries
    def markets(self) -> dict[str, Market]:
        return dict(self._markets)

    def market(self, pair: str) -> Market:
        market = self._markets.get(pair)
        if market is None:
            raise InvalidOrder(rules.ERR_UNKNOWN_PAIR)
        return market

    def price(self, pair: str) -> tuple[Decimal, int] | None:
        return self._prices.get(pair)

    def balances(self) -> Balances:
        total = dict(self._balances)
        free = dict(total)
        for asset, held in self._reserved().items():
            free[asset] = free.get(asset, Decimal(0)) - held
            total.setdefault(asset, Decimal(0))
        return Balances(total=total, free=free)

    def order(self, order_id: str) -> Order:
        order = self._orders.get(order_id)
        if order is None:
            raise OrderNotFound(rules.ERR_UNKNOWN_ORDER)
        return order

    def find_by_client_ref(self, client_ref: str) -> Order | None:
        order_id = self._by_ref.get(client_ref) if client_ref else None
        return self._orders[order_id] if order_id is not None else None

    def open_orders(self, pair: str | None = None) -> list[Order]:
        ids = sorted(self._open, key=self._open.__getitem__)
        orders = [self._orders[i] for i in ids]
        return [o for o in orders if pair is None or o.pair == pair]

    def closed_orders(self, since_ms: int | None = None) -> list[Order]:
        done = [o for o in self._orders.values() if o.status != "open"]
        if since_ms is not None:
            done = [o for o in done if (o.closed_ms or 0) >= since_ms]
        return sorted(done, key=lambda o: (o.closed_ms or 0, self._seq[o.id]))

    def fills(self, since_ms: int | None = None) -> list[Fill]:
        chosen = [f for f in self._fills if since_ms is None or f.ts_ms >= since_ms]
        return sorted(chosen, key=lambda f: (f.ts_ms, self._fill_seq[f.id]))

    def resting_levels(self, pair: str) -> list[Decimal]:
        """Prices of open orders on `pair`: the walk must stop at each of them."""
        return [o.price for o in self.open_orders(pair) if o.price is not None]

    def triggered(self, pair: str) -> list[str]:
        """Open orders on `pair` that the current price executes, oldest first."""
        quote = self._prices.get(pair)
        if quote is None:
            return []
        return [
            o.id
            for o in self.open_orders(pair)
            if rules.is_triggered(o.side, o.type, o.price, quote[0])
        ]

    # ----------------------------------------------------------------- commands
    def set_price(self, pair: str, price: Decimal, ts_ms: int) -> None:
        """Record the market's last trade price; matching is the caller's decision."""
        self.market(pair)
        value = rules.to_decimal(price)
        if not value.is_finite() or value <= 0:
            raise InvalidOrder(rules.ERR_PRICE)
        self._prices[pair] = (value, ts_ms)
        self._changes.prices[pair] = (value, ts_ms)

    def place(
        self, request: OrderRequest, now_ms: int, fill_at_most: Decimal | None = None
    ) -> tuple[Order, Fill | None]:
        """Create an order; market (or already marketable) orders fill at the current price.

        A repeated non-empty client_ref returns the existing order, so a retry after a lost
        response cannot double an order. validate=True runs every check and changes nothing.
        `fill_at_most`: only that much of it finds liquidity now (the rest stays open), as the
        Kraken sim's `partial` fault asks.
        """
        if request.client_ref and not request.validate:
            existing = self.find_by_client_ref(request.client_ref)
            if existing is not None:
                return existing, None
        market = self.market(request.pair)
        amount, level = rules.normalize_request(request, market)
        quote = self._prices.get(request.pair)
        current = quote[0] if quote is not None else None
        reference = level if level is not None else current
        if reference is None:
            raise InvalidOrder(rules.err_no_price(request.pair))
        rules.check_minimum(amount, reference, market)
        fills_now = current is not None and rules.is_triggered(
            request.side, request.type, level, current
        )
        order = Order(
            id="",
            pair=request.pair,
            side=request.side,
            type=request.type,
            amount=amount,
            price=level,
            status="open",
            client_ref=request.client_ref,
            created_ms=now_ms,
        )
        self._check_funds(order, market, current if fills_now else None)
        if request.validate:
            return replace(order, status="canceled", validated_only=True), None
        return self._accept(order, market, current if fills_now else None, now_ms, fill_at_most)

    def fill_part(self, order_id: str, amount: Decimal, ts_ms: int) -> tuple[Order, Fill | None]:
        """Execute `amount` (at most the rest) of an open order at the current price; the rest
        stays open. A partly filled stop or sell, as the sim's tests stage one."""
        order = self.order(order_id)
        quote = self._prices.get(order.pair)
        if order.status != "open" or quote is None or amount <= 0:
            return order, None
        return self._execute(order, self.market(order.pair), quote[0], ts_ms, amount)

    def cancel(self, order_id: str, now_ms: int) -> Order:
        """Cancel an open order; Kraken answers 'Unknown order' for closed ones too."""
        order = self._orders.get(order_id)
        if order is None or order.status != "open":
            raise OrderNotFound(rules.ERR_UNKNOWN_ORDER)
        canceled = replace(order, status="canceled", closed_ms=now_ms)
        self._store_order(canceled)
        return canceled

    def fill_resting(self, order_id: str, ts_ms: int) -> tuple[Order, Fill | None]:
        """Execute a triggered open order at the current price.

        A triggered buy the account can no longer pay for (e.g. a stop that gapped far above
        its reservation) is canceled, as Kraken cancels it, instead of driving balances negative.
        """
        order = self.order(order_id)
        quote = self._prices.get(order.pair)
        if order.status != "open" or quote is None:
            return order, None
        market = self.market(order.pair)
        try:
            self._check_funds(order, market, quote[0], exclude=order.id)
        except InsufficientFunds:
            return self.cancel(order_id, ts_ms), None
        return self._execute(order, market, quote[0], ts_ms)

    # ----------------------------------------------------------------- internals
    def _accept(
        self,
        order: Order,
        market: Market,
        fill_price: Decimal | None,
        now_ms: int,
        fill_at_most: Decimal | None = None,
    ) -> tuple[Order, Fill | None]:
        order = replace(order, id=self._next_id("O"))
        self._store_order(order, seq=self._counter)
        if fill_price is None or (fill_at_most is not None and fill_at_most <= 0):
            return order, None
        return self._execute(order, market, fill_price, now_ms, fill_at_most)

    def _execute(
        self, order: Order, market: Market, price: Decimal, ts_ms: int, part: Decimal | None = None
    ) -> tuple[Order, Fill]:
        """Fill the rest of the order, or only `part` of it (the order then stays open)."""
        rest = order.amount - order.filled
        amount = rest if part is None else min(part, rest)
        notional, fee = rules.fill_cost(amount, price, self.fee_rate)
        if order.side == "buy":
            self._add(market.quote, -(notional + fee))
            self._add(market.base, amount)
        else:
            self._add(market.base, -amount)
            self._add(market.quote, notional - fee)
        fill = Fill(
            id=self._next_id("T"),
            order_id=order.id,
            pair=order.pair,
            side=order.side,
            amount=amount,
            price=price,
            fee=fee,
            ts_ms=ts_ms,
        )
        self._fills.append(fill)
        self._fill_seq[fill.id] = self._counter
        self._changes.fills.append((self._counter, fill))
        filled = order.filled + amount
        average = (order.filled * (order.average_price or price) + amount * price) / filled
        closed = filled >= order.amount
        done = replace(
            order,
            status="closed" if closed else "open",
            filled=filled,
            average_price=price if order.filled == 0 else average,
            fee=order.fee + fee,
            closed_ms=ts_ms if closed else None,
        )
        self._store_order(done)
        return done, fill

    def _check_funds(
        self, order: Order, market: Market, fill_price: Decimal | None, exclude: str = ""
    ) -> None:
        """Free balance (total minus other open orders' reservations) must cover the order."""
        if fill_price is None:
            asset, needed = rules.reservation(order, market, self.fee_rate)
        elif order.side == "sell":
            asset, needed = market.base, order.amount - order.filled
        else:
            notional, fee = rules.fill_cost(order.amount - order.filled, fill_price, self.fee_rate)
            asset, needed = market.quote, notional + fee
        free = self._balances.get(asset, Decimal(0)) - self._reserved(exclude).get(asset, Decimal(0))
        if needed > free:
            raise InsufficientFunds(rules.ERR_FUNDS)

    def _reserved(self, exclude: str = "") -> dict[str, Decimal]:
        held: dict[str, Decimal] = {}
        for order_id in self._open:
            if order_id == exclude:
                continue
            order = self._orders[order_id]
            market = self._markets.get(order.pair) or market_for(order.pair)
            asset, amount = rules.reservation(order, market, self.fee_rate)
            held[asset] = held.get(asset, Decimal(0)) + amount
        return held

    def _add(self, asset: str, delta: Decimal) -> None:
        self._balances[asset] = self._balances.get(asset, Decimal(0)) + delta
        self._changes.balances[asset] = self._balances[asset]

    def _next_id(self, prefix: str) -> str:
        self._counter += 1
        self._changes.counter = self._counter
        return make_id(prefix, self._salt, self._counter)

    def _store_order(self, order: Order, seq: int | None = None) -> None:
        self._remember(seq if seq is not None else self._seq[order.id], order)
        self._changes.orders[order.id] = (self._seq[order.id], order)

    def _remember(self, seq: int, order: Order) -> None:
        self._orders[order.id] = order
        self._seq[order.id] = seq
        if order.status == "open":
            self._open[order.id] = seq
        else:
            self._open.pop(order.id, None)
        if order.client_ref:
            self._by_ref[order.client_ref] = order.id
