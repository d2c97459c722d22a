"""Per-user conversation memory for the agent: recent turns + a rolling summary.

Recent turns are the stored chat messages (`MessageRow`, written by the dispatcher), read from
a per-user watermark on; older turns are folded — deterministically, no LLM call — into the
summary kept in `MemoryRow`, so the prompt stays small however long the conversation gets.
`forget` clears the summary and moves the watermark past every message: the agent forgets,
while the message audit log (a security record) stays intact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from loguru import logger
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from core.telemetry.kv import KeyValueStore
from core.telemetry.models import MemoryRow, MessageRow

KEEP_TURNS = 12  # messages (in + out) shown verbatim to the model
SUMMARY_CHARS = 1500  # the rolling summary's budget; the oldest lines drop first
LINE_CHARS = 140  # one folded message's budget in the summary


@dataclass(frozen=True)
class Turn:
    """One stored message as the agent sees it."""

    id: int
    ts_ms: int
    direction: str  # in (the user), out (Zyn)
    text: str

    @property
    def role(self) -> str:
        return "user" if self.direction == "in" else "assistant"


def user_key(channel: str, user_id: str) -> str:
    return f"{channel}:{user_id}"


def _watermark_key(channel: str, user_id: str) -> str:
    return f"memory:upto:{user_key(channel, user_id)}"


class ConversationMemory:
    """Reads recent turns and maintains the rolling summary for one database."""

    def __init__(
        self, db: Engine, *, keep_turns: int = KEEP_TURNS, summary_chars: int = SUMMARY_CHARS
    ) -> None:
        self._db = db
        self._kv = KeyValueStore(db)
        self.keep_turns = keep_turns
        self.summary_chars = summary_chars

    def _upto(self, channel: str, user_id: str) -> int:
        raw = self._kv.get(_watermark_key(channel, user_id), "0") or "0"
        return int(raw) if raw.isdigit() else 0

    def turns_after_watermark(self, channel: str, user_id: str, limit: int = 200) -> list[Turn]:
        """Unfolded messages, oldest first (bounded: a flood cannot blow up the prompt)."""
        upto = self._upto(channel, user_id)
        mine = (MessageRow.channel == channel, MessageRow.user_id == user_id)
        with Session(self._db) as s:
            stmt = (
                select(MessageRow)
                .where(*mine, col(MessageRow.id) > upto)
                .order_by(col(MessageRow.id).desc())
                .limit(limit)
            )
            rows = list(s.exec(stmt).all())
        return [Turn(int(r.id or 0), r.ts_ms, r.direction, r.text) for r in reversed(rows)]

    def recent_turns(self, channel: str, user_id: str, current_text: str | None = None) -> list[Turn]:
        """The last `keep_turns` conversational messages; `current_text` drops the message being
        answered when the dispatcher already stored it (it goes to the model as the new message)."""
        limit = self.keep_turns + 20
        raw = self.turns_after_watermark(channel, user_id, limit=limit)
        turns = conversational(raw, cut_at_start=len(raw) == limit)
        if current_text is not None and turns and turns[-1].direction == "in":
            if turns[-1].text.strip() == current_text.strip():
                turns = turns[:-1]
        return turns[-self.keep_turns :]

    def summary(self, channel: str, user_id: str) -> str:
        with Session(self._db) as s:
            row = s.exec(select(MemoryRow).where(MemoryRow.user_key == user_key(channel, user_id))).first()
            return row.summary if row is not None else ""

    def _save_summary(self, key: str, summary: str, now_ms: int) -> None:
        with Session(self._db) as s:
            row = s.exec(select(MemoryRow).where(MemoryRow.user_key == key)).first()
            if row is None:
                row = MemoryRow(user_key=key)
            row.summary, row.updated_ms = summary, now_ms
            s.add(row)
            s.commit()

    def fold(self, channel: str, user_id: str, *, user_name: str = "user", now_ms: int = 0) -> int:
        """Fold turns beyond `keep_turns` into the summary; returns how many were folded."""
        turns = self.turns_after_watermark(channel, user_id, limit=10_000)
        cut = max(0, len(turns) - self.keep_turns)
        if 0 < cut < len(turns) and turns[cut].direction == "out":
            cut += 1  # never keep an answer whose question was folded away
        excess = turns[:cut]
        if not excess:
            return 0
        old = self.summary(channel, user_id)
        lines = conversational(excess)
        summary = fold_into_summary(old, lines, user_name=user_name, budget=self.summary_chars)
        self._save_summary(user_key(channel, user_id), summary, now_ms)
        self._kv.set(_watermark_key(channel, user_id), str(excess[-1].id))
        logger.bind(user=user_key(channel, user_id), folded=len(excess)).debug("memory folded")
        return len(excess)

    def forget(self, channel: str, user_id: str, *, now_ms: int = 0) -> None:
        """Everything up to now is forgotten. The `forget` message itself (already stored by the
        dispatcher) stays past the watermark so that it and its reply are filtered as a pair."""
        with Session(self._db) as s:
            last = s.exec(
                select(MessageRow)
                .where(MessageRow.channel == channel, MessageRow.user_id == user_id)
                .order_by(col(MessageRow.id).desc()).limit(1)
            ).first()
        upto = 0
        if last is not None and last.id is not None:
            upto = last.id - 1 if last.direction == "in" and is_memory_command(last.text) else last.id
        self._save_summary(user_key(channel, user_id), "", now_ms)
        self._kv.set(_watermark_key(channel, user_id), str(upto))
        logger.bind(user=user_key(channel, user_id)).info("memory forgotten")


def is_memory_command(text: str) -> bool:
    return text.strip().lower().lstrip("/").rstrip("?!.") in ("memory", "forget")


def conversational(turns: Sequence[Turn], *, cut_at_start: bool = False) -> list[Turn]:
    """Drop `memory`/`forget` exchanges (showing memory to the model again would only echo it);
    with `cut_at_start`, also a leading answer whose question lies outside the window."""
    kept: list[Turn] = []
    skip_reply = cut_at_start
    for t in turns:
        if t.direction == "in":
            skip_reply = is_memory_command(t.text)
            if not skip_reply:
                kept.append(t)
        elif skip_reply:
            skip_reply = False
        else:
            kept.append(t)
    return kept


def _clip(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def fold_into_summary(summary: str, turns: Sequence[Turn], *, user_name: str, budget: int) -> str:
    """Append one short line per message, then keep the newest lines that fit the budget."""
    lines = [ln for ln in summary.splitlines() if ln.strip()]
    for t in turns:
        day = datetime.fromtimestamp(t.ts_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M")
        who = user_name if t.direction == "in" else "Zyn"
        lines.append(f"[{day}] {who}: {_clip(t.text, LINE_CHARS)}")
    kept: list[str] = []
    size = 0
    for line in reversed(lines):
        size += len(line) + 1
        if size > budget:
            break
        kept.append(line)
    return "\n".join(reversed(kept))


def show_memory(db: Engine, channel: str, user_id: str) -> str:
    """The `memory` command's text: exactly what the agent would be given about this user."""
    mem = ConversationMemory(db)
    summary = mem.summary(channel, user_id)
    turns = mem.recent_turns(channel, user_id)
    if not summary and not turns:
        return "I don't remember anything about our conversations yet."
    parts = ["Here is what I remember about our conversations:"]
    if summary:
        parts += ["Summary of earlier messages:", summary]
    if turns:
        parts.append(f"Recent messages ({len(turns)}):")
        parts += [f"- {'you' if t.direction == 'in' else 'Zyn'}: {_clip(t.text, LINE_CHARS)}" for t in turns]
    parts.append("Say `forget` to clear this.")
    return "\n".join(parts)


def forget(db: Engine, channel: str, user_id: str) -> None:
    """The `forget` command: clear the summary and stop recalling every message so far."""
    ConversationMemory(db).forget(channel, user_id)
