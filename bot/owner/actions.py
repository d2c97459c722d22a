"""What the owner's `/owner/v1/*` routes do, built from the composition root's object."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from adapters.web.owner_api import OwnerActions
from bot.conversation.envelope import Envelope
from bot.owner.wire import reply_to_wire


class _Dispatcher(Protocol):
    def handle(self, env: Envelope) -> Any: ...


class _Lease(Protocol):
    def still_valid_locally(self) -> bool: ...


class _Status(Protocol):
    def snapshot(self) -> Mapping[str, Any]: ...


class OwnerParts(Protocol):
    """The parts of the built `Zyn` the owner's routes use (named here: the root imports this room)."""

    @property
    def dispatcher(self) -> _Dispatcher: ...

    @property
    def lease(self) -> _Lease | None: ...

    @property
    def status(self) -> _Status: ...

    def relearn(self) -> Mapping[str, object]: ...


def owner_actions(zyn: OwnerParts, token: str) -> OwnerActions:
    def dispatch(channel: str, user: str, text: str) -> dict[str, Any]:
        return reply_to_wire(zyn.dispatcher.handle(Envelope(channel, user, text)))

    def is_owner() -> bool:
        return zyn.lease is not None and bool(zyn.lease.still_valid_locally())

    return OwnerActions(token=token, is_owner=is_owner, dispatch=dispatch,
                        status=lambda: dict(zyn.status.snapshot()), learn=lambda: dict(zyn.relearn()))
