"""Render Zyn domain objects in Kraken's REST shapes (and parse Kraken's request fields).

Why exact: ccxt parses these answers. `descr.order` is split on spaces (`side vol pair @ type
price`), so a free-form text makes ccxt's parse_order raise; numbers are strings; times are Unix
seconds as floats; assets use Kraken codes (XXBT, ZUSD) and pairs their ids (XXBTZUSD) or
altnames (XBTUSD in descr).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from adapters.kraken.names import COMMON_TO_KRAKEN_ALT, LEGACY_Z, kraken_altname, kraken_asset
from core.domain import Candle, Fill, Market, Order, Ticker
from core.markets.pairs import split_pair

_DESCR_TYPE = {"stop-loss": "stop loss", "take-profit": "take profit"}


def num(value: Decimal | float | int | None, decimals: int | None = None) -> str:
    """A Kraken number string: fixed decimals when given, else plain (never exponent form)."""
    if value is None:
        return "0"
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    if decimals is not None:
        return f"{d.quantize(Decimal(1).scaleb(-decimals)):f}"
    return f"{d.normalize():f}" if d else "0"


def asset_decimals(common: str) -> int:
    if common in LEGACY_Z:
        return 4
    if common in ("USDT", "USDC"):
        return 8
    if common == "DOGE":
        return 8
    return 10


def asset_code(common: str) -> str:
    """The Assets key for a common name (BTC -> XXBT)."""
    return kraken_asset(common)


def asset_entry(common: str) -> dict[str, Any]:
    return {
        "aclass": "currency",
        "altname": COMMON_TO_KRAKEN_ALT.get(common, common),
        "decimals": asset_decimals(common),
        "display_decimals": min(5, asset_decimals(common)),
        "status": "enabled",
    }


def wsname(pair: str) -> str:
    base, quote = split_pair(pair)
    alt = {"BTC": "XBT", "DOGE": "XDG"}
    return f"{alt.get(base, base)}/{alt.get(quote, quote)}"


def pair_entry(market: Market, fee_rate: Decimal) -> dict[str, Any]:
    """One AssetPairs entry with everything ccxt reads (and a bit more, as Kraken sends)."""
    taker = float(fee_rate * 100)
    maker = float(min(fee_rate, Decimal("0.0016")) * 100)
    return {
        "altname": market.altname or kraken_altname(market.pair),
        "wsname": wsname(market.pair),
        "aclass_base": "currency",
        "base": kraken_asset(market.base),
        "aclass_quote": "currency",
        "quote": kraken_asset(market.quote),
        "lot": "unit",
        "cost_decimals": max(market.pair_decimals, 5),
        "pair_decimals": market.pair_decimals,
        "lot_decimals": market.lot_decimals,
        "lot_multiplier": 1,
        "leverage_buy": [],
        "leverage_sell": [],
        "fees": [[0, taker]],
        "fees_maker": [[0, maker]],
        "fee_volume_currency": "ZUSD",
        "margin_call": 80,
        "margin_stop": 40,
        "ordermin": num(market.ordermin),
        "costmin": num(market.costmin),
        "tick_size": num(Decimal(1).scaleb(-market.pair_decimals)),
        "status": "online",
    }


def descr_order(side: str, amount: Decimal, market: Market, otype: str, price: Decimal | None) -> str:
    """`buy 0.01000000 XBTUSD @ limit 27000.0`, `... @ market`, `... @ stop loss 28000.0`."""
    head = f"{side} {num(amount, market.lot_decimals)} {market.altname or kraken_altname(market.pair)} @ "
    if otype == "market" or price is None:
        return head + "market"
    return head + f"{_DESCR_TYPE.get(otype, otype)} {num(price, market.pair_decimals)}"


def descr_close(close: dict[str, str] | None, market: Market) -> str:
    """`close position @ stop loss 28000.0` for an attached conditional close, else ''."""
    if not close:
        return ""
    otype = close.get("ordertype", "")
    price = close.get("price")
    if otype == "market" or not price:
        return "close position @ market"
    return f"close position @ {_DESCR_TYPE.get(otype, otype)} {num(Decimal(price), market.pair_decimals)}"


def order_entry(
    order: Order,
    market: Market,
    userref: int | None = None,
    close: dict[str, str] | None = None,
    trades: list[str] | None = None,
    refid: str | None = None,
) -> dict[str, Any]:
    """An OpenOrders/ClosedOrders/QueryOrders entry (keyed by txid by the caller); `refid` is
    the order that created this one (a conditional close's parent), as Kraken reports it."""
    price = num(order.price, market.pair_decimals) if order.price is not None else "0"
    entry: dict[str, Any] = {
        "refid": refid,
        "userref": userref,
        "status": order.status,
        "opentm": order.created_ms / 1000,
        "starttm": 0,
        "expiretm": 0,
        "descr": _descr(order, market, price, close),
        "vol": num(order.amount, market.lot_decimals),
        "vol_exec": num(order.filled, market.lot_decimals),
        "cost": num((order.average_price or Decimal(0)) * order.filled),
        "fee": num(order.fee),
        "price": num(order.average_price) if order.average_price else "0",
        "stopprice": price if order.type != "limit" and order.type != "market" else "0",
        "limitprice": price if order.type == "limit" else "0",
        "misc": "",
        "oflags": "fciq",
    }
    if order.client_ref:
        entry["cl_ord_id"] = order.client_ref
    if order.status != "open":
        entry["closetm"] = (order.closed_ms or order.created_ms) / 1000
        entry["reason"] = "User requested" if order.status == "canceled" else None
    if trades is not None:
        entry["trades"] = trades
    return entry


def _descr(order: Order, market: Market, price: str, close: dict[str, str] | None) -> dict[str, str]:
    return {
        "pair": market.altname or kraken_altname(market.pair),
        "type": order.side,
        "ordertype": order.type,
        "price": price,
        "price2": "0",
        "leverage": "none",
        "order": descr_order(order.side, order.amount, market, order.type, order.price),
        "close": descr_close(close, market),
    }


def trade_entry(fill: Fill, market: Market, ordertype: str, trade_no: int) -> dict[str, Any]:
    """A TradesHistory entry; `pair` is the AssetPairs key as Kraken sends it."""
    return {
        "ordertxid": fill.order_id,
        "postxid": fill.id,
        "pair": market.exchange_id,
        "time": fill.ts_ms / 1000,
        "type": fill.side,
        "ordertype": ordertype,
        "price": num(fill.price),
        "cost": num(fill.price * fill.amount),
        "fee": num(fill.fee),
        "vol": num(fill.amount, market.lot_decimals),
        "margin": "0",
        "leverage": "0",
        "misc": "",
        "trade_id": trade_no,
        "maker": ordertype == "limit",
    }


def ohlc_row(c: Candle, decimals: int) -> list[Any]:
    """[time_s, open, high, low, close, vwap, volume, count] with strings for the numbers."""
    vwap = (c.open + c.high + c.low + c.close) / 4
    return [
        c.ts // 1000,
        num(Decimal(str(c.open)), decimals),
        num(Decimal(str(c.high)), decimals),
        num(Decimal(str(c.low)), decimals),
        num(Decimal(str(c.close)), decimals),
        num(Decimal(str(vwap)), decimals),
        num(Decimal(str(c.volume)), 8),
        1 if c.volume else 0,
    ]


def ticker_entry(t: Ticker, day: list[Candle], decimals: int) -> dict[str, Any]:
    """A Ticker entry; 24h figures come from the candles of the last day when we have them."""
    last = num(t.last, decimals)
    high = max([c.high for c in day], default=float(t.last))
    low = min([c.low for c in day], default=float(t.last))
    vol = sum(c.volume for c in day)
    first = day[0].open if day else float(t.last)
    return {
        "a": [num(t.ask, decimals), "1", "1.000"],
        "b": [num(t.bid, decimals), "1", "1.000"],
        "c": [last, "0.00100000"],
        "v": [num(Decimal(str(vol)), 8), num(Decimal(str(vol)), 8)],
        "p": [last, last],
        "t": [len(day), len(day)],
        "l": [num(Decimal(str(low)), decimals), num(Decimal(str(low)), decimals)],
        "h": [num(Decimal(str(high)), decimals), num(Decimal(str(high)), decimals)],
        "o": num(Decimal(str(first)), decimals),
    }
