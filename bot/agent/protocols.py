"""The narrow shapes the agent needs from its colleagues' modules.

The agent is built in parallel with `bot/conversation/envelope.py`, `bot/dispatch/dispatcher.py` and
`bot/conversation/offline_engine.py`; coding against these Protocols (structural typing) lets it work with the
real classes and with the test fakes alike, without importing either at module load time.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from bot.conversation.envelope import Reply


@runtime_checkable
class EnvelopeLike(Protocol):
    """Who said what on which channel (pinned: `Envelope(channel, user_id, text)`)."""

    @property
    def channel(self) -> str: ...

    @property
    def user_id(self) -> str: ...

    @property
    def text(self) -> str: ...


@runtime_checkable
class ReplyLike(Protocol):
    """A channel-neutral answer (pinned: `Reply(text, kind, title, rows, buttons, image_png)`)."""

    @property
    def text(self) -> str: ...

    @property
    def kind(self) -> str: ...


class FreeTextEngine(Protocol):
    """Answers text that is not a command (pinned: `answer(env, text, dispatcher) -> Reply`)."""

    @property
    def takes_unparsed(self) -> bool: ...

    def warm(self) -> threading.Thread | None: ...

    def answer(self, env: Any, text: str, dispatcher: Any) -> Any: ...


class KeyValueLike(Protocol):
    """The subset of `core.telemetry.kv.KeyValueStore` the prompt needs (preferences)."""

    def get(self, key: str, default: str | None = None) -> str | None: ...

    def keys(self, prefix: str) -> list[str]: ...


ReplyFactory = Callable[..., Any]


def make_reply(text: str, kind: str = "text", **extra: Any) -> Any:
    """Build the project's Reply, so channels render agent answers like any other."""
    reply_kind: Any = kind  # validated by the callers: text, confirm, error or refusal
    return Reply(text=text, kind=reply_kind, **extra)


def with_text(reply: Any, text: str, factory: ReplyFactory = make_reply) -> Any:
    """Same reply with new text — keeps kind/buttons (a confirmation must stay a confirmation)."""
    if dataclasses.is_dataclass(reply) and not isinstance(reply, type):
        return dataclasses.replace(reply, text=text)
    replace = getattr(reply, "model_copy", None)
    if callable(replace):  # a pydantic model
        return replace(update={"text": text})
    buttons = list(getattr(reply, "buttons", None) or [])
    return factory(text, kind=str(getattr(reply, "kind", "text")), buttons=buttons)
