"""A toy chat channel, in tests only: it follows the "add a channel" recipe in docs/EXTENDING.md.

A real channel does the same four things with its SDK: turn raw input into an `Envelope`,
hand it to the one dispatcher, render the structured `Reply` its own way, and `send` alerts.
It imports only `adapters.channels.ports` (and `core.messages`), never `bot`.
"""

from __future__ import annotations

from adapters.channels.ports import DispatcherLike, Envelope, Reply
from core.messages import render_plain


class ToyChannel:
    name = "toy"

    def __init__(self, dispatcher: DispatcherLike) -> None:
        self.dispatcher = dispatcher
        self.outbox: list[str] = []

    def receive(self, raw: str) -> str:
        """Raw input `user_id: text` (the toy wire format) -> the rendered answer."""
        user, _, text = raw.partition(":")
        reply = self.dispatcher.handle(Envelope(self.name, user.strip(), text.strip()))
        return self.render(reply)

    @staticmethod
    def render(reply: Reply) -> str:
        buttons = f" [{' | '.join(reply.buttons)}]" if reply.buttons else ""
        return render_plain(reply) + buttons

    def send(self, text: str, image_png: bytes | None = None) -> None:
        """The notifier's alert hook (every configured channel gets alerts)."""
        self.outbox.append(text + (" [chart]" if image_png else ""))
