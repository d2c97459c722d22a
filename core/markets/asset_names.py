"""What people call the assets Kraken lists: "bitcoin", "xbt", "ether", "ethereum", "doge" -> a code.

Why here (the markets catalog) and not in the Kraken adapter: the conversation must read
"price of ethereum" and "sell half my bitcoin" without importing an adapter, and `core` imports
no adapter. Kraken's public asset list (`/0/public/Assets`) gives codes and altnames only
(XXBT/XBT, XETH/ETH, XXDG/XDG); the legacy codes are mapped by `core.markets.pairs.common_asset`.
The spoken names below are the usual English names of those listed assets; each maps to the
common code Zyn uses everywhere (`BTC`, not `XBT`). Unknown words give None: a sentence is
never read as naming an asset by guesswork.
"""

from __future__ import annotations

from core.markets.pairs import KRAKEN_TO_COMMON

# common code -> the names people type for it (lower case; the code itself is always accepted), with
# the few misspellings owners type most ("etherium", "bitcon"; issue 22.8) — a fixed list, no guessing
SPOKEN_NAMES: dict[str, tuple[str, ...]] = {
    # not "sats": 1000 sats is not 1000 BTC
    "BTC": ("bitcoin", "bitcoins", "btc", "xbt", "xxbt", "bitcon", "bitcion", "bticoin", "bitcoi", "bitocin"),
    "ETH": ("ether", "ethereum", "eth", "xeth", "etherium", "etherum", "ethereium", "ethreum", "etheruem"),
    "SOL": ("solana", "sol", "solona", "solanna"),
    "XRP": ("ripple", "xrp", "xxrp"),
    "LTC": ("litecoin", "litecoins", "ltc", "xltc"),
    "DOGE": ("dogecoin", "doge", "xdg", "xxdg", "dogcoin", "dogecoins"),
    "ADA": ("cardano", "ada", "cardona"),
    "DOT": ("polkadot", "dot"),
    "LINK": ("chainlink", "link"),
    "AVAX": ("avalanche", "avax"),
    "XLM": ("stellar", "lumens", "xlm", "xxlm"),
    "ETC": ("ethereum classic", "etc", "xetc"),
    "XMR": ("monero", "xmr", "xxmr"),
    "ATOM": ("cosmos", "atom"),
    "MATIC": ("polygon", "matic"),
    "BCH": ("bitcoin cash", "bch"),
    "UNI": ("uniswap", "uni"),
    "TRX": ("tron", "trx"),
    "USDT": ("tether", "usdt"),
    "USDC": ("usdc",),
    "USD": ("dollar", "dollars", "usd", "zusd", "bucks"),
    "EUR": ("euro", "euros", "eur", "zeur"),
    "GBP": ("pound", "pounds", "quid", "gbp", "zgbp"),
}
# words that are an asset's code but mostly ordinary English: only read as an asset when written
# in capitals ("sell half my LINK", not "the link you sent")
AMBIGUOUS_WORDS = frozenset({"dot", "link", "uni", "atom", "etc"})


def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, names in SPOKEN_NAMES.items():
        for name in names:
            table[name] = code
    for legacy, common in KRAKEN_TO_COMMON.items():
        table.setdefault(legacy.lower(), common)
    return table


ALIASES: dict[str, str] = _table()
MULTI_WORD = tuple(sorted((n for n in ALIASES if " " in n), key=len, reverse=True))


def asset_code(word: str) -> str | None:
    """The common code a word names ("Ethereum" -> "ETH", "XBT" -> "BTC"), else None.

    Ambiguous English words count only when typed in capitals (LINK, DOT, SOL, ETC)."""
    raw = word.strip().strip("?!.,;:'\"()")
    low = raw.lower()
    if low.endswith("'s"):
        low, raw = low[:-2], raw[:-2]
    code = ALIASES.get(low)
    if code is None:
        return None
    if low in AMBIGUOUS_WORDS and raw != raw.upper():
        return None
    return code


def asset_in(text: str) -> str | None:
    """The first asset a sentence names ("what is the trend on bitcoin cash?" -> "BCH"), else None."""
    low = " " + " ".join(text.lower().split()) + " "
    for name in MULTI_WORD:
        if f" {name} " in low or f" {name}?" in low:
            return ALIASES[name]
    for word in text.replace("/", " / ").split():
        code = asset_code(word)
        if code is not None and code not in ("USD", "EUR", "GBP"):
            return code
    return None
