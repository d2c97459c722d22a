"""getUpdates that survives a malformed update: skip it, log it once, let the offset move on.

python-telegram-bot parses a whole getUpdates batch at once; one update it cannot parse (e.g.
`{"message": {"message_id": 1}}`, no chat or date) raises for the batch, the updater retries with
the same offset, and the poller spins on that update for ever with nothing after it handled.
This request class is PTB's documented extension point (a `BaseRequest` given to the builder):
for getUpdates only, every update that does not parse is replaced by its bare `{"update_id": N}`,
which PTB accepts and no handler matches, so the updater confirms it with the next offset.
"""

from __future__ import annotations

from typing import Any

from loguru import logger as log
from telegram import Update
from telegram.request import HTTPXRequest, RequestData


class TolerantUpdatesRequest(HTTPXRequest):
    """HTTPXRequest for the getUpdates connection; other methods pass through untouched."""

    async def post(self, url: str, request_data: RequestData | None = None, **kwargs: Any) -> Any:
        result = await super().post(url, request_data, **kwargs)
        if url.endswith("/getUpdates") and isinstance(result, list):
            return [u for u in (screen_update(item) for item in result) if u is not None]
        return result


def screen_update(raw: Any) -> dict[str, Any] | None:
    """The update if PTB can parse it; else its bare id (logged once), or None without an id."""
    try:
        Update.de_json(dict(raw), None)
        return dict(raw)
    except Exception as exc:  # any parse failure: PTB raises KeyError/TypeError/ValueError...
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        keys = sorted(str(k) for k in raw)[:8] if isinstance(raw, dict) else type(raw).__name__
        log.bind(update_id=update_id, keys=keys).warning(
            "telegram: skipped malformed update {} ({})", update_id, type(exc).__name__
        )
        if isinstance(update_id, int) and not isinstance(update_id, bool):
            return {"update_id": update_id}
        return None
