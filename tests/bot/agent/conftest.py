"""Fixtures: a loopback fake OpenAI server, the real `openai` client on it, a SQLite database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from sqlalchemy.engine import Engine

from bot.agent.engine import AgentEngine
from bot.conversation.memory import ConversationMemory
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore
from tests.fakes.chat_fakes import FakeDispatcher, FakeEnvelope, FakeOfflineEngine
from tests.fakes.openai_server import FakeOpenAIServer

API_KEY = "sk-test-SECRET-0123456789"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as srv:
        yield srv


@pytest.fixture
def client(server: FakeOpenAIServer) -> openai.OpenAI:
    """The fake answers at once; the timeout is only an upper bound (0.5 s timed out under load 14
    and the test saw the offline fallback instead of the scripted answer). Timeout tests build
    their own short-timeout client against an answer that never comes in time."""
    return openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0, timeout=60)


@pytest.fixture
def db(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path / 'zyn.db'}")


@pytest.fixture
def kv(db: Engine) -> KeyValueStore:
    return KeyValueStore(db)


@pytest.fixture
def dispatcher() -> FakeDispatcher:
    return FakeDispatcher()


@pytest.fixture
def offline() -> FakeOfflineEngine:
    return FakeOfflineEngine()


@pytest.fixture
def env() -> FakeEnvelope:
    return FakeEnvelope(channel="cli", user_id="jimmy", text="")


@pytest.fixture
def make_agent(
    client: openai.OpenAI, offline: FakeOfflineEngine, db: Engine, kv: KeyValueStore
) -> Callable[..., AgentEngine]:
    def build(**overrides: Any) -> AgentEngine:
        kwargs: dict[str, Any] = {
            "model": "gpt-4o",
            "fallback": offline,
            "memory": ConversationMemory(db),
            "user_name": "jimmy",
            "kv": kv,
            "time_context": lambda: "Monday 2024-05-06 14:00 UTC, Europe/US overlap",
            "performance": lambda: "12 closed trades, 7 won",
            "now_ms": lambda: 1_715_004_000_000,
        }
        kwargs.update(overrides)
        return AgentEngine(kwargs.pop("client", client), **kwargs)

    return build
