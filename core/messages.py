"""What goes into the dispatcher and what comes out of it.

Why two tiny frozen types: every channel (Telegram, Slack, SMS, web, shell) speaks to the same
dispatcher, so the input is reduced to who said what where (`Envelope`) and the output is a
structured `Reply` that each channel renders its own way. Nothing in `bot/` formats for one
channel; `render_plain` is the neutral plain-text rendering (shell, SMS, logs, fallbacks).
They live in core (they depend on nothing) so that both the channel adapters and the dispatcher
import them downwards; `bot.conversation.envelope` re-exports them under their pinned name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

ReplyKind = Literal["text", "confirm", "error", "refusal"]
Row = tuple[str, ...]


@dataclass(frozen=True)
class Envelope:
    """One incoming message: `channel` (telegram, slack, sms, web, cli), the sender's id, raw text."""

    channel: str
    user_id: str
    text: str


@dataclass(frozen=True)
class Reply:
    """A structured answer.

    `rows` are (label, value) pairs when `columns` is empty, else table rows matching `columns`.
    `buttons` are the exact texts a button press should send back (e.g. ["yes", "no"]).
    """

    text: str
    kind: ReplyKind = "text"
    title: str = ""
    rows: list[Row] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)
    image_png: bytes | None = None
    columns: list[str] = field(default_factory=list)

    @property
    def is_table(self) -> bool:
        return bool(self.columns)

    def row_dict(self) -> dict[str, str]:
        """(label, value) rows as a dict — for label/value replies (not tables)."""
        return {r[0]: " ".join(r[1:]) for r in self.rows if r}


def render_plain(reply: Reply, max_rows: int = 50) -> str:
    """Channel-neutral plain text: title, text, then rows aligned in columns."""
    parts: list[str] = []
    if reply.title:
        parts.append(reply.title)
    if reply.text:
        parts.append(reply.text)
    if reply.rows:
        parts.append(_render_rows(reply.rows[:max_rows], reply.columns))
        if len(reply.rows) > max_rows:
            parts.append(f"... and {len(reply.rows) - max_rows} more")
    if reply.buttons:
        parts.append("[" + "] [".join(reply.buttons) + "]")
    return "\n".join(parts)


def _render_rows(rows: Sequence[Row], columns: Sequence[str]) -> str:
    if not columns:
        width = max((len(r[0]) for r in rows if r), default=0)
        return "\n".join(f"{r[0]:<{width}}  {' '.join(r[1:])}".rstrip() for r in rows if r)
    table = [tuple(columns), *rows]
    widths = [max(len(str(r[i])) if i < len(r) else 0 for r in table) for i in range(len(columns))]
    lines = ["  ".join(f"{str(c):<{w}}" for c, w in zip(r, widths, strict=False)).rstrip() for r in table]
    return "\n".join(lines)
