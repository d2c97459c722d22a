"""How Kraken names assets and pairs on the wire: XXBT/ZUSD assets, XXBTZUSD pair ids, XBTUSD altnames.

Why here: these are Kraken's, not Zyn's; core speaks `BASE/QUOTE` with common codes. The
Kraken adapter and the Kraken sim translate at the edge (reading Kraken's codes back is
`core.markets.pairs.common_asset`, which also serves typed input).
"""

from __future__ import annotations

from core.markets.pairs import split_pair

COMMON_TO_KRAKEN_ALT: dict[str, str] = {"BTC": "XBT", "DOGE": "XDG"}
LEGACY_X = {"BTC", "ETH", "LTC", "XRP", "DOGE", "XLM", "ETC", "XMR", "ZEC", "REP"}
LEGACY_Z = {"USD", "EUR", "GBP", "CAD", "JPY", "AUD", "CHF"}


def kraken_asset(common: str) -> str:
    """The Kraken 'Assets' key for a common code (BTC -> XXBT, USD -> ZUSD, SOL -> SOL)."""
    alt = COMMON_TO_KRAKEN_ALT.get(common, common)
    if common in LEGACY_X:
        return "X" + alt if common != "DOGE" else "XXDG"
    if common in LEGACY_Z:
        return "Z" + alt
    return alt


def kraken_altname(pair: str) -> str:
    """BTC/USD -> XBTUSD (the name Kraken shows in descr.order)."""
    base, quote = split_pair(pair)
    return COMMON_TO_KRAKEN_ALT.get(base, base) + COMMON_TO_KRAKEN_ALT.get(quote, quote)


def kraken_pair_id(pair: str) -> str:
    """BTC/USD -> XXBTZUSD, SOL/USD -> SOLUSD (the AssetPairs key)."""
    base, quote = split_pair(pair)
    if base in LEGACY_X and quote in LEGACY_Z | {"BTC"} and base != "DOGE":
        return kraken_asset(base) + kraken_asset(quote)
    if base == "DOGE" and quote in LEGACY_Z:
        return "XDG" + quote
    return kraken_altname(pair)
