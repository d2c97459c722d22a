"""What the web app reads from the application object: `bot.wiring.app.Zyn` satisfies it.

Why a port: the adapters must not import `bot`, and an untyped `zyn: Any` let the web app read
anything. The health check may see a smaller object in tests (no storage prober, no modules);
those two stay optional and are read with a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from adapters.channels.ports import SettingsLike, ZynLike


class BreakerLike(Protocol):
    def snapshot(self) -> dict[str, object]: ...


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
    def exchange(self) -> object: ...

    @property
    def channels(self) -> Mapping[str, object]: ...

    def scheduler_state(self) -> dict[str, object]: ...

    def feed_state(self) -> dict[str, object]: ...

    def channel_state(self) -> dict[str, object]: ...
