"""Kraken spot account through ccxt, implementing `core.ports.Exchange`.

Why it looks like this:
- `api_url` is a base URL (`https://api.kraken.com` or a `zyn sim-exchange`); ccxt itself appends
  `/0/public/...` and `/0/private/...`, so urls["api"] public/private = api_url (no `/0`).
- Reads are retried with backoff behind the circuit breaker (`CallGuard.read`).
- Orders are never blindly retried: each carries a client reference (`cl_ord_id`); after an
  answered failure we look the order up by that reference in open + closed orders before placing
  again; after an unanswered one (timeout, dropped connection, empty/HTML 200) it is looked up
  once and never sent again (`OrderOutcomeUnknown`), so a timeout cannot double a position.
  References Kraken would refuse are mapped to a UUID5 the
  same way on placement and lookup (`client_ref.to_cl_ord_id`); orders come back with the
  caller's reference.
- Trade and closed-order history is paged (`history.page_all`): Kraken answers 50 per call.
- `validate` mode sends AddOrder with `validate="true"` (the string: ccxt would send a Python bool
  as `True`); Kraken checks the order and executes nothing. `paper` mode places no orders here.
- Errors leave as `core.domain` errors with Kraken's text, never with the key or secret.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from loguru import logger

from adapters.kraken.budget import RateBudget
from adapters.kraken.client_ref import new_client_ref, same_cl_ord_id, to_cl_ord_id, userref_of
from adapters.kraken.guard import BreakerOpen, CallGuard
from adapters.kraken.history import DEFAULT_MAX_PAGES, oldest_first, page_all, window
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
    ExchangeUnavailable,
    Fill,
    InvalidOrder,
    Market,
    Order,
    OrderNotFound,
    OrderOutcomeUnknown,
    OrderRequest,
    Ticker,
)
from core.ports import Clock
from core.trading.circuit_breaker import CircuitBreaker

Mode = Literal["paper", "validate", "live"]
DEFAULT_FEE_RATE = Decimal("0.0026")
QUERY_ORDERS_MAX = 50  # txids per QueryOrders call (Kraken's limit)
# AddOrder's `deadline` (Kraken: at least now + 2 s, at most now + 60 s): a request delayed in
# transit or queued longer than this is refused by the engine (`EService:Deadline elapsed`)
# instead of executing late, on a price the decision no longer holds for.
DEADLINE_S = 5.0
log = logger.bind(component="kraken")


__all__ = ["KrakenExchange", "new_client_ref"]


class KrakenExchange:
    """`core.ports.Exchange` over ccxt.kraken; see the module docstring for the guarantees."""

    name = "kraken"

    def __init__(
        self,
        api_url: str,
        api_key: str,
        api_secret: str,
        mode: Mode,
        clock: Clock,
        breaker: CircuitBreaker,
        retry_attempts: int = 3,
        ccxt_options: dict[str, Any] | None = None,
        *,
        backoff_s: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        fee_rate: Decimal = DEFAULT_FEE_RATE,
        history_max_pages: int = DEFAULT_MAX_PAGES,
        budget: RateBudget | None = None,
        deadline_s: float = DEADLINE_S,
        wall: Callable[[], float] = time.time,
        conditional_close: bool = True,
        fence: Callable[[], None] | None = None,
    ) -> None:
        if mode not in ("paper", "validate", "live"):
            raise ValueError(f"mode must be paper, validate or live, not {mode!r}")
        self.mode = mode
        self.api_url = api_url.rstrip("/")
        self._clock = clock
        self._sleep = sleep
        self._backoff_s = backoff_s
        self._fee_rate = fee_rate
        self._history_max_pages = history_max_pages
        self._ref_of: dict[str, str] = {}  # cl_ord_id sent -> the caller's reference
        self._deadline_s, self._wall = deadline_s, wall
        self._conditional_close = conditional_close  # KRAKEN_CONDITIONAL_CLOSE
        config: dict[str, Any] = {"apiKey": api_key, "secret": api_secret, "enableRateLimit": True}
        config.update(ccxt_options or {})
        # Kraken's counter rules instead of ccxt's fixed delay (`enableRateLimit: False` turns
        # the budget off, e.g. against the sim); private calls are serialized: see serial_client.
        self.ccxt = SerialKraken(config, budget or RateBudget(), deadline=self._deadline, fence=fence)
        self.ccxt.urls["api"] = {**self.ccxt.urls["api"], "public": self.api_url, "private": self.api_url}
        self.guard = CallGuard(breaker, retry_attempts, backoff_s, sleep=sleep, secrets=(api_key, api_secret))
        self._markets: dict[str, Market] = {}
        self._symbol_of: dict[str, str] = {}
        self._pair_of: dict[str, str] = {}
        self.staked: dict[str, Decimal] = {}

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

    # ------------------------------------------------------------------ orders
    def create_order(self, request: OrderRequest) -> Order:
        """Place (or in validate mode, check) an order; never place it twice."""
        self._refuse_in_paper("place orders")
        symbol = self._symbol(request.pair)
        ref = request.client_ref or new_client_ref()
        sent = to_cl_ord_id(ref)
        if sent != ref:
            self._ref_of[sent] = ref
        validate = self.mode == "validate" or request.validate
        args = _order_args(request, symbol, sent, validate, self._deadline())
        if validate:
            raw = self.guard.read("AddOrder(validate)", lambda: self.ccxt.create_order(*args))
            order = order_from_ccxt(raw, request.pair, ref, validated=True)
            return _validated(order, ref)
        return self._place_once(request, args, ref)

    def _deadline(self) -> str:
        """Now + `deadline_s` on the wall clock (Kraken's server time), RFC3339 with milliseconds."""
        at = datetime.fromtimestamp(self._wall() + self._deadline_s, tz=UTC)
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"

    def _place_once(self, request: OrderRequest, args: tuple[Any, ...], ref: str) -> Order:
        """THE one layer that retries an order send (issue 18): only after an answered failure
        (an error page or a Kraken error) AND a look-up by client reference proving it absent.

        An unanswered send (timeout, dropped connection) or an answer without a txid (an empty
        or HTML 200) may have executed and the order may not be visible yet, so it is looked up
        once and, if not seen, raised as `OrderOutcomeUnknown`: never sent again, never called
        "failed"; the order desk keeps its row and the next sync settles it."""
        last: Exception | None = None
        for attempt in range(1, self.guard.retry_attempts + 1):
            try:
                raw = self.guard.once("AddOrder", lambda: self.ccxt.create_order(*args))
            except BreakerOpen:
                if attempt == 1:
                    raise
                raise ExchangeUnavailable(f"{last}; order not placed (client_ref={ref})") from None
            except OrderOutcomeUnknown as exc:
                return self._found_or_unknown(ref, exc)
            except ExchangeUnavailable as exc:
                last = exc
                found = self._lookup_after_loss(ref, exc)
                if found is not None:
                    log.bind(call="AddOrder", client_ref=ref, order_id=found.id).warning(
                        "AddOrder answer lost but order {} exists; not placing again", found.id
                    )
                    return found
                if attempt < self.guard.retry_attempts:
                    self._sleep(self._backoff_s * 2 ** (attempt - 1))
                continue
            placed = replace(order_from_ccxt(raw, request.pair, ref), client_ref=ref)
            if not placed.id:  # HTTP 200 without a txid (empty or HTML body): it may have executed
                return self._found_or_unknown(ref, OrderOutcomeUnknown("AddOrder answered without a txid"))
            return self._read_back(placed, ref)
        raise ExchangeUnavailable(f"{last}; order not placed (client_ref={ref})")

    def _found_or_unknown(self, ref: str, cause: Exception) -> Order:
        """After a send that may have executed: the order if a look-up sees it, else unknown."""
        found = self._lookup_after_loss(ref, cause)
        if found is not None:
            log.bind(call="AddOrder", client_ref=ref, order_id=found.id).warning(
                "AddOrder answer lost but order {} exists; not placing again", found.id
            )
            return found
        log.bind(call="AddOrder", client_ref=ref).warning(
            "AddOrder outcome unknown ({}): not visible yet; not placing again", cause
        )
        raise OrderOutcomeUnknown(
            f"order outcome unknown ({cause}); client_ref={ref} is settled on the next sync"
        )

    def _lookup_after_loss(self, ref: str, cause: Exception | None) -> Order | None:
        try:
            return self.find_order_by_client_ref(ref)
        except ExchangeUnavailable:
            raise OrderOutcomeUnknown(
                f"order state unknown after a lost AddOrder answer ({cause}); "
                f"look up client_ref={ref} before placing again"
            ) from None

    def _read_back(self, placed: Order, ref: str) -> Order:
        """Read the order back for its real state (a market order is already filled); an order
        Kraken does not show yet keeps the state AddOrder gave (the desk settles it later)."""
        try:
            return replace(self.fetch_order(placed.id), client_ref=ref)
        except (ExchangeError, ExchangeUnavailable) as exc:
            log.bind(call="fetch_order", order_id=placed.id).info("placed; state read-back failed: {}", exc)
            return placed

    def cancel_order(self, order_id: str) -> None:
        """Cancel and confirm by reading the order back (some Kraken cancels do not happen)."""
        self._refuse_in_paper("cancel orders")
        if order_id.startswith("validate:"):
            return
        try:
            self.guard.read("cancel_order", lambda: self.ccxt.cancel_order(order_id))
        except OrderNotFound:
            if self._status(order_id) != "canceled":  # an earlier try may have cancelled it
                raise
            return
        status = self._status(order_id)
        if status == "open":
            raise ExchangeUnavailable(f"cancel of {order_id} not confirmed: Kraken still shows it open")

    def _status(self, order_id: str) -> str | None:
        try:
            return self.fetch_order(order_id).status
        except OrderNotFound:
            return None

    def _refuse_in_paper(self, what: str) -> None:
        if self.mode == "paper":
            raise ExchangeError(f"paper mode: the Kraken adapter does not {what} (the paper exchange does)")


def _echoed_ref(o: dict[str, Any]) -> str:
    """The `cl_ord_id` Kraken echoed (ccxt's clientOrderId falls back to `userref`, so not that)."""
    info = o.get("info") or {}
    return str(info.get("cl_ord_id") or "")


def _order_args(
    request: OrderRequest, symbol: str, cl_ord_id: str, validate: bool, deadline: str
) -> tuple[Any, ...]:
    """ccxt create_order arguments; stop-loss / take-profit become Kraken ordertypes with price=trigger.

    A `close_stop` becomes Kraken's conditional close: ccxt passes `params["close"]` as the
    nested form fields `close[ordertype]` / `close[price]` (its price rounded to the market's
    precision), and the `userref` derived from the client reference marks the close orders the
    exchange places for it (they carry the parent's userref), so a restart finds them."""
    params: dict[str, Any] = {"clientOrderId": cl_ord_id, "deadline": deadline}
    if validate:
        params["validate"] = "true"
    if request.close_stop is not None:
        params["close"] = {"ordertype": "stop-loss", "price": float(request.close_stop)}
        params["userref"] = userref_of(request.client_ref or cl_ord_id)
    amount = float(request.amount)
    price = float(request.price) if request.price is not None else None
    if request.type in ("limit", "stop-loss", "take-profit") and price is None:
        raise ExchangeError(f"Kraken: EGeneral:Invalid arguments:price ({request.type} needs a price)")
    if request.type == "limit":
        return (symbol, "limit", request.side, amount, price, params)
    if request.type == "stop-loss":
        params["stopLossPrice"] = price
    elif request.type == "take-profit":
        params["takeProfitPrice"] = price
    return (symbol, "market", request.side, amount, None, params)


def _validated(order: Order, ref: str) -> Order:
    """A validated order does not exist on Kraken: no txid, nothing to fill or cancel."""
    return replace(order, id=f"validate:{ref}", status="canceled", client_ref=ref, validated_only=True)
