"""Pair and asset names: Kraken's (XXBTZUSD, XBTUSD, XDG) versus common ones (BTC/USD, DOGE).

Everything inside Zyn uses `BASE/QUOTE` with common asset names; the exchange adapter and the
chat parser translate at the edge. Unknown input raises `UserError` with a one-line reason.
"""

from __future__ import annotations

import re

from core.domain import UserError

# Kraken asset code -> common code (Kraken prefixes legacy assets with X / Z).
KRAKEN_TO_COMMON: dict[str, str] = {
    "XXBT": "BTC",
    "XBT": "BTC",
    "XETH": "ETH",
    "XLTC": "LTC",
    "XXRP": "XRP",
    "XXDG": "DOGE",
    "XDG": "DOGE",
    "XXLM": "XLM",
    "XETC": "ETC",
    "XXMR": "XMR",
    "XZEC": "ZEC",
    "XREP": "REP",
    "ZUSD": "USD",
    "ZEUR": "EUR",
    "ZGBP": "GBP",
    "ZCAD": "CAD",
    "ZJPY": "JPY",
    "ZAUD": "AUD",
    "ZCHF": "CHF",
}
COMMON_TO_KRAKEN_ALT: dict[str, str] = {"BTC": "XBT", "DOGE": "XDG"}
LEGACY_X = {"BTC", "ETH", "LTC", "XRP", "DOGE", "XLM", "ETC", "XMR", "ZEC", "REP"}
LEGACY_Z = {"USD", "EUR", "GBP", "CAD", "JPY", "AUD", "CHF"}
QUOTES = ("USDT", "USDC", "USD", "EUR", "GBP", "CAD", "JPY", "AUD", "CHF", "BTC", "XBT", "ETH")
_ASSET = re.compile(r"^[A-Z0-9]{2,10}$")


def common_asset(code: str) -> str:
    """Map a Kraken asset code (or a staking variant like `XBT.F`) to its common name."""
    code = code.upper().strip()
    base = code.split(".", 1)[0]
    return KRAKEN_TO_COMMON.get(base, base)


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


def split_pair(pair: str) -> tuple[str, str]:
    base, _, quote = pair.partition("/")
    if not base or not quote:
        raise UserError(f"not a pair: {pair!r} (expected BASE/QUOTE, e.g. BTC/USD)")
    return base, quote


def normalize_pair(text: str, default_quote: str = "USD") -> str:
    """Forgiving pair parser: `btc`, `BTCUSD`, `XBT/USD`, `xbtusd`, `XXBTZUSD`, `btc-usd`.

    Raises UserError naming the input when it cannot be read as a pair.
    """
    raw = text.strip().upper().replace("-", "/").replace("_", "/")
    if not raw:
        raise UserError("no pair given (e.g. BTC/USD)")
    if "/" in raw:
        base, _, quote = raw.partition("/")
        base, quote = common_asset(base), common_asset(quote)
    else:
        base, quote = _split_compact(raw, default_quote)
    if not _ASSET.match(base) or not _ASSET.match(quote) or base == quote:
        raise UserError(f"unknown pair: {text.strip()[:40]!r}")
    return f"{base}/{quote}"


def _split_compact(raw: str, default_quote: str) -> tuple[str, str]:
    if len(raw) == 8 and raw[0] == "X" and raw[4] == "Z":  # XXBTZUSD
        return common_asset(raw[:4]), common_asset(raw[4:])
    for q in QUOTES:
        if raw.endswith(q) and len(raw) > len(q) + 1:
            return common_asset(raw[: -len(q)]), common_asset(q)
    return common_asset(raw), default_quote


def pair_from_filename(name: str) -> tuple[str, str]:
    """`KRAKEN_BTC-USD_1h.csv` -> ("BTC/USD", "1h"). Raises UserError when the name does not fit."""
    stem = name.rsplit("/", 1)[-1]
    if stem.lower().endswith(".csv"):
        stem = stem[:-4]
    parts = stem.split("_")
    if len(parts) < 3 or "-" not in parts[-2]:
        raise UserError(
            f"cannot read pair and timeframe from file name {name!r} "
            "(expected <EXCHANGE>_<BASE>-<QUOTE>_<tf>.csv)"
        )
    base, _, quote = parts[-2].upper().partition("-")
    return normalize_pair(f"{base}/{quote}"), parts[-1]
