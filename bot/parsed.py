"""The parsed form of a chat command, shared by the parser modules and the handlers."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services import OrderSpec

PUNCT = "?!.,;:"


@dataclass(frozen=True)
class Command:
    """A recognised command; `args` are already validated and normalised strings."""

    name: str
    args: tuple[str, ...] = ()
    order: OrderSpec | None = None
