"""Acting through the owner of the money from a process that does not own it.

`ForwardingDispatcher` and `ForwardingStatus` have the shapes the web chat, the dashboard, the
SMS/Slack webhooks and the terminal use (`handle(env) -> Reply`, `snapshot()`), but send every
request to the owner (`bot.owner.client`). The owner is looked up on each request, so a restart
of the owner (new port, new holder) is followed without restarting the client. When no owner
answers, the reply says so in one line and nothing is done here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from loguru import logger
from sqlalchemy.engine import Engine

from bot.conversation.envelope import Envelope, Reply
from bot.owner.client import OwnerClient, OwnerUnreachable
from bot.owner.ownership import OwnerInfo, current_owner
from core.telemetry.kv import KeyValueStore

NO_OWNER = "No Zyn process owns trading right now (it may be restarting); nothing was done. Try again in a moment."


class OwnerLookup:
    """Finds the owner's endpoint and makes a client for it (token read from beside the database)."""

    def __init__(self, db: Engine, kv: KeyValueStore, token: Callable[[], str]) -> None:
        self._db, self._kv, self._token = db, kv, token

    def owner(self) -> OwnerInfo | None:
        return current_owner(self._db, self._kv)

    def client(self) -> OwnerClient | None:
        info = self.owner()
        if info is None or info.url is None:
            return None
        return OwnerClient(info.url, self._token())


class ForwardingDispatcher:
    def __init__(self, lookup: OwnerLookup, user_name: str) -> None:
        self._lookup, self.user_name = lookup, user_name

    def handle(self, env: Envelope) -> Reply:
        client = self._lookup.client()
        if client is None:
            return Reply(NO_OWNER, kind="error")
        try:
            return client.dispatch(env)
        except OwnerUnreachable as exc:
            logger.bind(channel=env.channel).warning("forward to the owner failed: {}", exc)
            return Reply(f"The running Zyn did not answer ({exc}). If this was an order, check `orders` "
                         "before repeating it.", kind="error")


class ForwardingStatus:
    """The owner's status snapshot; the equity curve is read from the shared database."""

    def __init__(self, lookup: OwnerLookup, curve: Callable[[], list[tuple[int, float]]]) -> None:
        self._lookup, self._curve = lookup, curve

    def snapshot(self) -> dict[str, Any]:
        client = self._lookup.client()
        if client is None:
            raise OwnerUnreachable(NO_OWNER)
        return client.status()

    def equity_curve(self) -> list[tuple[int, float]]:
        return self._curve()
