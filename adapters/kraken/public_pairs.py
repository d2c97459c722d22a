"""The pair names an exchange lists, for checking `ZYN_PAIRS` before anything starts.

One GET of Kraken's public AssetPairs (no key, short timeout). Names come back the way Zyn
writes them (`XBT/USD` -> `BTC/USD`). None when the exchange cannot be asked: the caller then
cannot check and says so instead of refusing to start offline.
"""

from __future__ import annotations

import json
import urllib.request

from core.markets.pairs import common_asset


def listed_pairs(api_url: str, timeout_s: float = 5.0) -> set[str] | None:
    if not api_url.startswith(("http://", "https://")):
        return None
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/0/public/AssetPairs", timeout=timeout_s) as resp:  # noqa: S310
            body = json.loads(resp.read())
    except Exception:  # offline or not Kraken-shaped: the check is skipped, not failed
        return None
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, dict):
        return None
    names: set[str] = set()
    for info in result.values():
        ws = info.get("wsname") if isinstance(info, dict) else None
        if isinstance(ws, str) and "/" in ws:
            base, quote = ws.split("/", 1)
            names.add(f"{common_asset(base)}/{common_asset(quote)}")
    return names or None
