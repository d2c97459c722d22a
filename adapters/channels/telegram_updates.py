"""getUpdates that survives a malformed update: skip it, log it once, let the offset move on.

python-telegram-bot parses a whole getUpdates batch at once; one update it cannot parse (e.g.
`{"message": {"message_id": 1}}`, no chat or date) raises for the batch, the updater retries with
the same offset, and the poller spins on that update for ever with nothing after it handled.
This request class is PTB's documented extension point (a `BaseRequest` given to the builder):
for getUpdates only, every update that does not parse is replaced by its bare `{"update_id": N}`,
which PTB accepts and no handler matches, so the updater confirms it with the next offset.
"""

from __future__ import annotations

import json
from typing import Any

from loguru import logger as log
from telegram import Update
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, HTTPXRequest, RequestData

DEFAULT_NONE = BaseRequest.DEFAULT_NONE


class TolerantUpdatesRequest(HTTPXRequest):
    """HTTPXRequest for the getUpdates connection; other methods pass through untouched."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        status, payload = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if status != 200 or not url.endswith("/getUpdates"):
            return status, payload
        return status, screen_payload(payload)


def screen_payload(payload: bytes) -> bytes:
    """A getUpdates answer with every unparseable update replaced by its bare id."""
    try:
        body = json.loads(payload)
    except ValueError:
        return payload  # PTB reports an unreadable answer itself (and retries)
    if not isinstance(body, dict) or not isinstance(body.get("result"), list):
        return payload
    body["result"] = [u for u in (screen_update(item) for item in body["result"]) if u is not None]
    return json.dumps(body).encode()


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
