"""Kraken private endpoints of the sim, over the paper exchange.

Balance, BalanceEx, OpenOrders, ClosedOrders, QueryOrders, AddOrder (validate, cl_ord_id,
userref, close[...]), CancelOrder, CancelAll, TradesHistory. Why the checks are explicit here:
Kraken refuses with specific strings (`EGeneral:Invalid arguments:volume`, `EOrder:Order minimum
not met`, `EOrder:Insufficient funds`, `EOrder:Unknown order`) and clients map them to errors,
so the sim must say the same words for the same mistakes.

History (ClosedOrders, TradesHistory) pages like Kraken's: newest first, at most 50 per call,
`count` = all matches, `ofs` = offset, `start` exclusive and `end` inclusive (Unix seconds), so
a client that reads only the first page is caught here, not with real money.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import ROUND_DOWN, Decimal
from typing import Any, TypeVar

from adapters.sim_exchange.closes import CloseSpec
from adapters.sim_exchange.context import KrakenError, SimContext, decimal_arg, kraken_error
from adapters.sim_exchange.deadline import check_deadline
from adapters.sim_exchange.kraken_format import (
    asset_code,
    asset_decimals,
    descr_close,
    descr_order,
    num,
    order_entry,
    trade_entry,
)
from core.domain import Market, Order, OrderRequest, OrderType, ZynError

ORDER_TYPES: tuple[OrderType, ...] = ("market", "limit", "stop-loss", "take-profit")
HISTORY_PAGE = 50
CLOSED_PAGE = HISTORY_PAGE  # kept for callers of the old name
CL_ORD_ID_FREE_TEXT_MAX = 18
_UUID_LONG = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_UUID_SHORT = re.compile(r"^[0-9a-fA-F]{32}$")
_TXID = re.compile(r"^[A-Z0-9]{6}-[A-Z0-9]{5}-[A-Z0-9]{6}$")  # OQCLML-BW3P3-BUCMWZ
T = TypeVar("T")


def balance(ctx: SimContext, params: dict[str, str]) -> dict[str, str]:
    b = ctx.exchange.fetch_balances()
    return {asset_code(a): num(v, asset_decimals(a)) for a, v in sorted(b.total.items())}


def balance_ex(ctx: SimContext, params: dict[str, str]) -> dict[str, dict[str, str]]:
    b = ctx.exchange.fetch_balances()
    out: dict[str, dict[str, str]] = {}
    for asset, total in sorted(b.total.items()):
        d = asset_decimals(asset)
        hold = total - b.free.get(asset, total)
        out[asset_code(asset)] = {"balance": num(total, d), "hold_trade": num(max(hold, Decimal(0)), d)}
    return out


def _entry(ctx: SimContext, order: Order, with_trades: bool) -> dict[str, Any]:
    late = ctx.lag.hidden_fills() if with_trades else set()
    trades = [f.id for f in ctx.fills() if f.order_id == order.id and f.id not in late] if with_trades else None
    closes = ctx.closes.raw(order.id) if ctx.closes else None
    refid = ctx.closes.refids.get(order.id) if ctx.closes else None
    return order_entry(order, ctx.market(order.pair), ctx.userrefs.get(order.id), closes, trades, refid)


def _matches(ctx: SimContext, order: Order, params: dict[str, str]) -> bool:
    if params.get("cl_ord_id") and order.client_ref != params["cl_ord_id"]:
        return False
    if params.get("userref") and str(ctx.userrefs.get(order.id)) != params["userref"].strip():
        return False
    return True


def _truthy(params: dict[str, str], name: str) -> bool:
    return params.get(name, "").strip().lower() in ("true", "1")


def open_orders(ctx: SimContext, params: dict[str, str]) -> dict[str, Any]:
    shown = ctx.lag.open_view(ctx.exchange.fetch_open_orders(), ctx.exchange.fetch_closed_orders())
    orders = [o for o in shown if _matches(ctx, o, params)]
    return {"open": {o.id: _entry(ctx, o, _truthy(params, "trades")) for o in orders}}


def closed_orders(ctx: SimContext, params: dict[str, str]) -> dict[str, Any]:
    """Closed/canceled orders, newest close first, one page of 50 (see the module docstring)."""
    orders = [o for o in ctx.lag.closed_view(ctx.exchange.fetch_closed_orders()) if _matches(ctx, o, params)]
    orders = _in_window(orders, lambda o: o.closed_ms or o.created_ms, params)
    page, count = _page(list(reversed(orders)), params)  # the engine lists oldest first
    return {"closed": {o.id: _entry(ctx, o, _truthy(params, "trades")) for o in page}, "count": count}


def _in_window(items: list[T], ts_ms: Callable[[T], int], params: dict[str, str]) -> list[T]:
    """Kraken's window: `start` < time <= `end` (start is exclusive, end inclusive)."""
    start = _seconds(params, "start")
    end = _seconds(params, "end")
    return [x for x in items if (start is None or ts_ms(x) > start) and (end is None or ts_ms(x) <= end)]


