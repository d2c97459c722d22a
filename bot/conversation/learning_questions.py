"""Recognises the three questions about learning that get measured answers, before free text.

Why a separate matcher: "what have you learned?", "is learning helping?" and "should I turn
learning off?" must be answered from the walk-forward and the live figures, never improvised by
the free-text engine; the parser calls `learning_question` first and stays otherwise untouched.
"""

from __future__ import annotations

import re

from bot.conversation.parsed import Command

COMMAND = "learning_question"
_PATTERNS = (
    ("off", re.compile(r"\b(turn|switch|shut)\b.*\blearn\w*\b.*\boff\b|\b(disable|stop)\b.*\blearn", re.I)),
    ("helping", re.compile(r"\blearn\w*\b.*\b(help\w*|work\w*|worth|skill|better|paying)\b", re.I)),
    ("learned", re.compile(r"\bwhat\b.*\b(have|did|has)\b.*\b(you|zyn|it)\b.*\blearn", re.I)),
)


def learning_question(text: str) -> Command | None:
    """Command("learning_question", (kind,)) with kind in off | helping | learned, else None."""
    t = text.strip()
    if not t or len(t) > 200:
        return None
    for kind, pattern in _PATTERNS:
        if pattern.search(t):
            return Command(COMMAND, (kind,))
    return None
