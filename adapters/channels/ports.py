"""What the channel adapters need from the rest of Zyn, as small Protocols.

Channels depend on these shapes, not on `bot.wiring.app.Zyn`, so their tests can pass in-memory fakes
and the composition root can pass the real object (its attribute names are pinned in
docs/ARCHITECTURE.md). `Envelope`/`Reply` are the pinned value objects of `core.messages`
(re-exported as `bot.conversation.envelope`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from adapters.channels.settings import ChannelSettings
from core.domain import UserError
from core.messages import Envelope, Reply

if TYPE_CHECKING:  # only named: the start-up checks import this module before SQLAlchemy is needed
    from sqlalchemy.engine import Engine

__all__ = [
    "Channel",
    "ChannelConfigError",
    "ChannelSettings",
    "DispatcherLike",
    "PolledChannel",
    "Envelope",
    "Reply",
    "StatusLike",
    "ZynLike",
    "channel_settings",
    "is_loopback",
]


class ChannelConfigError(UserError):
    """A channel is configured in a way that must not run (e.g. credentials but no allow-list)."""


class DispatcherLike(Protocol):
    """The one dispatch path: authorize, parse, confirm, run. Channels never decide."""

    def handle(self, env: Envelope) -> Reply: ...


@runtime_checkable
class Channel(Protocol):
    """A configured chat channel as the rest of Zyn holds it: it can alert the owner.

    `send` may raise (the notifier logs and records the failure); what it returns is ignored."""

    def send(self, text: str, image_png: bytes | None = None) -> object: ...


@runtime_checkable
class PolledChannel(Channel, Protocol):
    """A channel with its own poller thread (Telegram): started in the background by `zyn run`,
    probed and restarted by the watchdog, stopped on close."""

    def start(self, timeout_s: float = 20.0) -> None: ...

    def stop(self, timeout_s: float = 20.0) -> None: ...

    def healthy(self, timeout_s: float = 5.0) -> bool: ...


class StatusLike(Protocol):
    """The status service as the dashboard reads it (contract snapshot + equity curve)."""

    def snapshot(self) -> dict[str, Any]: ...

    def equity_curve(self) -> Sequence[tuple[int, float]]: ...


class SettingsLike(Protocol):
    @property
    def channels(self) -> ChannelSettings: ...

    @property
    def user_name(self) -> str: ...


class ZynLike(Protocol):
    """The part of `bot.wiring.app.Zyn` that `make_blueprint(zyn)` reads."""

    @property
    def dispatcher(self) -> DispatcherLike: ...

    @property
    def settings(self) -> SettingsLike: ...

    @property
    def status(self) -> StatusLike: ...

    @property
    def db(self) -> Engine | None: ...

    def dashboard_settings(self) -> list[tuple[str, str]]: ...

    @property
    def currency(self) -> str: ...  # what equity is counted in (a USDT paper account: USDT)

    def equity_chart_svg(self, points: list[tuple[int, float]]) -> str: ...


def channel_settings(settings: ChannelSettings | SettingsLike) -> ChannelSettings:
    """Accept either the whole Settings or its ChannelSettings (callers hold one or the other)."""
    return settings if isinstance(settings, ChannelSettings) else settings.channels


def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost' — the only addresses trusted without a token."""
    if not host:
        return False
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1 from dual-stack sockets
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))
