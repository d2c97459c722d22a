"""Rows of a reply laid out so every cell reaches the reader whole, on any channel.

Why: a phone shows about 34 monospace characters per line (Telegram's bubble, Slack's mobile
app), and the old fixed 24-character cut lost exactly the values asked about ("posi…"). So a
table that fits the channel's width stays a monospace table; label/value rows become
"label: value" lines; a wider table becomes one block per row with each value named by its
column. A reply longer than one message is split at row boundaries into several messages
(`pack`) instead of being cut. Each channel only supplies its markup (`Markup`) and limits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core.messages import Reply

Line = tuple[str, str]  # (bold part, plain part), raw text: markup is applied when rendered
Item = list[Line]  # one unit that is never split while it fits a message (a row, a label line)


def cells(row: Any) -> list[str]:
    """One table row as strings, whatever shape the dispatcher used (tuple, list, dict, scalar)."""
    if isinstance(row, Mapping):
        return [f"{k}: {v}" for k, v in row.items()]
    if isinstance(row, list | tuple):
        return ["" if c is None else str(c) for c in row]
    return [str(row)]


def table_rows(reply: Reply) -> list[Any]:
    """The reply's rows, with its column headers first when it is a table."""
    columns = list(reply.columns)
    return ([columns] if columns and reply.rows else []) + list(reply.rows or [])


def format_table(rows: Iterable[Any]) -> str:
    """Monospace table with aligned columns; no cell is ever shortened."""
    table = [cells(r) for r in rows]
    if not table:
        return ""
    ncols = max(len(r) for r in table)
    widths = [max((len(r[i]) for r in table if i < len(r)), default=0) for i in range(ncols)]
    return "\n".join("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in table)


@dataclass(frozen=True)
class Markup:
    """How one channel writes bold, monospace blocks and escapes text."""

    escape: Callable[[str], str]
    bold: Callable[[str], str]  # gets escaped text
    pre: Callable[[str], str]  # gets escaped text (several lines)


@dataclass(frozen=True)
class RowLayout:
    """The rows as whole items: `monospace` items are table lines (the header repeats at the top
    of every chunk); otherwise items are label lines or one block per row."""

    items: list[Item]
    monospace: bool = False
    header: str = ""
    joiner: str = "\n"


def lay_out(reply: Reply, width: int) -> RowLayout:
    """Choose the layout that fits `width` monospace characters without cutting a cell."""
    rows = [cells(r) for r in reply.rows or []]
    if not rows:
        return RowLayout([])
    columns = [str(c) for c in reply.columns]
    lines = format_table(table_rows(reply)).splitlines()
    if max(len(line) for line in lines) <= width:
        header, body = (lines[0], lines[1:]) if columns else ("", lines)
        return RowLayout([[("", line)] for line in body], monospace=True, header=header)
    if not columns:
        return RowLayout([[(r[0], (": " + " ".join(c for c in r[1:] if c)) if len(r) > 1 else "")] for r in rows])
    blocks: list[Item] = []
    for r in rows:
        names = [*columns, *([""] * len(r))]
        named = [("", f"{names[i]}: {c}" if names[i] else c) for i, c in enumerate(r[1:], 1) if c]
        blocks.append([(r[0], ""), *named])
    return RowLayout(blocks, joiner="\n\n")


def render_item(item: Item, m: Markup) -> str:
    return "\n".join((m.bold(m.escape(b)) if b else "") + m.escape(p) for b, p in item)


def _render_chunk(layout: RowLayout, items: list[Item], m: Markup) -> str:
    body = layout.joiner.join(render_item(i, m) for i in items)
    if not layout.monospace:
        return body
    head = m.escape(layout.header) + "\n" if layout.header else ""
    return m.pre(head + body)


def _smaller(item: Item, limit: int) -> list[Item]:
    """An item too big for one message: its lines as items; a line longer than a message (only
    a pathological cell) in slices small enough even after escaping."""
    if len(item) > 1:
        return [[line] for line in item]
    bold, plain = item[0]
    step = max(1, limit // 8)
    text = bold + plain
    return [[("", text[i : i + step])] for i in range(0, len(text), step)]


def chunk_rows(layout: RowLayout, limit: int, m: Markup) -> list[str]:
    """The rows rendered in chunks of at most `limit` characters each, split only between
    items (rows), every item whole."""
    out: list[str] = []
    current: list[Item] = []
    pending = list(layout.items)
    while pending:
        item = pending.pop(0)
        if len(_render_chunk(layout, [item], m)) > limit:
            pending[:0] = _smaller(item, limit)
            continue
        if current and len(_render_chunk(layout, [*current, item], m)) > limit:
            out.append(_render_chunk(layout, current, m))
            current = []
        current.append(item)
    if current:
        out.append(_render_chunk(layout, current, m))
    return out


def split_text(text: str, limit: int) -> list[str]:
    """A long text in pieces of at most `limit` characters, broken at line ends where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines() or [""]:
        while len(line) > limit:  # a single line longer than a message: break it at a space
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:cut])
            line = line[cut:].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if current and len(candidate) > limit:
            pieces.append(current)
            candidate = line
        current = candidate
    if current:
        pieces.append(current)
    return pieces


def pack(parts: Iterable[str], limit: int, joiner: str = "\n") -> list[str]:
    """Greedily join whole parts (each already within `limit`) into as few messages as fit."""
    messages: list[str] = []
    current = ""
    for part in parts:
        if not part:
            continue
        candidate = f"{current}{joiner}{part}" if current else part
        if current and len(candidate) > limit:
            messages.append(current)
            candidate = part
        current = candidate
    if current:
        messages.append(current)
    return messages


def split_marked(text: str, limit: int, escape: Callable[[str], str], step: int = 0) -> list[str]:
    """`split_text` for a channel that escapes: every escaped piece within `limit` (a piece
    that grew past it when escaped is split again into smaller raw pieces)."""
    out: list[str] = []
    for piece in split_text(text, step or limit) if text else []:
        marked = escape(piece)
        if len(marked) <= limit:
            out.append(marked)
        else:
            out.extend(split_marked(piece, limit, escape, max(1, len(piece) * limit // len(marked) - 1)))
    return out
