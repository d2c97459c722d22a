"""The `Reply` on the wire between a client process and the owner (`bot.owner.client`).

Why a module of its own: the client must print exactly what the owner's dispatcher answered, so
the structured reply (kind, title, rows, columns, buttons, chart) crosses intact, not as text.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from bot.conversation.envelope import Reply

KINDS = ("text", "confirm", "error", "refusal")


def reply_to_wire(reply: Reply) -> dict[str, Any]:
    body: dict[str, Any] = {
        "text": reply.text,
        "kind": reply.kind,
        "title": reply.title,
        "rows": [list(r) for r in reply.rows],
        "buttons": list(reply.buttons),
        "columns": list(reply.columns),
    }
    if reply.image_png:
        body["image_png"] = base64.b64encode(reply.image_png).decode("ascii")
    return body


def reply_from_wire(body: Any) -> Reply:
    """Rebuild a Reply; anything malformed raises ValueError (the client reports one line)."""
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise ValueError("malformed reply from the running Zyn")
    kind = body.get("kind", "text")
    if kind not in KINDS:
        raise ValueError(f"unknown reply kind {kind!r} from the running Zyn")
    image = body.get("image_png")
    try:
        png = base64.b64decode(image) if isinstance(image, str) else None
    except (binascii.Error, ValueError):
        png = None
    return Reply(
        text=body["text"],
        kind=kind,
        title=str(body.get("title") or ""),
        rows=[tuple(str(c) for c in r) for r in body.get("rows") or [] if isinstance(r, list)],
        buttons=[str(b) for b in body.get("buttons") or []],
        image_png=png,
        columns=[str(c) for c in body.get("columns") or []],
    )
