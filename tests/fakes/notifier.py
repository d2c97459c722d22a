"""The core `Notifier` port as the owner's inbox: keeps every alert it was told, in order (the
real one, bot/alerts/notifier.py, fans out to the channels on their own threads)."""

from __future__ import annotations

from core.domain import Event


class Told:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def notify(self, event: Event) -> None:
        self.events.append(event)
