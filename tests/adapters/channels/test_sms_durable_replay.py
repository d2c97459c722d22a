"""A captured, correctly signed SMS webhook stays valid forever (no timestamp): its MessageSid is
remembered in the database, so a replay does nothing even after a restart."""

from pathlib import Path

from adapters.channels.replay_cache import DurableReplayCache
from core.telemetry.db import make_engine


def test_message_sid_is_remembered_across_restarts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/zyn.db"
    first = DurableReplayCache(make_engine(url))
    assert first.first_time("SM123")
    assert not first.first_time("SM123")
    after_restart = DurableReplayCache(make_engine(url))
    assert not after_restart.first_time("SM123")
    assert after_restart.first_time("SM456")
