"""What the agent needs to reach a Chat Completions server, read from the settings.

Apart from the client (`bot.agent.client`) so deciding whether there is an agent at all does not
import the OpenAI SDK (~48 MB resident): with no key, `zyn run` never loads it (issue 20.5).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.config import Settings

DEFAULT_MODEL = "gpt-4o"
DEFAULT_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class LLMSettings:
    """What the agent needs to reach a Chat Completions server; the key never appears in repr."""

    api_key: str = field(repr=False)
    model: str = DEFAULT_MODEL
    base_url: str = ""  # empty = the SDK default (api.openai.com or $OPENAI_BASE_URL)
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = 0


def llm_settings_from(settings: Settings) -> LLMSettings | None:
    """From `core.config.Settings`; None when no key is set (then the offline engine answers)."""
    key = settings.openai_api_key.strip()
    if not key:
        return None
    return LLMSettings(api_key=key, model=settings.openai_model or DEFAULT_MODEL,
                       base_url=settings.openai_base_url.strip())
