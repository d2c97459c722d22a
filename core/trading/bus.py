"""A small synchronous in-process event bus: subscribe by event type, publish in order.

Why synchronous: trading publishes under its lock right after a commit, and the subscribers
(the autopilot's cool-off, the status cache, the alert notifier, which queues its own sends)
must see events in the order they happened. Why a handler never breaks trading: a failing
subscriber is logged with loguru and the next one still runs; the money path has already
committed. Built once by the composition root and handed to whoever publishes or subscribes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from loguru import logger

E = TypeVar("E")
Handler = Callable[[Any], None]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = {}
        self._lock = threading.Lock()  # subscriptions may come from any thread

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Call `handler` for every published event of `event_type` (or a subclass); returns
        a function that ends the subscription."""
        with self._lock:
            self._handlers.setdefault(event_type, []).append(handler)

        def unsubscribe() -> None:
            with self._lock:
                handlers = self._handlers.get(event_type, [])
                if handler in handlers:
                    handlers.remove(handler)

        return unsubscribe

    def publish(self, event: object) -> None:
        """Deliver `event` to its subscribers, in subscription order; a handler's exception is
        logged (one structured line) and never reaches the publisher."""
        with self._lock:
            handlers = [h for kind in type(event).__mro__ for h in self._handlers.get(kind, ())]
        for handler in handlers:
            try:
                handler(event)
            except Exception as exc:  # noqa: BLE001 - a subscriber must never break trading
                logger.bind(action="bus", event=type(event).__name__).exception(
                    "event handler {} failed: {}", getattr(handler, "__qualname__", repr(handler)), exc
                )
