"""Is Kraken (or the sim) answering at all? One GET of the public Time endpoint.

Why not through ccxt: `PAPER_FEED=auto` asks this once at start to choose live prices or a
replay, and importing ccxt for a yes/no would cost every start its import time.
"""

from __future__ import annotations

import urllib.request

from loguru import logger


def kraken_reachable(api_url: str, timeout_s: float = 3.0) -> bool:
    """One GET of the public Time endpoint; any failure means 'not reachable'."""
    if not api_url.startswith(("http://", "https://")):
        return False
    try:
        with urllib.request.urlopen(f"{api_url}/0/public/Time", timeout=timeout_s) as resp:  # noqa: S310
            return bool(resp.status == 200)
    except Exception:  # offline is an expected state here, not an error
        logger.bind(url=api_url).info("Kraken not reachable; paper mode falls back")
        return False
