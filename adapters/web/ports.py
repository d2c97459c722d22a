"""What the web app reads from the application object: `bot.wiring.app.Zyn` satisfies it.

Why a port: the adapters must not import `bot`, and an untyped `zyn: Any` let the web app read
anything. The port is complete: `/healthz` reads each part through it, never by a `getattr`
probe (issue 18), so a part the root renames fails the type check, not the health check.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from adapters.channels.ports import SettingsLike, ZynLike


class BreakerLike(Protocol):
    def snapshot(self) -> dict[str, object]: ...


class StorageLike(Protocol):
    """`core.telemetry.storage_health.StorageHealth`: storage state kept in memory."""

    def snapshot(self) -> dict[str, Any]: ...


class WatchdogLike(Protocol):
    def snapshot(self) -> dict[str, dict[str, Any]]: ...


class ModulesLike(Protocol):
    """`bot.wiring.modules.Modules`: the watchdog exists only in `zyn run` (else None)."""

    @property
    def watchdog(self) -> WatchdogLike | None: ...

    def status_line(self) -> str: ...


class LeaseLike(Protocol):
    """`scheduler.lock.SchedulerLock`: why the last renewal got no answer (memory only), else None."""

    @property
    def unanswered(self) -> str | None: ...


class ExchangeLike(Protocol):
    @property
    def name(self) -> str: ...


class WebSettings(SettingsLike, Protocol):
    @property
    def mode(self) -> str: ...


class WebZyn(ZynLike, Protocol):
    """The part of `bot.wiring.app.Zyn` the web app and `/healthz` read."""

    @property
    def settings(self) -> WebSettings: ...

    @property
    def breaker(self) -> BreakerLike: ...

    @property
    def exchange(self) -> ExchangeLike: ...

    @property
    def storage(self) -> StorageLike: ...

    @property
    def modules(self) -> ModulesLike: ...

    @property
    def reconciling(self) -> bool: ...

    @property
    def lease(self) -> LeaseLike | None: ...

    @property
    def channels(self) -> Mapping[str, object]: ...

    def scheduler_state(self) -> dict[str, object]: ...

    def feed_state(self) -> dict[str, object]: ...

    def channel_state(self) -> dict[str, object]: ...
