"""The raw settings environment for the terminal client path: the process environment over `.env`.

Why a second reader beside bot/settings.py: a terminal client of a running owner
(`bot/cli/fast_client.py`) needs only DATABASE_URL and must not pay for pydantic-settings or the
composition root before forwarding (issue 22.6). Everything else reads settings through
bot/settings.py; parsing stays in core.config.
"""

from __future__ import annotations

import os


def load_env() -> dict[str, str]:
    """Environment first, then `.env` for what the environment does not set."""
    from dotenv import dotenv_values  # lazy: the slim terminal-client path

    env: dict[str, str] = {}
    if os.path.exists(".env"):
        env.update({k: v for k, v in dotenv_values(".env").items() if v is not None})
    env.update(os.environ)
    return env
