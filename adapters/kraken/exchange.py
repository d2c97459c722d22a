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
- The reads (markets, balances, prices, candles, order look-ups, history) are the base class
  `KrakenReads` in `adapters/kraken/exchange_reads.py`; this module places and cancels orders.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from loguru import logger

from adapters.kraken.budget import RateBudget
from adapters.kraken.client_ref import new_client_ref, to_cl_ord_id, userref_of
from adapters.kraken.exchange_reads import KrakenReads, Mode
from adapters.kraken.guard import BreakerOpen, CallGuard
from adapters.kraken.history import DEFAULT_MAX_PAGES
from adapters.kraken.mapping import order_from_ccxt
from adapters.kraken.serial_client import SerialKraken
from core.domain import (
    ExchangeError,
    ExchangeUnavailable,
    Market,
    Order,
    OrderNotFound,
    OrderOutcomeUnknown,
    OrderRequest,
)
from core.ports import Clock
from core.trading.circuit_breaker import CircuitBreaker

DEFAULT_FEE_RATE = Decimal("0.0026")
# AddOrder's `deadline` (Kraken: at least now + 2 s, at most now + 60 s): a request delayed in
# transit or queued longer than this is refused by the engine (`EService:Deadline elapsed`)
# instead of executing late, on a price the decision no longer holds for.
DEADLINE_S = 5.0
log = logger.bind(component="kraken")


__all__ = ["KrakenExchange", "new_client_ref"]


class KrakenExchange(KrakenReads):
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