def _page(newest_first: Sequence[T], params: dict[str, str]) -> tuple[list[T], int]:
    """One page at offset `ofs` (a non-negative integer) and the total count."""
    raw = params.get("ofs", "").strip() or "0"
    if not raw.isdigit():
        raise KrakenError("EGeneral:Invalid arguments:ofs")
    ofs = int(raw)
    return list(newest_first[ofs : ofs + HISTORY_PAGE]), len(newest_first)


def query_orders(ctx: SimContext, params: dict[str, str]) -> dict[str, Any]:
    """Unknown well-formed ids are absent (ccxt#8222); a malformed id is `EOrder:Invalid order`
    (as Kraken answered an id like `['OHF36Q-XQSB6-UIBS3Q']`, freqtrade#8006)."""
    ids = [t.strip() for t in params.get("txid", "").split(",") if t.strip()]
    if not ids:
        raise KrakenError("EGeneral:Invalid arguments:txid")
    if any(not _TXID.match(t) for t in ids):
        raise KrakenError("EOrder:Invalid order")
    out: dict[str, Any] = {}
    for oid in ids[:50]:
        try:
            out[oid] = _entry(ctx, ctx.lag.as_seen(ctx.exchange.fetch_order(oid)), _truthy(params, "trades"))
        except ZynError:
            continue  # unknown ids are simply absent (ccxt then raises OrderNotFound)
    return out


