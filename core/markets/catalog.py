"""The paper engine's rules table: lot/price decimals and minimums for the pairs Zyn commonly trades.

Paper mode, the sim exchange and backtests must round and reject orders the way the simulated
exchange (Kraken) would, even offline; these values mirror Kraken's public AssetPairs (lot/price
decimals, ordermin, costmin) closely enough for that. Only rules, no exchange names: the Kraken
sim adds Kraken's pair ids and altnames itself. Live mode reads the real rules from the exchange.
"""

from __future__ import annotations

from decimal import Decimal

from core.domain import Market
from core.markets.pairs import split_pair

# pair -> (lot_decimals, pair_decimals, ordermin, costmin); costmin is in the quote currency.
_RULES: dict[str, tuple[int, int, str, str]] = {
    "BTC/USD": (8, 1, "0.0001", "0.5"),
    "ETH/USD": (8, 2, "0.002", "0.5"),
    "LTC/USD": (8, 2, "0.05", "0.5"),
    "XRP/USD": (8, 5, "10", "0.5"),
    "SOL/USD": (8, 2, "0.02", "0.5"),
    "DOGE/USD": (8, 7, "50", "0.5"),
    "ADA/USD": (8, 6, "15", "0.5"),
    "BTC/EUR": (8, 1, "0.0001", "0.5"),
    "ETH/EUR": (8, 2, "0.002", "0.5"),
    "BTC/USDT": (8, 1, "0.0001", "0.5"),
    "ETH/USDT": (8, 2, "0.002", "0.5"),
    "ETH/BTC": (8, 5, "0.002", "0.00002"),
}


def _build(pair: str, lot: int, pair_dec: int, ordermin: str, costmin: str) -> Market:
    base, quote = split_pair(pair)
    return Market(
        pair=pair,
        base=base,
        quote=quote,
        lot_decimals=lot,
        pair_decimals=pair_dec,
        ordermin=Decimal(ordermin),
        costmin=Decimal(costmin),
    )


def known_markets() -> dict[str, Market]:
    """Every catalogued market, keyed by `BASE/QUOTE` (a fresh dict: callers may extend it)."""
    return {pair: _build(pair, *rules) for pair, rules in _RULES.items()}


def market_for(pair: str) -> Market:
    """Kraken's rules for `pair`, or permissive 8/8/0/0 defaults so unknown pairs still trade.

    Raises UserError when `pair` is not in `BASE/QUOTE` form.
    """
    rules = _RULES.get(pair)
    if rules is not None:
        return _build(pair, *rules)
    return _build(pair, 8, 8, "0", "0")


def markets_for(pairs: list[str] | tuple[str, ...]) -> dict[str, Market]:
    """Rules for the given pairs (what a PaperExchange for a data set's pairs needs)."""
    return {pair: market_for(pair) for pair in pairs}
