"""Kraken spot account reads through ccxt: markets, balances, prices, candles, order look-ups.

Split from `adapters/kraken/exchange.py` (house rule: one job per module): this is the market
data and account read side of `KrakenExchange` (its base class); placing and cancelling orders
stay in exchange.py, whose docstring gives the guarantees. Every read here goes through the
circuit breaker with retries (`CallGuard.read`); history is paged (`history.page_all`);
orders come back with the caller's reference (`client_ref.to_cl_ord_id`). The attributes are set
by `KrakenExchange.__init__` (the one constructor) and declared here so the reads type-check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any, Literal

from adapters.kraken.client_ref import same_cl_ord_id, to_cl_ord_id, userref_of
from adapters.kraken.guard import CallGuard
from adapters.kraken.history import oldest_first, page_all, window
from adapters.kraken.mapping import (
    balances_from_kraken,
    candle_from_row,
    dec,
    fill_from_ccxt,
    market_from_ccxt,
    order_from_ccxt,
)
from adapters.kraken.serial_client import SerialKraken
from core.domain import (
    Balances,
    Candle,
    ExchangeError,
    Fill,
    InvalidOrder,
    Market,
    Order,
    OrderNotFound,
    Ticker,
)
from core.ports import Clock

Mode = Literal["paper", "validate", "live"]
QUERY_ORDERS_MAX = 50  # txids per QueryOrders call (Kraken's limit)


class KrakenReads:
    """The read side of `KrakenExchange`; see the module docstring."""

    mode: Mode
    _clock: Clock
    _fee_rate: Decimal
    _history_max_pages: int
    _ref_of: dict[str, str]
    _conditional_close: bool
    ccxt: SerialKraken
    guard: CallGuard
    _markets: dict[str, Market]
    _symbol_of: dict[str, str]
    _pair_of: dict[str, str]
    staked: dict[str, Decimal]

    # ----------------------------------------------------------------- markets
    def load_markets(self) -> dict[str, Market]:
        """AssetPairs (+ Assets) -> {BTC/USD: Market}; cached until called again."""
        raw = self.guard.read("load_markets", lambda: self.ccxt.load_markets(reload=True))
        markets: dict[str, Market] = {}
        for symbol, m in raw.items():
            if not m.get("spot", True):
                continue
            market = market_from_ccxt(m)
            markets[market.pair] = market
            self._symbol_of[market.pair] = symbol
            self._pair_of[symbol] = market.pair
        self._markets = markets
        return dict(markets)

    def _symbol(self, pair: str) -> str:
        if not self._markets:
            self.load_markets()
        try:
            return self._symbol_of[pair]
        except KeyError:
            raise ExchangeError(f"Kraken: EQuery:Unknown asset pair ({pair})") from None

    def _pair(self, symbol: str | None) -> str:
        return self._pair_of.get(symbol or "", symbol or "")

    # ------------------------------------------------------------------- reads
    def fetch_balances(self) -> Balances:
        """BalanceEx with Kraken asset names mapped (XXBT -> BTC); staking kept in `self.staked`."""
        raw = self.guard.read("fetch_balances", lambda: self.ccxt.privatePostBalanceEx())
        balances, staked = balances_from_kraken(raw.get("result") or {})
        self.staked = staked
        return balances

    def fetch_ticker(self, pair: str) -> Ticker:
        symbol = self._symbol(pair)
        t = self.guard.read("fetch_ticker", lambda: self.ccxt.fetch_ticker(symbol))
        last = dec(t.get("last")) or Decimal("0")
        return Ticker(
            pair=pair,
            last=last,
            bid=dec(t.get("bid")) or last,
            ask=dec(t.get("ask")) or last,
            ts_ms=int(t.get("timestamp") or self._clock.now_ms()),
        )

    def fetch_ohlcv(
        self, pair: str, timeframe: str, since_ms: int | None = None, limit: int | None = None
    ) -> list[Candle]:
        """Kraken keeps only the last 720 candles; the last row may still be forming.

        `limit` is applied here, not sent (Kraken ignores it and always answers up to 720 rows):
        without `since` the newest `limit` candles, with `since` the first ones from it.
        """
        symbol = self._symbol(pair)
        rows = self.guard.read("fetch_ohlcv", lambda: self.ccxt.fetch_ohlcv(symbol, timeframe, since_ms))
        candles = [candle_from_row(r) for r in rows]
        if limit is not None and limit >= 0:
            candles = candles[:limit] if since_ms is not None else candles[-limit:] if limit else []
        return candles

    def fetch_order(self, order_id: str) -> Order:
        """QueryOrders; an id Kraken does not know is always `OrderNotFound`.

        Kraken answers an unknown id with an empty result (ccxt: OrderNotFound) but a malformed
        one with `EOrder:Invalid order` (freqtrade#8006) or `EGeneral:Invalid arguments:txid`;
        loops that skip vanished orders catch OrderNotFound only, so all three mean "not found".
        """
        try:
            o = self.guard.read("fetch_order", lambda: self.ccxt.fetch_order(order_id))
        except InvalidOrder as exc:
            if "EOrder:Invalid order" in str(exc) or "Invalid arguments:txid" in str(exc):
                raise OrderNotFound(str(exc)) from None
            raise
        return self._order(o)

    def fetch_orders(self, order_ids: Sequence[str]) -> dict[str, Order]:
        """QueryOrders for up to 50 txids per call (one private call for every stop of a sync);
        ids Kraken does not know are absent from its answer, so they are absent here."""
        found: dict[str, Order] = {}
        ids = list(dict.fromkeys(i for i in order_ids if i and not i.startswith("validate:")))
        for start in range(0, len(ids), QUERY_ORDERS_MAX):
            for o in self._query_orders(ids[start : start + QUERY_ORDERS_MAX]):
                order = self._order(o)
                found[order.id] = order
        return found

    def _query_orders(self, ids: list[str]) -> list[dict[str, Any]]:
        raw: list[dict[str, Any]] = self.guard.read("fetch_orders", lambda: self.ccxt.fetch_orders_by_ids(ids))
        return raw

    def find_order_by_client_ref(self, client_ref: str) -> Order | None:
        """Open orders first, then closed ones, filtered by `cl_ord_id` (server-side and here)."""
        if not client_ref:
            return None
        sent = to_cl_ord_id(client_ref)
        params = {"clientOrderId": sent}
        for name, call in (
            ("fetch_open_orders", lambda: self.ccxt.fetch_open_orders(None, None, None, params)),
            ("fetch_closed_orders", lambda: self.ccxt.fetch_closed_orders(None, None, None, params)),
        ):
            for o in self.guard.read(name, call):
                if same_cl_ord_id(_echoed_ref(o), sent):
                    return replace(self._order(o), client_ref=client_ref)
        return None

    def supports_conditional_close(self, pair: str) -> bool:
        """Every Kraken spot pair takes a conditional close on AddOrder (validate mode checks it
        too); off by the owner's KRAKEN_CONDITIONAL_CLOSE=off, and never in paper mode."""
        return self.mode != "paper" and self._conditional_close

    def conditional_stops(self, client_ref: str) -> list[Order]:
        """The open stop-losses Kraken placed for the entry sent with `client_ref` (one per fill):
        OpenOrders filtered by the `userref` the entry carried (`client_ref.userref_of`)."""
        if not client_ref:
            return []
        params = {"userref": userref_of(client_ref)}
        raw = self.guard.read("fetch_open_orders", lambda: self.ccxt.fetch_open_orders(None, None, None, params))
        orders = [self._order(o) for o in raw if str((o.get("info") or {}).get("userref")) == str(params["userref"])]
        return [o for o in orders if o.type == "stop-loss" and o.side == "sell"]

    def conditional_stops_of(self, client_refs: Sequence[str]) -> dict[str, list[Order]]:
        """`conditional_stops` for several entries in ONE OpenOrders call (the per-sync stop
        check: a stop REST showed late, beside Zyn's own, is found whatever the positions)."""
        wanted = {str(userref_of(ref)): ref for ref in client_refs if ref}
        if not wanted:
            return {}
        raw = self.guard.read("fetch_open_orders", lambda: self.ccxt.fetch_open_orders())
        out: dict[str, list[Order]] = {}
        for o in raw:
            ref = wanted.get(str((o.get("info") or {}).get("userref")))
            order = self._order(o) if ref is not None else None
            if ref is not None and order is not None and order.type == "stop-loss" and order.side == "sell":
                out.setdefault(ref, []).append(order)
        return out

    def fetch_open_orders(self, pair: str | None = None) -> list[Order]:
        symbol = self._symbol(pair) if pair else None
        raw = self.guard.read("fetch_open_orders", lambda: self.ccxt.fetch_open_orders(symbol))
        return [self._order(o) for o in raw]

    def fetch_closed_orders(self, since_ms: int | None = None) -> list[Order]:
        """Every closed/canceled order closed at or after `since_ms`, oldest close first, once each.

        All pages of ClosedOrders (see `adapters.kraken.history`). ccxt's parse_orders is called
        without `since`: it would filter on the OPEN time and drop orders opened earlier.
        """
        if not self._markets:
            self.load_markets()
        rows = self._history("ClosedOrders", self.ccxt.privatePostClosedOrders, since_ms, "closed")
        position = oldest_first([r["id"] for r in rows])
        orders = [self._order(o) for o in self.ccxt.parse_orders(rows, None, None, None)]
        orders = [o for o in orders if since_ms is None or (o.closed_ms or o.created_ms) >= since_ms]
        return sorted(orders, key=lambda o: (o.closed_ms or o.created_ms, position.get(o.id, 0)))

    def fetch_my_trades(self, since_ms: int | None = None) -> list[Fill]:
        """Every fill at or after `since_ms` (the whole history when None), oldest first, once each.

        FIFO P&L is computed from this, so a missing page is a wrong P&L: all pages of
        TradesHistory are read (see `adapters.kraken.history`).
        """
        if not self._markets:
            self.load_markets()
        rows = self._history("TradesHistory", self.ccxt.privatePostTradesHistory, since_ms, "trades")
        position = oldest_first([r["id"] for r in rows])
        fills = [fill_from_ccxt(t, self._pair(t.get("symbol"))) for t in self.ccxt.parse_trades(rows)]
        fills = [f for f in fills if since_ms is None or f.ts_ms >= since_ms]
        return sorted(fills, key=lambda f: (f.ts_ms, position.get(f.id, 0)))

    def _history(
        self, method: str, call: Callable[[dict[str, Any]], Any], since_ms: int | None, key: str
    ) -> list[dict[str, Any]]:
        """All pages of one history endpoint; each page is its own guarded, retried read."""

        def one_page(request: dict[str, Any]) -> dict[str, Any]:
            answer: dict[str, Any] = self.guard.read(method, lambda: call(request))
            return answer

        return page_all(one_page, window(since_ms), key, self._history_max_pages)

    def websocket_token(self) -> str:
        """GetWebSocketsToken: a short-lived token for the private WebSocket (issue 21)."""
        self._refuse_in_paper("open the private WebSocket")
        answer: dict[str, Any] = self.guard.read("GetWebSocketsToken",
                                                 lambda: self.ccxt.privatePostGetWebSocketsToken())
        token = (answer.get("result") or {}).get("token")
        if not token:
            raise ExchangeError("Kraken: GetWebSocketsToken answered no token")
        return str(token)

    def caller_ref(self, cl_ord_id: str) -> str:
        """The caller's reference for a `cl_ord_id` Kraken echoes (see `client_ref.to_cl_ord_id`)."""
        return self._ref_of.get(cl_ord_id, cl_ord_id)

    def fee_rate(self, pair: str) -> Decimal:
        """Kraken's base taker fee; the account's own tier is not queried."""
        return self._fee_rate

    def _order(self, o: dict[str, Any], client_ref: str = "", validated: bool = False) -> Order:
        """A ccxt order -> Order, with the caller's reference where we mapped it to a UUID5."""
        order = order_from_ccxt(o, self._pair(o.get("symbol")), client_ref, validated)
        original = self._ref_of.get(order.client_ref)
        return replace(order, client_ref=original) if original else order

    def _refuse_in_paper(self, what: str) -> None:
        if self.mode == "paper":
            raise ExchangeError(f"paper mode: the Kraken adapter does not {what} (the paper exchange does)")



def _echoed_ref(o: dict[str, Any]) -> str:
    """The `cl_ord_id` Kraken echoed (ccxt's clientOrderId falls back to `userref`, so not that)."""
    info = o.get("info") or {}
    return str(info.get("cl_ord_id") or "")

