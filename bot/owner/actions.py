"""What the owner's `/owner/v1/*` routes do, built from the composition root's object."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adapters.web.owner_api import OwnerActions
from bot.conversation.envelope import Envelope
from bot.owner.wire import reply_to_wire

if TYPE_CHECKING:
    from bot.wiring.app import Zyn


def owner_actions(zyn: Zyn, token: str) -> OwnerActions:
    def dispatch(channel: str, user: str, text: str) -> dict[str, Any]:
        return reply_to_wire(zyn.dispatcher.handle(Envelope(channel, user, text)))

    def is_owner() -> bool:
        return zyn.lease is not None and bool(zyn.lease.still_valid_locally())

    return OwnerActions(token=token, is_owner=is_owner, dispatch=dispatch,
                        status=lambda: dict(zyn.status.snapshot()), learn=lambda: dict(zyn.relearn()))
