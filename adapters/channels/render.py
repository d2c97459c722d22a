"""Reply -> each channel's own format. Core never formats for a channel; this module does.

- Telegram: HTML parse mode (only &, <, > need escaping, unlike MarkdownV2's 18 characters),
  tables in <pre>, at most 4096 characters.
- Slack: mrkdwn fallback text plus Block Kit (header, sections, yes/no buttons for confirms).
- SMS: plain text kept within 3 segments. Segments are counted as carriers do: GSM-7 (160, or
  153 per part when concatenated; extension characters such as € and [ cost two septets) and
  UCS-2 (70, or 67 per part) as soon as one character is outside GSM-7. Common typographic
  characters are first mapped to GSM-7 so one curly quote does not cut the budget from 459 to
  201 characters; for the same reason a GSM-7 text is truncated with "..." and only a text that
  is UCS-2 anyway gets "…".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape as html_escape
from typing import Any

from adapters.channels.ports import Reply

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


def cells(row: Any) -> list[str]:
    """One table row as strings, whatever shape the dispatcher used (tuple, list, dict, scalar)."""
    if isinstance(row, Mapping):
        return [f"{k}: {v}" for k, v in row.items()]
    if isinstance(row, list | tuple):
        return ["" if c is None else str(c) for c in row]
    return [str(row)]


def format_table(rows: Iterable[Any], max_width: int = 24) -> str:
    """Monospace table with aligned columns; cells longer than max_width are shortened."""
    table = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in cells(r)] for r in rows]
    if not table:
        return ""
    ncols = max(len(r) for r in table)
    widths = [max((len(r[i]) for r in table if i < len(r)), default=0) for i in range(ncols)]
    lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in table]
    return "\n".join(lines)


def table_rows(reply: Reply) -> list[Any]:
    """The reply's rows, with its column headers first when it is a table."""
    columns = list(getattr(reply, "columns", []) or [])
    return ([columns] if columns and reply.rows else []) + list(reply.rows or [])


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


# --- Telegram -----------------------------------------------------------------------------------


TELEGRAM_PRE_WIDTH = 34  # monospace characters that fit a phone's chat bubble without wrapping


def _esc(text: str) -> str:
    return html_escape(text, quote=False)


def telegram_rows(reply: Reply) -> str:
    """Rows laid out for a phone: a narrow table stays a <pre> table; label/value rows become
    "<b>label</b>: value" lines; a wide table becomes one block per row with its column names —
    never a cut cell."""
    rows = [cells(r) for r in reply.rows or []]
    if not rows:
        return ""
    columns = [str(c) for c in getattr(reply, "columns", []) or []]
    table = format_table(table_rows(reply), max_width=10_000)
    if max(len(line) for line in table.splitlines()) <= TELEGRAM_PRE_WIDTH:
        return f"<pre>{html_escape(table, quote=False)}</pre>"
    if not columns:
        return "\n".join(f"<b>{_esc(r[0])}</b>: {_esc(' '.join(c for c in r[1:] if c))}" for r in rows if r)
    blocks = []
    for r in rows:
        names = [*columns, *([""] * len(r))]
        named = [f"{_esc(names[i])}: {_esc(c)}" for i, c in enumerate(r[1:], 1) if c]
        blocks.append(f"<b>{_esc(r[0])}</b>\n" + "\n".join(named))
    return "\n\n".join(blocks)


def telegram_html(reply: Reply) -> str:
    """HTML for parse_mode=HTML, within Telegram's 4096-character limit (tags included)."""
    head = f"<b>{html_escape(_cut(reply.title, 200), quote=False)}</b>\n" if reply.title else ""
    laid_out = telegram_rows(reply)
    if len(laid_out) > 2500:  # keep whole rows: drop the last ones, say how many
        kept = laid_out[:2500].rsplit("\n", 1)[0]
        kept = kept if kept.count("<pre>") == kept.count("</pre>") else kept + "</pre>"
        laid_out = kept + "\n… (more rows cut)"
    pre = f"\n{laid_out}" if laid_out else ""
    budget = TELEGRAM_MAX - len(head) - len(pre)
    raw = reply.text
    body = html_escape(raw, quote=False)
    while len(body) > budget:  # cut the raw text, never an entity, until the escaped text fits
        raw = _cut(raw, min(len(raw) - 1, len(raw) * budget // len(body)))
        body = html_escape(raw, quote=False)
    return (head + body + pre).strip() or "…"


# --- Slack --------------------------------------------------------------------------------------


def slack_escape(text: str) -> str:
    """Slack's mrkdwn needs exactly &, < and > escaped (so '<!channel>' cannot be injected)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(reply: Reply) -> str:
    """The mrkdwn fallback `text` (notifications, clients without blocks)."""
    out = f"*{slack_escape(reply.title)}*\n" if reply.title else ""
    out += slack_escape(reply.text)
    table = format_table(table_rows(reply))
    if table:
        out += f"\n```{slack_escape(table)}```"
    return _cut(out, SLACK_SECTION_MAX)


def slack_blocks(reply: Reply) -> list[dict[str, Any]]:
    """Block Kit: header, text, table, and yes/no buttons (action_id `zyn_reply_<label>`)."""
    blocks: list[dict[str, Any]] = []
    if reply.title:
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": _cut(reply.title, 150)}})
    if reply.text:
        text = _cut(slack_escape(reply.text), SLACK_SECTION_MAX)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    table = format_table(table_rows(reply))
    if table:
        text = "```" + _cut(slack_escape(table), SLACK_SECTION_MAX - 6) + "```"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    buttons = confirm_buttons(reply)
    if buttons:
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
        blocks.append({"type": "actions", "block_id": "zyn_confirm", "elements": elements})
    return blocks


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


def sms_plain(reply: Reply) -> str:
    """Plain lines for a text message: table cells named by their column ("BTC/USD: amount
    0.01, stop 59,000.00"), label/value rows as "label: value"."""
    parts = [p for p in (reply.title, reply.text) if p]
    columns = [str(c) for c in getattr(reply, "columns", []) or []]
    for r in reply.rows or []:
        row = [c for c in cells(r)]
        if columns:
            named = [f"{columns[i]} {c}" for i, c in enumerate(row[1:], 1) if c and i < len(columns)]
            parts.append(f"{row[0]}: " + ", ".join(named))
        elif row:
            parts.append(f"{row[0]}: {' '.join(c for c in row[1:] if c)}".rstrip(": "))
    if reply.kind == "confirm" and "yes" not in reply.text.lower():
        parts.append("Reply yes to confirm or no to cancel.")
    return "\n".join(parts)


def sms_text(reply: Reply) -> str:
    """The SMS body for a reply: plain text, ≤ 3 segments."""
    return fit_sms(sms_plain(reply))
