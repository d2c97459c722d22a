"""The owner's words for his trading settings (`set max position 10%`, `set risk 1%`).

Why in the conversation room: the parser must recognise them, and the owner's settings
(`bot/owner/settings.py`, which sits above the conversation layer) use the same names.
"""

from __future__ import annotations

from collections.abc import Sequence

SETTING_NAMES = {
    "risk": "risk",
    "risk_per_trade": "risk",
    "max_position": "max_position",
    "max_position_size": "max_position",
    "position": "max_position",
    "daily_loss": "daily_loss",
    "daily_loss_limit": "daily_loss",
    "loss_limit": "daily_loss",
    "cooloff": "cooloff",
    "cool_off": "cooloff",
}


def setting_name(words: Sequence[str]) -> str | None:
    """`["max", "position"]` -> "max_position"; None when it is not a trading setting."""
    joined = "_".join(w.lower().replace("-", "_") for w in words)
    return SETTING_NAMES.get(joined)
