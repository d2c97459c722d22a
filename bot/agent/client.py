"""The OpenAI client, built for a chat assistant rather than a batch job.

Short timeout and no silent retries: a person is waiting, and the offline engine can answer at
once, so a slow or rate-limited LLM must fail fast instead of hanging the chat for a minute
(the SDK's default retries honour `retry-after` for up to two minutes).
"""

from __future__ import annotations

from typing import Any

import openai

from bot.agent.llm_settings import DEFAULT_MODEL, DEFAULT_TIMEOUT_S, LLMSettings, llm_settings_from

__all__ = ["DEFAULT_MODEL", "DEFAULT_TIMEOUT_S", "LLMSettings", "llm_settings_from", "make_openai_client"]


def make_openai_client(cfg: LLMSettings) -> openai.OpenAI:
    """The real SDK client (httpx2 underneath: tests point it at a loopback server, not a patch)."""
    kwargs: dict[str, Any] = {"api_key": cfg.api_key, "max_retries": cfg.max_retries}
    kwargs["timeout"] = cfg.timeout_s
    if cfg.base_url:
        kwargs["base_url"] = cfg.base_url
    return openai.OpenAI(**kwargs)


_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (openai.APITimeoutError, "timed out"),
    (openai.RateLimitError, "rate limited"),
    (openai.AuthenticationError, "not authorized — check OPENAI_API_KEY"),
    (openai.PermissionDeniedError, "not authorized — check OPENAI_API_KEY"),
    (openai.InternalServerError, "server error"),
    (openai.APIConnectionError, "cannot connect"),
    (openai.BadRequestError, "request rejected"),
    (openai.NotFoundError, "model or endpoint not found — check OPENAI_MODEL / OPENAI_BASE_URL"),
    (openai.APIResponseValidationError, "unexpected response"),
)


def describe_failure(exc: BaseException) -> str:
    """A short, key-free reason for the user's one-line note (never the SDK's message text,
    which can echo part of the API key on a 401)."""
    for kind, reason in _REASONS:
        if isinstance(exc, kind):
            return reason
    if isinstance(exc, openai.APIStatusError):
        return "server error" if exc.status_code >= 500 else f"API error {exc.status_code}"
    return "unexpected error"


def failure_fields(exc: BaseException) -> dict[str, Any]:
    """Structured log fields for a failed call: type and status only, no message, no key."""
    fields: dict[str, Any] = {"error_type": type(exc).__name__}
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        fields["status"] = status
    return fields
