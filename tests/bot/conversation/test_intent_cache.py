"""The intent classifier is built once and kept on disk: a chat message never waits for training.

A corrupt, foreign or stale cache file is rebuilt; a good one is loaded, and the dispatcher then
answers the first free-text message without training anything."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.conversation.envelope import Envelope
from bot.conversation.intent_cache import IntentModel
from bot.conversation.intents import TRAIN_PATH, IntentClassifier
from bot.conversation.offline_engine import OfflineEngine
from bot.conversation.services import Services
from bot.dispatch.dispatcher import Dispatcher
from core.clock import SimClock
from core.telemetry.kv import KeyValueStore
from tests.bot.conftest import ALLOW


class Trainer:
    """Counts trainings; hands out the session's classifier instead of fitting a new one."""

    def __init__(self, classifier: IntentClassifier) -> None:
        self.classifier, self.calls = classifier, 0

    def __call__(self, train_path: Path) -> IntentClassifier:
        self.calls += 1
        return self.classifier


def never(train_path: Path) -> IntentClassifier:
    raise AssertionError("trained inline although the cache exists")


@pytest.fixture
def trainer(intent_classifier: IntentClassifier) -> Trainer:
    return Trainer(intent_classifier)


def test_first_use_trains_and_writes_a_private_cache_file(tmp_path: Path, trainer: Trainer) -> None:
    model = IntentModel(tmp_path, train=trainer)
    assert model.get().classify("stauts").intent == "status" and model.origin == "trained"
    assert model.path is not None and model.path.exists() and trainer.calls == 1
    assert stat.S_IMODE(model.path.stat().st_mode) == 0o600
    again = IntentModel(tmp_path, train=never)
    assert again.get().classify("kill swich").intent is not None and again.origin == "cache"
    assert [p.name for p in tmp_path.iterdir()] == [model.path.name]  # no temp file left behind


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "not a classifier"])
def test_a_corrupt_cache_is_rebuilt(tmp_path: Path, trainer: Trainer, damage: str) -> None:
    import joblib

    model = IntentModel(tmp_path, train=trainer)
    model.get()
    path = model.path
    assert path is not None
    if damage == "garbage":
        path.write_bytes(b"\x80\x04this is not a pickle")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        joblib.dump({"status": "status"}, path)
    rebuilt = IntentModel(tmp_path, train=trainer)
    assert rebuilt.get().classify("status please").intent == "status"
    assert rebuilt.origin == "trained" and trainer.calls == 2
    assert IntentModel(tmp_path, train=never).get() is not None  # the rebuilt file is good again


def test_a_stale_cache_is_not_used_and_a_new_one_is_built(tmp_path: Path, trainer: Trainer) -> None:
    phrases = tmp_path / "train.tsv"
    phrases.write_text(TRAIN_PATH.read_text(encoding="utf-8"), encoding="utf-8")
    cache = tmp_path / "cache"
    old = IntentModel(cache, train_path=phrases, train=trainer)
    old.get()
    old_path = old.path
    with phrases.open("a", encoding="utf-8") as fh:  # the phrase set changed: that file is stale
        fh.write("status\thow are things looking\n")
    new = IntentModel(cache, train_path=phrases, train=trainer)
    assert new.path != old_path
    new.get()
    assert new.origin == "trained" and trainer.calls == 2 and new.path is not None and new.path.exists()


def test_a_cache_file_others_can_write_is_not_trusted(tmp_path: Path, trainer: Trainer) -> None:
    model = IntentModel(tmp_path, train=trainer)
    model.get()
    assert model.path is not None
    os.chmod(model.path, 0o666)  # noqa: S103 - the very mistake under test
    again = IntentModel(tmp_path, train=trainer)
    again.get()
    assert again.origin == "trained" and trainer.calls == 2
    assert stat.S_IMODE(model.path.stat().st_mode) == 0o600


def test_an_unwritable_cache_folder_still_answers(tmp_path: Path, trainer: Trainer) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    model = IntentModel(blocked / "zyn", train=trainer)
    assert model.get().classify("status").intent == "status" and model.origin == "trained"


def test_the_dispatcher_answers_the_first_free_text_without_training_when_the_cache_exists(
    tmp_path: Path, trainer: Trainer, services: Services, db: Engine, clock: SimClock
) -> None:
    IntentModel(tmp_path, train=trainer).get()  # an earlier process built the cache
    model = IntentModel(tmp_path, train=never)
    dispatcher = Dispatcher(services, KeyValueStore(db), db, clock, ALLOW, "jimmy", OfflineEngine(model=model))
    reply = dispatcher.handle(Envelope("telegram", "111", "give me an overview please"))
    assert reply.title == "Status" and model.origin == "cache"


def test_warming_in_the_background_leaves_nothing_for_the_first_message(
    tmp_path: Path, trainer: Trainer, make_dispatcher: Callable[[], Dispatcher]
) -> None:
    model = IntentModel(tmp_path, train=trainer)
    engine = OfflineEngine(model=model)
    engine.warm()  # what `zyn run` does at start
    model.warm().join(30)  # a second warm waits on the same lock: joined, the model is there
    assert model.ready() and trainer.calls == 1
    assert engine.classifier() is trainer.classifier and trainer.calls == 1
