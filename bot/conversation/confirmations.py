"""Pending confirmations: money actions run only after `yes` from the same user on the same channel.

Why in the kv table (not memory): `zyn chat "buy ..."` and `zyn chat "yes"` are two processes, and
a web/Telegram restart must not lose or replay a pending order. The key holds channel and user,
so a `yes` from anyone else finds nothing. `claim` removes the row with a conditional DELETE and
only the caller whose DELETE hit the row may act — two concurrent `yes` run the action once.
Expiry is judged on the injected clock (2 minutes by default).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from loguru import logger
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.conversation.envelope import Envelope
from core.ports import Clock
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import KeyValueRow

CONFIRM_WINDOW_MS = 120_000
CONFIRMABLE = ("buy", "sell", "cancel", "flatten", "resume", "force_live")  # force_live: `trade BTC anyway`


@dataclass(frozen=True)
class Pending:
    """An echoed action waiting for `yes`. `payload` is JSON-safe (Decimals as strings)."""

    action: str
    summary: str
    created_ms: int
    payload: dict[str, Any] = field(default_factory=dict)

    def expired(self, now_ms: int, window_ms: int = CONFIRM_WINDOW_MS) -> bool:
        return now_ms - self.created_ms > window_ms


class Confirmations:
    def __init__(
        self, kv: KeyValueStore, db: Engine, clock: Clock, window_ms: int = CONFIRM_WINDOW_MS
    ) -> None:
        self._kv, self._db, self._clock, self.window_ms = kv, db, clock, window_ms

    @staticmethod
    def key(env: Envelope) -> str:
        return f"confirm:{env.channel}:{env.user_id}"

    def put(self, env: Envelope, action: str, summary: str, payload: dict[str, Any]) -> Pending:
        """Store (replacing any earlier pending action of this user on this channel)."""
        if action not in CONFIRMABLE:
            raise ValueError(f"{action} does not need a confirmation")
        pending = Pending(action=action, summary=summary, created_ms=self._clock.now_ms(), payload=payload)
        self._kv.set(self.key(env), json.dumps(asdict(pending), sort_keys=True, default=str))
        logger.bind(channel=env.channel, user=env.user_id, action=action).info("confirmation pending")
        return pending

    def peek(self, env: Envelope) -> Pending | None:
        """The stored pending action (possibly expired), without removing it."""
        raw = self._kv.get(self.key(env))
        return _decode(raw) if raw is not None else None

    def is_expired(self, pending: Pending) -> bool:
        return pending.expired(self._clock.now_ms(), self.window_ms)

    def claim(self, env: Envelope) -> Pending | None:
        """Atomically take the pending action; None if there is none or another caller won."""
        key = self.key(env)
        raw = self._kv.get(key)
        if raw is None:
            return None
        with Session(self._db) as s:
            stmt = delete(KeyValueRow).where(col(KeyValueRow.key) == key, col(KeyValueRow.value) == raw)
            won = s.execute(stmt).rowcount == 1  # type: ignore[attr-defined]
            s.commit()
        return _decode(raw) if won else None

    def discard(self, env: Envelope) -> Pending | None:
        """Drop the pending action (a `no`, any other message, or expiry); returns what was dropped."""
        pending = self.claim(env)
        if pending is not None:
            logger.bind(channel=env.channel, user=env.user_id, action=pending.action).info(
                "confirmation dropped"
            )
        return pending


def _decode(raw: str) -> Pending | None:
    try:
        data = json.loads(raw)
        return Pending(
            action=str(data["action"]),
            summary=str(data.get("summary", "")),
            created_ms=int(data["created_ms"]),
            payload=dict(data.get("payload") or {}),
        )
    except (ValueError, KeyError, TypeError):
        logger.warning("unreadable pending confirmation dropped")
        return None
