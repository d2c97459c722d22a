"""Reply -> each channel's own format. Core never formats for a channel; this module does.

Rows are laid out per channel by `adapters/channels/layout.py` so no cell is ever cut; a reply
longer than one message becomes several messages, split between rows.
- Telegram: HTML parse mode (only &, <, > need escaping, unlike MarkdownV2's 18 characters),
  narrow tables in <pre>, at most 4096 characters a message.
- Slack: mrkdwn fallback text plus Block Kit (header, sections of at most 3000 characters, at
  most 50 blocks a message, yes/no buttons for confirms).
- SMS: plain text, at most 3 segments a text. Segments are counted as carriers do: GSM-7 (160, or
  153 per part when concatenated; extension characters such as € and [ cost two septets) and
  UCS-2 (70, or 67 per part) as soon as one character is outside GSM-7. Common typographic
  characters are first mapped to GSM-7 so one curly quote does not cut the budget from 459 to
  201 characters; for the same reason a GSM-7 text is truncated with "..." and only a text that
  is UCS-2 anyway gets "…".
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape as html_escape
from typing import Any

from adapters.channels.layout import (
    Markup,
    cells,
    chunk_rows,
    format_table,
    lay_out,
    pack,
    split_marked,
    split_text,
    table_rows,
)
from adapters.channels.ports import Reply

__all__ = ["cells", "format_table", "table_rows"]  # re-exported: the web chat and tests use them

TELEGRAM_MAX = 4096
SLACK_SECTION_MAX = 3000
SMS_MAX_SEGMENTS = 3
CONFIRM_BUTTONS = ("yes", "no")

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")
_TO_GSM = str.maketrans(
    {
        "…": "...",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": "-",
        "−": "-",
        "•": "*",
        "·": "-",
        "×": "x",
        "\u00a0": " ",
        "\t": " ",
        "→": "->",
        "←": "<-",
    }
)


def plain_text(reply: Reply) -> str:
    """Title, text and rows as plain lines: the base for SMS and the web chat's `reply` field."""
    parts = [p for p in (reply.title, reply.text) if p]
    parts.extend(" · ".join(c for c in cells(r) if c) for r in table_rows(reply))
    if reply.kind == "confirm" and "yes" not in reply.text.lower():
        parts.append("Reply yes to confirm or no to cancel.")
    return "\n".join(parts)


def confirm_buttons(reply: Reply) -> list[str]:
    """Buttons to offer: the reply's own, or yes/no for a confirmation."""
    if reply.buttons:
        return [str(b) for b in reply.buttons]
    return list(CONFIRM_BUTTONS) if reply.kind == "confirm" else []


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


# --- long replies ---------------------------------------------------------------------------

MAX_MESSAGES = 10  # a reply never floods a chat: past this many messages the rest is named, not sent
MORE_NOTE = "… (the rest did not fit in {n} messages; ask for less, e.g. trades 10)"


def _capped(messages: list[str], limit: int, escape: Callable[[str], str]) -> list[str]:
    if len(messages) <= MAX_MESSAGES:
        return messages
    note = escape(MORE_NOTE.format(n=MAX_MESSAGES))
    kept = messages[:MAX_MESSAGES]
    last = kept[-1]
    kept[-1] = f"{last}\n{note}" if len(last) + len(note) + 1 <= limit else note
    return kept


# --- Telegram -----------------------------------------------------------------------------------


TELEGRAM_PRE_WIDTH = 34  # monospace characters that fit a phone's chat bubble without wrapping


def _esc(text: str) -> str:
    return html_escape(text, quote=False)


TELEGRAM_MARKUP = Markup(escape=_esc, bold=lambda s: f"<b>{s}</b>", pre=lambda s: f"<pre>{s}</pre>")


def telegram_rows(reply: Reply) -> str:
    """Rows laid out for a phone (see adapters/channels/layout.py): a narrow table stays a <pre>
    table; label/value rows become "<b>label</b>: value" lines; a wide table becomes one block
    per row with its column names — never a cut cell."""
    layout = lay_out(reply, TELEGRAM_PRE_WIDTH)
    return "\n".join(chunk_rows(layout, 10**9, TELEGRAM_MARKUP))


