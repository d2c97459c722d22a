"""Parsers for the advanced modules' chat commands: `features`, `universe` (no arguments).

Kept out of bot/conversation/parser.py (hooked in with one line) so the modules' grammar can grow without
touching the main parser. `set feature NAME on|off` and `set target N%` go through `set`.
"""

from __future__ import annotations

from bot.conversation.parsed import Command


def _no_arg(name: str, rest: list[str]) -> Command | None:
    """`features` / `universe` alone; a longer sentence is free text ("universe of what?")."""
    return Command(name) if not rest else None


FEATURE_PARSERS = {"features": _no_arg, "universe": _no_arg, "modules": _no_arg}
