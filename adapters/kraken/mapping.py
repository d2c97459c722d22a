"""Convert ccxt/Kraken structures into `core.domain` value objects.

Why a separate module: the shapes ccxt returns for Kraken have traps (a stop-loss comes back with
`type="market"` and its trigger in `stopLossPrice`; a fresh AddOrder answer has no status; staking
balances appear as `XBT.F`), and keeping the translation pure makes it testable without a server.
Asset names go through `core.markets.pairs` so the whole bot agrees on BTC/USD, DOGE, ...
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from core.domain import Balances, Candle, Fill, Market, Order, OrderStatus, OrderType, Side
from core.markets.pairs import common_asset

_STATUS: dict[str, OrderStatus] = {
    "open": "open",
    "closed": "closed",
    "canceled": "canceled",
    "expired": "canceled",
    "rejected": "canceled",
}
_KRAKEN_TYPES: dict[str, OrderType] = {
    "market": "market",
    "limit": "limit",
    "stop-loss": "stop-loss",
    "take-profit": "take-profit",
}


def dec(value: Any) -> Decimal | None:
    """Exact Decimal from a ccxt number or string (via str, so 0.1 stays 0.1)."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def dec0(value: Any) -> Decimal:
    return dec(value) or Decimal("0")


def market_from_ccxt(m: dict[str, Any]) -> Market:
    """A ccxt market (built from Kraken AssetPairs) -> Market with Kraken's own rule numbers."""
    info = m.get("info") or {}
    base = common_asset(str(info.get("base") or m["base"]))
    quote = common_asset(str(info.get("quote") or m["quote"]))
    return Market(
        pair=f"{base}/{quote}",
        base=base,
        quote=quote,
        exchange_id=str(m.get("id") or ""),
        altname=str(info.get("altname") or m.get("altname") or ""),
        lot_decimals=int(info.get("lot_decimals", 8)),
        pair_decimals=int(info.get("pair_decimals", 8)),
        ordermin=dec0(info.get("ordermin")),
        costmin=dec0(info.get("costmin")),
    )


def order_type_of(o: dict[str, Any]) -> OrderType:
    """Kraken's ordertype wins over ccxt's `type` (ccxt reports a stop-loss as 'market')."""
    descr = (o.get("info") or {}).get("descr")
    if isinstance(descr, dict) and descr.get("ordertype") in _KRAKEN_TYPES:
        return _KRAKEN_TYPES[descr["ordertype"]]
    if o.get("stopLossPrice") is not None:
        return "stop-loss"
    if o.get("takeProfitPrice") is not None:
        return "take-profit"
    return "limit" if o.get("type") == "limit" else "market"


def order_from_ccxt(o: dict[str, Any], pair: str, client_ref: str = "", validated: bool = False) -> Order:
    """A ccxt order -> Order. `price` is the limit price, or the trigger of a stop/take-profit."""
    otype = order_type_of(o)
    if otype == "stop-loss":
        price = dec(o.get("stopLossPrice") or o.get("triggerPrice"))
    elif otype == "take-profit":
        price = dec(o.get("takeProfitPrice") or o.get("triggerPrice"))
    elif otype == "limit":
        price = dec(o.get("price"))
    else:
        price = None
    status = _STATUS.get(str(o.get("status") or "open"), "open")
    fee = o.get("fee") or {}
    ts = o.get("timestamp")
    closed = o.get("lastUpdateTimestamp") if status != "open" else None
    side: Side = "sell" if o.get("side") == "sell" else "buy"
    return Order(
        id=str(o.get("id") or ""),
        pair=pair,
        side=side,
        type=otype,
        amount=dec0(o.get("amount")),
        price=price,
        status=status,
        filled=dec0(o.get("filled")),
        average_price=dec(o.get("average")) or None,
        fee=dec0(fee.get("cost")),
        client_ref=_client_ref(o, client_ref),
        created_ms=int(ts) if ts else 0,
        closed_ms=int(closed) if closed else None,
        validated_only=validated,
    )


def _client_ref(o: dict[str, Any], fallback: str) -> str:
    """Kraken's `cl_ord_id`; ccxt's clientOrderId falls back to `userref`, which is not a reference."""
    info = o.get("info") or {}
    if info.get("cl_ord_id"):
        return str(info["cl_ord_id"])
    ccxt_ref = o.get("clientOrderId")
    if ccxt_ref and str(ccxt_ref) != str(info.get("userref")):
        return str(ccxt_ref)
    return fallback or ""


def fill_from_ccxt(t: dict[str, Any], pair: str) -> Fill:
    """A ccxt trade from TradesHistory -> Fill (Kraken fees on spot are in the quote currency)."""
    fee = t.get("fee") or {}
    side: Side = "sell" if t.get("side") == "sell" else "buy"
    return Fill(
        id=str(t.get("id") or ""),
        order_id=str(t.get("order") or ""),
        pair=pair,
        side=side,
        amount=dec0(t.get("amount")),
        price=dec0(t.get("price")),
        fee=dec0(fee.get("cost")),
        ts_ms=int(t.get("timestamp") or 0),
    )


def balances_from_kraken(result: dict[str, Any]) -> tuple[Balances, dict[str, Decimal]]:
    """BalanceEx `result` -> (tradable Balances, staked/earn balances kept apart).

    Staking variants (`XBT.F`, `DOT.S`, `ETH2.S`, `USD.HOLD`) are not spendable by orders on the
    spot pair, so they must not inflate `free`; they are returned separately by common name.
    """
    total: dict[str, Decimal] = {}
    free: dict[str, Decimal] = {}
    staked: dict[str, Decimal] = {}
    for code, entry in result.items():
        amount, hold = _balance_entry(entry)
        if "." in code:
            name = common_asset(code) + "." + code.split(".", 1)[1]
            staked[name] = staked.get(name, Decimal("0")) + amount
            continue
        asset = common_asset(code)
        total[asset] = total.get(asset, Decimal("0")) + amount
        free[asset] = free.get(asset, Decimal("0")) + max(Decimal("0"), amount - hold)
    return Balances(total=total, free=free), staked


def _balance_entry(entry: Any) -> tuple[Decimal, Decimal]:
    if isinstance(entry, dict):  # BalanceEx
        return dec0(entry.get("balance")), dec0(entry.get("hold_trade"))
    return dec0(entry), Decimal("0")  # plain Balance


def candle_from_row(row: list[Any]) -> Candle:
    """A ccxt OHLCV row [ms, o, h, l, c, v] -> Candle."""
    return Candle(
        ts=int(row[0]),
        open=float(row[1]),
        high=float(row[2]),
        low=float(row[3]),
        close=float(row[4]),
        volume=float(row[5] or 0.0),
    )
