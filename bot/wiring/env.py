"""The raw settings environment: the process environment over `.env`.

Why its own module: the composition root (`bot.wiring.app`) imports every part of Zyn, while a
terminal client of a running owner (`bot/cli/fast_client.py`) needs only DATABASE_URL — reading
the environment must not cost the whole import (issue 22.6). Parsing stays in core.config.
"""

from __future__ import annotations

import os


def load_env() -> dict[str, str]:
    """Environment first, then `.env` for what the environment does not set."""
    from dotenv import dotenv_values

    env: dict[str, str] = {}
    if os.path.exists(".env"):
        env.update({k: v for k, v in dotenv_values(".env").items() if v is not None})
    env.update(os.environ)
    return env
