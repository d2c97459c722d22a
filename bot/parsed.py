"""The parsed form of a chat command, shared by the parser modules and the handlers."""

from __future__ import annotations

from dataclasses import dataclass

from core.trading.types import ManualOrder

PUNCT = "?!.,;:"


@dataclass(frozen=True)
class Command:
    """A recognised command; `args` are already validated and normalised strings."""

    name: str
    args: tuple[str, ...] = ()
    order: ManualOrder | None = None