def _seconds(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(float(raw) * 1000)
    except ValueError:
        raise KrakenError(f"EGeneral:Invalid arguments:{name}") from None


def add_order(ctx: SimContext, params: dict[str, str], fill_fraction: Decimal | None = None) -> dict[str, Any]:
    """`fill_fraction` (the `partial` fault): only that share of an order filling on arrival
    executes now, rounded down to the lot; the rest stays open (Kraken: vol_exec < vol).
    A request past its `deadline` is refused before anything else (`adapters.sim_exchange.deadline`)."""
    check_deadline(params)
    pair = ctx.pair(params.get("pair", ""))
    market = ctx.market(pair)
    request = _order_request(params, pair, market)
    close = _close_fields(params)
    text = descr_order(request.side, request.amount, market, request.type, request.price)
    descr: dict[str, str] = {"order": text}
    if close:
        descr["close"] = descr_close(close, market)
    if _validate_flag(params):
        _check_like_kraken(ctx, request, market)
        return {"descr": descr}
    try:
        if fill_fraction is None:
            order = ctx.exchange.create_order(request)
        else:
            part = (request.amount * fill_fraction).quantize(Decimal(1).scaleb(-market.lot_decimals), ROUND_DOWN)
            order = ctx.exchange.create_order(request, fill_at_most=part)
    except ZynError as exc:
        raise kraken_error(exc) from None
    userref = _userref(params)
    if userref is not None:
        ctx.userrefs[order.id] = userref
    if close and ctx.closes is not None:
        spec = CloseSpec(_close_type(close), _close_price(close, market), userref)
        ctx.closes.register(order, spec, close)
    return {"descr": descr, "txid": [order.id]}


def _order_request(params: dict[str, str], pair: str, market: Market) -> OrderRequest:
    side = params.get("type", "")
    if side not in ("buy", "sell"):
        raise KrakenError("EGeneral:Invalid arguments:type")
    otype = params.get("ordertype", "")
    if otype not in ORDER_TYPES:
        raise KrakenError("EGeneral:Invalid arguments:ordertype")
    if "viqc" in params.get("oflags", ""):
        raise KrakenError("EGeneral:Invalid arguments:oflags")
    volume = decimal_arg(params, "volume")
    assert volume is not None  # noqa: S101  (decimal_arg raises when required and missing)
    volume = volume.quantize(Decimal(1).scaleb(-market.lot_decimals), rounding=ROUND_DOWN)
    if volume <= 0:
        raise KrakenError("EGeneral:Invalid arguments:volume")
    price = None if otype == "market" else _price(params.get("price", ""), market, "price")
    side_typed: Any = side
    otype_typed: Any = otype
    return OrderRequest(
        pair=pair,
        side=side_typed,
        type=otype_typed,
        amount=volume,
        price=price,
        client_ref=_cl_ord_id(params),
    )


def _cl_ord_id(params: dict[str, str]) -> str:
    """Kraken takes a UUID (36 chars with dashes, or 32 hex) or free text of at most 18 chars.

    Source: docs.kraken.com "Spot Client Order Identifiers" (three formats by length) and the
    Kraken REST clients that follow it. The refusal string follows Kraken's pattern for a bad
    argument (`EGeneral:Invalid arguments:<name>`); Kraken's exact words were not measured.
    """
    ref = params.get("cl_ord_id", "")
    if ref == "" and "cl_ord_id" not in params:
        return ""
    if _UUID_LONG.match(ref) or _UUID_SHORT.match(ref) or 0 < len(ref) <= CL_ORD_ID_FREE_TEXT_MAX:
        return ref
    raise KrakenError("EGeneral:Invalid arguments:cl_ord_id")


def _price(raw: str, market: Market, name: str) -> Decimal:
    value = decimal_arg({name: raw}, name)
    assert value is not None  # noqa: S101
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > market.pair_decimals:
        raise KrakenError(
            f"EOrder:Invalid price:{market.altname} price can only be specified up to "
            f"{market.pair_decimals} decimals."
        )
    return value


def _validate_flag(params: dict[str, str]) -> bool:
    """Kraken's boolean is the string `true`; `True` (a Python bool urlencoded) is refused here."""
    raw = params.get("validate")
    if raw is None or raw in ("false", "0", ""):
        return False
    if raw in ("true", "1"):
        return True
    raise KrakenError("EGeneral:Invalid arguments:validate")


def _userref(params: dict[str, str]) -> int | None:
    raw = params.get("userref", "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise KrakenError("EGeneral:Invalid arguments:userref") from None


def _close_fields(params: dict[str, str]) -> dict[str, str]:
    return {k[6:-1]: v for k, v in params.items() if k.startswith("close[") and k.endswith("]")}


def _close_type(close: dict[str, str]) -> OrderType:
    otype = close.get("ordertype", "")
    if otype not in ORDER_TYPES:
        raise KrakenError("EGeneral:Invalid arguments:close[ordertype]")
    return otype


def _close_price(close: dict[str, str], market: Market) -> Decimal | None:
    if _close_type(close) == "market":
        return None
    return _price(close.get("price", ""), market, "close[price]")


def _check_like_kraken(ctx: SimContext, request: OrderRequest, market: Market) -> None:
    """What AddOrder?validate=true checks: minimums and funds; nothing changes."""
    price = request.price
    if price is None:
        try:
            price = ctx.exchange.fetch_ticker(request.pair).last
        except ZynError:
            price = None
    if request.amount < market.ordermin:
        raise KrakenError("EOrder:Order minimum not met")
    if price is not None and request.amount * price < market.costmin:
        raise KrakenError("EOrder:Order minimum not met")
    free = ctx.exchange.fetch_balances().free
    if request.side == "sell" and free.get(market.base, Decimal(0)) < request.amount:
        raise KrakenError("EOrder:Insufficient funds")
    if request.side == "buy" and price is not None:
        need = request.amount * price * (1 + ctx.exchange.fee_rate(request.pair))
        if free.get(market.quote, Decimal(0)) < need:
            raise KrakenError("EOrder:Insufficient funds")


def cancel_order(ctx: SimContext, params: dict[str, str]) -> dict[str, Any]:
    """`txid` may be an order id or a userref; `cl_ord_id` selects by client id."""
    targets = _cancel_targets(ctx, params)
    if not targets:
        raise KrakenError("EOrder:Unknown order")
    count = 0
    for order in targets:
        try:
            ctx.exchange.cancel_order(order.id)
            ctx.canceled(order.id)
            count += 1
        except ZynError as exc:
            if len(targets) == 1:
                raise kraken_error(exc) from None
    return {"count": count, "pending": False}


def _cancel_targets(ctx: SimContext, params: dict[str, str]) -> list[Order]:
    open_ = ctx.exchange.fetch_open_orders()
    ref = params.get("cl_ord_id", "").strip()
    if ref:
        return [o for o in open_ if o.client_ref == ref]
    txid = params.get("txid", "").strip()
    if not txid:
        raise KrakenError("EGeneral:Invalid arguments:txid")
    if txid.lstrip("-").isdigit():
        return [o for o in open_ if ctx.userrefs.get(o.id) == int(txid)]
    return [o for o in open_ if o.id == txid]


def cancel_all(ctx: SimContext, params: dict[str, str]) -> dict[str, Any]:
    count = 0
    for order in ctx.exchange.fetch_open_orders():
        try:
            ctx.exchange.cancel_order(order.id)
            ctx.canceled(order.id)
            count += 1
        except ZynError:
            continue
    return {"count": count}


def trades_history(ctx: SimContext, params: dict[str, str]) -> dict[str, Any]:
    """Fills newest first, one page of 50; `trade_id` is the fill's place in the whole history."""
    types = {o.id: o.type for o in ctx.all_orders()}
    every = ctx.fills()  # oldest first, ties in execution order
    number = {f.id: n for n, f in enumerate(every, start=1)}
    late = ctx.lag.hidden_fills()  # FILL_LAG_S: fills REST does not show yet
    every = [f for f in every if f.id not in late]
    chosen = _in_window(every, lambda f: f.ts_ms, params)
    page, count = _page(list(reversed(chosen)), params)
    out: dict[str, Any] = {}
    for f in page:
        out[f.id] = trade_entry(f, ctx.market(f.pair), types.get(f.order_id, "market"), number[f.id])
    return {"trades": out, "count": count}


PRIVATE = {
    "Balance": balance,
    "BalanceEx": balance_ex,
    "OpenOrders": open_orders,
    "ClosedOrders": closed_orders,
    "QueryOrders": query_orders,
    "AddOrder": add_order,
    "CancelOrder": cancel_order,
    "CancelAll": cancel_all,
    "TradesHistory": trades_history,
}