def telegram_messages(reply: Reply) -> list[str]:
    """HTML messages for parse_mode=HTML, each within Telegram's 4096 characters (tags
    included), split between rows or lines when the reply is longer: no value is cut."""
    head = f"<b>{_esc(_cut(reply.title, 200))}</b>" if reply.title else ""
    body = split_marked(reply.text, TELEGRAM_MAX - len(head) - 1, _esc)  # the head fits beside the first
    rows = chunk_rows(lay_out(reply, TELEGRAM_PRE_WIDTH), TELEGRAM_MAX, TELEGRAM_MARKUP)
    return _capped(pack([head, *body, *rows], TELEGRAM_MAX), TELEGRAM_MAX, _esc) or ["…"]


def telegram_html(reply: Reply) -> str:
    """The first (usually the only) message of `telegram_messages`."""
    return telegram_messages(reply)[0]


# --- Slack --------------------------------------------------------------------------------------

SLACK_PRE_WIDTH = 40  # a code block wider than this wraps mid-row in Slack's phone app
SLACK_MAX_BLOCKS = 50
SLACK_TEXT_MAX = 39_000  # chat.postMessage truncates `text` past 40,000 characters


def slack_escape(text: str) -> str:
    """Slack's mrkdwn needs exactly &, < and > escaped (so '<!channel>' cannot be injected)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


SLACK_MARKUP = Markup(escape=slack_escape, bold=lambda s: f"*{s}*", pre=lambda s: f"```{s}```")


def _slack_sections(reply: Reply) -> list[str]:
    """mrkdwn sections of at most 3000 characters: the text, then the rows chunked at row ends."""
    body = split_marked(reply.text, SLACK_SECTION_MAX, slack_escape)
    rows = chunk_rows(lay_out(reply, SLACK_PRE_WIDTH), SLACK_SECTION_MAX, SLACK_MARKUP)
    return [*body, *rows]


def _slack_buttons(reply: Reply) -> dict[str, Any] | None:
    buttons = confirm_buttons(reply)
    if not buttons:
        return None
    elements = []
    for label in buttons[:5]:
        button: dict[str, Any] = {
            "type": "button",
            "text": {"type": "plain_text", "text": _cut(label, 75)},
            "action_id": f"zyn_reply_{label}"[:255],
            "value": label[:2000],
        }
        if label.lower() in CONFIRM_BUTTONS:
            button["style"] = "primary" if label.lower() == "yes" else "danger"
        elements.append(button)
    return {"type": "actions", "block_id": "zyn_confirm", "elements": elements}


def slack_messages(reply: Reply) -> list[tuple[str, list[dict[str, Any]]]]:
    """(mrkdwn fallback text, Block Kit blocks) per message: header, text and rows as sections
    of at most 3000 characters, at most 50 blocks a message, yes/no buttons on the last one
    (action_id `zyn_reply_<label>`). Rows are never cut: a long reply becomes several messages."""
    sections = _slack_sections(reply)
    per_message = SLACK_MAX_BLOCKS - 2  # room for the header and the buttons
    groups = [sections[i : i + per_message] for i in range(0, len(sections), per_message)] or [[]]
    groups = groups[:MAX_MESSAGES]
    if len(sections) > per_message * MAX_MESSAGES:
        groups[-1][-1] = slack_escape(MORE_NOTE.format(n=MAX_MESSAGES))
    messages: list[tuple[str, list[dict[str, Any]]]] = []
    for n, group in enumerate(groups):
        blocks: list[dict[str, Any]] = []
        if n == 0 and reply.title:
            blocks.append({"type": "header", "text": {"type": "plain_text", "text": _cut(reply.title, 150)}})
        blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": s}} for s in group]
        actions = _slack_buttons(reply) if n == len(groups) - 1 else None
        if actions is not None:
            blocks.append(actions)
        title = f"*{slack_escape(reply.title)}*" if n == 0 and reply.title else ""
        text = _cut("\n".join(p for p in (title, *group) if p), SLACK_TEXT_MAX) or "…"
        messages.append((text, blocks))
    return messages


def slack_text(reply: Reply) -> str:
    """The mrkdwn fallback `text` of the first message (notifications, clients without blocks)."""
    return slack_messages(reply)[0][0]


def slack_blocks(reply: Reply) -> list[dict[str, Any]]:
    """Block Kit blocks of a reply that fits one message (the first message otherwise)."""
    return slack_messages(reply)[0][1]

# --- SMS ----------------------------------------------------------------------------------------


def to_gsm(text: str) -> str:
    """Map typographic characters to GSM-7 look-alikes and drop other control characters."""
    text = text.translate(_TO_GSM)
    return "".join(c for c in text if c in "\n\r" or c.isprintable())


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _pack(units: list[int], single: int, part: int) -> int:
    """Segments needed for characters of the given unit sizes (never splitting one character)."""
    total = sum(units)
    if total <= single:
        return 1 if total else 0
    segments, used = 1, 0
    for size in units:
        if used + size > part:
            segments, used = segments + 1, 0
        used += size
    return segments


def sms_segments(text: str) -> int:
    """How many SMS segments a carrier bills for `text` (GSM-7 or UCS-2)."""
    if is_gsm7(text):
        return _pack([2 if c in GSM7_EXTENSION else 1 for c in text], 160, 153)
    return _pack([2 if ord(c) > 0xFFFF else 1 for c in text], 70, 67)


def fit_sms(text: str, max_segments: int = SMS_MAX_SEGMENTS) -> str:
    """Normalize to GSM-7 where possible and truncate to at most `max_segments` segments."""
    text = to_gsm(text).strip()
    if sms_segments(text) <= max_segments:
        return text
    marker = "..." if is_gsm7(text) else "…"
    lo, hi = 0, len(text)
    while lo < hi:  # largest prefix that still fits with the marker
        mid = (lo + hi + 1) // 2
        if sms_segments(text[:mid].rstrip() + marker) <= max_segments:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + marker


SMS_MAX_MESSAGES = 3  # a reply of up to 3 texts of 3 segments; past that whole rows are left out
SMS_MORE = "(+{n} more line(s) not sent by SMS: ask on the web chat or Telegram)"


def sms_lines(reply: Reply) -> list[str]:
    """Plain lines for a text message: table cells named by their column ("BTC/USD: amount
    0.01, stop 59,000.00"), label/value rows as "label: value"; one line per row."""
    parts = [p for p in (reply.title, *reply.text.splitlines()) if p]
    columns = [str(c) for c in reply.columns]
    for r in reply.rows or []:
        row = cells(r)
        if columns:
            named = [f"{columns[i]} {c}" for i, c in enumerate(row[1:], 1) if c and i < len(columns)]
            parts.append(f"{row[0]}: " + ", ".join(named))
        elif row:
            parts.append(f"{row[0]}: {' '.join(c for c in row[1:] if c)}".rstrip(": "))
    if reply.kind == "confirm" and "yes" not in reply.text.lower():
        parts.append("Reply yes to confirm or no to cancel.")
    return parts


def sms_plain(reply: Reply) -> str:
    return "\n".join(sms_lines(reply))


def _sms_fits(text: str) -> bool:
    return sms_segments(text) <= SMS_MAX_SEGMENTS


def sms_messages(reply: Reply, max_messages: int = SMS_MAX_MESSAGES) -> list[str]:
    """Texts of at most 3 segments each, split between lines (rows) so no value is cut; past
    `max_messages` texts the remaining lines are left out whole and counted in the last one."""
    lines: list[str] = []
    for line in (to_gsm(x).strip() for x in sms_lines(reply)):
        lines.extend([line] if _sms_fits(line) else split_text(line, 150))  # 150: fits UCS-2 too
    messages: list[str] = []
    current, left = "", list(lines)
    while left and len(messages) < max_messages:
        candidate = f"{current}\n{left[0]}" if current else left[0]
        if current and not _sms_fits(candidate):
            messages.append(current)
            current = ""
            continue
        current = candidate
        left.pop(0)
    if current:
        messages.append(current)
    if left:
        last = messages[-1].split("\n")
        while True:  # drop whole lines from the last text until the note fits
            note = SMS_MORE.format(n=len(left))
            if _sms_fits("\n".join([*last, note])) or len(last) == 1:
                break
            left.insert(0, last.pop())
        messages[-1] = fit_sms("\n".join([*last, note]))
    return [m for m in messages if m] or ["..."]


def sms_text(reply: Reply) -> str:
    """The first (usually the only) text of `sms_messages`."""
    return sms_messages(reply)[0]
