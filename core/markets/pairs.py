"""Pair and asset names as Zyn uses them (`BASE/QUOTE`, common codes) and as people type them.

Everything inside Zyn uses `BASE/QUOTE` with common asset names. The aliases below are what
people and data files write (XBT, XXBTZUSD, `BTC.F` staking balances) and are read here; how
an exchange NAMES a pair or an asset on the wire (Kraken: XXBTZUSD, XBTUSD, ZUSD) belongs to its
adapter (`adapters/kraken/names.py`). Unknown input raises `UserError` with a one-line reason.
"""

from __future__ import annotations

import re

from core.domain import UserError

# Alias -> common code (Kraken's legacy X / Z prefixed codes, XBT, XDG), as users and files write them.
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
QUOTES = ("USDT", "USDC", "USD", "EUR", "GBP", "CAD", "JPY", "AUD", "CHF", "BTC", "XBT", "ETH")
_ASSET = re.compile(r"^[A-Z0-9]{2,10}$")


def common_asset(code: str) -> str:
    """Map a Kraken asset code (or a staking variant like `XBT.F`) to its common name."""
    code = code.upper().strip()
    base = code.split(".", 1)[0]
    return KRAKEN_TO_COMMON.get(base, base)


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
