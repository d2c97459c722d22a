"""Reading Kraken's whole TradesHistory / ClosedOrders, not just the first 50.

Why: Kraken answers these two at most 50 entries per call, newest first, with `count` = how many
match; `ofs` pages further back. ccxt's fetch_my_trades / fetch_closed_orders make ONE call and
drop `count`, so a caller computing P&L from "all trades" silently got the newest 50. We call the
raw endpoints (ccxt still signs and parses) and page by `ofs` until `count` is covered.

- De-duplication by id: a fill or close arriving between two calls pushes older entries down by
  one, so the next page repeats one; repeats are dropped, nothing is skipped.
- `start` is exclusive on Kraken (and in whole seconds), so `since_ms` is sent one second early
  and the exact cut is made here; ccxt's own `start = since // 1000` loses entries in that second.
- A page bound stops a server that never reaches `count`; hitting it is logged, not hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loguru import logger

PAGE_SIZE = 50
DEFAULT_MAX_PAGES = 200  # 10,000 entries; TradesHistory costs ~6 s per page under ccxt's limiter
log = logger.bind(component="kraken")

PageCall = Callable[[dict[str, Any]], dict[str, Any]]


def window(since_ms: int | None) -> dict[str, Any]:
    """Request fields selecting entries at or after `since_ms` (Kraken's `start` is exclusive)."""
    if since_ms is None:
        return {}
    return {"start": max(0, (since_ms - 1) // 1000)}


def page_all(call: PageCall, request: dict[str, Any], key: str, max_pages: int) -> list[dict[str, Any]]:
    """Every entry of `result[key]` over all pages, newest first, each id once (with `id` set).

    `call(request)` is one signed request returning Kraken's full answer (`{"result": ...}`).
    """
    seen: dict[str, dict[str, Any]] = {}
    ofs = 0
    for _ in range(max(1, max_pages)):
        result = call({**request, "ofs": ofs}).get("result") or {}
        rows: dict[str, Any] = result.get(key) or {}
        for rid, row in rows.items():
            seen.setdefault(rid, {**row, "id": rid})
        ofs += len(rows)
        if not rows or ofs >= int(result.get("count") or 0):
            return list(seen.values())
    log.bind(key=key, pages=max_pages, entries=len(seen)).error(
        "kraken {} history cut at {} pages ({} entries): older entries are missing", key, max_pages, len(seen)
    )
    return list(seen.values())


def oldest_first(ids_newest_first: list[str]) -> dict[str, int]:
    """Position of each id in time order, to break equal timestamps the way Kraken listed them."""
    return {rid: n for n, rid in enumerate(reversed(ids_newest_first))}
