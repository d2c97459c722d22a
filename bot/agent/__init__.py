"""The LLM agent: OpenAI Chat Completions with tools over the dispatcher's own commands.

`build_free_text_engine` is what the composition root calls: with no `OPENAI_API_KEY` it hands
back the offline engine unchanged, so Zyn works with no account at all.
"""

from __future__ import annotations

from typing import Any

from bot.agent.llm_settings import LLMSettings, llm_settings_from
from bot.agent.prompt import performance_summary
from bot.agent.protocols import FreeTextEngine
from core.config import Settings

__all__ = ["AgentEngine", "LLMSettings", "build_free_text_engine", "make_openai_client"]


def __getattr__(name: str) -> Any:
    """`AgentEngine` and `make_openai_client` import the OpenAI SDK: only when asked for (issue 20.5)."""
    if name == "AgentEngine":
        from bot.agent.engine import AgentEngine  # lazy: keeps openai, sqlalchemy, sqlmodel out of this import

        return AgentEngine
    if name == "make_openai_client":
        from bot.agent.client import make_openai_client  # lazy: keeps openai out of this import

        return make_openai_client
    raise AttributeError(name)


def build_free_text_engine(
    settings: Settings,
    *,
    db: Any,
    fallback: FreeTextEngine,
    clock: Any,
    kv: Any = None,
    status: Any = None,
    analyzer: Any = None,
    client: Any = None,
) -> FreeTextEngine:
    """The agent when a key is configured, else `fallback` (the offline engine) itself.

    `status` (StatusService) and `analyzer` (core.learning.analyzer.TradeAnalyzer) feed the prompt's
    performance line; either may be None."""
    cfg = llm_settings_from(settings)
    if cfg is None:
        return fallback
    from bot.agent.client import make_openai_client  # lazy: keeps openai out of this import
    from bot.agent.engine import AgentEngine  # lazy: keeps openai, sqlalchemy, sqlmodel out of this import
    from bot.conversation.memory import ConversationMemory  # lazy: keeps sqlalchemy, sqlmodel out of this import

    return AgentEngine(
        client if client is not None else make_openai_client(cfg),
        model=cfg.model,
        fallback=fallback,
        memory=ConversationMemory(db),
        user_name=settings.user_name or "jimmy",
        kv=kv,
        clock=clock,
        tz=settings.tz or "UTC",
        performance=performance_summary(status, analyzer),
    )
