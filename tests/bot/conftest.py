"""Shared fixtures for the conversation tests: a real SQLite file DB, simulated time, fakes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.conversation.envelope import Envelope, Reply
from bot.conversation.intents import IntentClassifier
from bot.conversation.offline_engine import OfflineEngine
from bot.conversation.services import Services
from bot.dispatch.dispatcher import Dispatcher
from core.clock import SimClock
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore
from tests.bot.dask_cluster import dask_cluster  # noqa: F401 - a fixture for tests/bot
from tests.fakes.services import T0, FakeBacktester, FakeLearner, FakeMarket, FakeStatus, FakeTrading

ALLOW = {"telegram": {"111"}, "slack": {"U1"}, "sms": {"+15550001"}, "web": {"*"}}


@pytest.fixture(scope="session")
def intent_classifier() -> IntentClassifier:
    """Trained once per test session on the repo's phrase set (training takes about a second)."""
    return IntentClassifier.from_file()


@pytest.fixture
def db(tmp_path: Path) -> Engine:
    return make_engine(f"sqlite:///{tmp_path}/t.db")


@pytest.fixture
def clock() -> SimClock:
    return SimClock(T0)


@pytest.fixture
def kv(db: Engine) -> KeyValueStore:
    return KeyValueStore(db)


@pytest.fixture
def trading() -> FakeTrading:
    return FakeTrading()


@pytest.fixture
def status() -> FakeStatus:
    return FakeStatus()


@pytest.fixture
def services(trading: FakeTrading, status: FakeStatus) -> Services:
    return Services(
        trading=trading,
        status=status,
        learner=FakeLearner(),
        backtester=FakeBacktester(),
        market=FakeMarket(),
        pairs=("BTC/USD", "ETH/USD"),
    )


@pytest.fixture
def make_dispatcher(
    services: Services, db: Engine, clock: SimClock, intent_classifier: IntentClassifier
) -> Callable[[], Dispatcher]:
    """A fresh Dispatcher on the same database (a second process, as far as state goes)."""

    def make() -> Dispatcher:
        engine = OfflineEngine(intent_classifier)
        return Dispatcher(services, KeyValueStore(db), db, clock, ALLOW, "jimmy", engine)

    return make


@pytest.fixture
def dispatcher(make_dispatcher: Callable[[], Dispatcher]) -> Dispatcher:
    return make_dispatcher()


@pytest.fixture
def say(dispatcher: Dispatcher) -> Callable[..., Reply]:
    """say("status") as the Telegram owner; say("x", channel=..., user=...) for others."""

    def send(text: str, channel: str = "telegram", user: str = "111") -> Reply:
        return dispatcher.handle(Envelope(channel, user, text))

    return send
