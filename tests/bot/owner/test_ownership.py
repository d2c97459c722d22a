"""The pieces of process ownership: the token file, the published endpoint, the reply on the wire."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.conversation.envelope import Reply
from bot.owner.ownership import current_owner, ensure_token, publish_endpoint, read_token, token_path
from bot.owner.wire import reply_from_wire, reply_to_wire
from core.clock import RealClock
from core.domain import UserError
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore
from scheduler.lock import SchedulerLock


def test_the_token_lives_beside_the_database_readable_only_by_its_owner(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/zyn.db"
    token = ensure_token(url)
    path = token_path(url)
    assert path == Path(f"{tmp_path}/zyn.db.owner-token")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_token(url) == token == read_token(url) and len(token) >= 32


def test_a_missing_token_is_one_line_for_the_client(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="access token"):
        read_token(f"sqlite:///{tmp_path}/none.db")


def test_an_endpoint_counts_only_while_its_holder_has_a_live_lease(tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path}/zyn.db")
    kv = KeyValueStore(db)
    assert current_owner(db, kv) is None
    lease = SchedulerLock(db, RealClock(), lease_s=30)
    assert lease.acquire()
    assert current_owner(db, kv) is not None and current_owner(db, kv).url is None  # type: ignore[union-attr]
    publish_endpoint(kv, lease.holder, "http://127.0.0.1:5000")
    assert current_owner(db, kv).url == "http://127.0.0.1:5000"  # type: ignore[union-attr]
    publish_endpoint(kv, "someone-else", "http://127.0.0.1:6000")  # stale: not the lease holder's
    assert current_owner(db, kv).url is None  # type: ignore[union-attr]
    lease.release()
    assert current_owner(db, kv) is None


def test_a_reply_crosses_the_wire_intact() -> None:
    reply = Reply("Buy 0.01 BTC/USD?", kind="confirm", title="Confirm buy", rows=[("Side", "buy"), ("Stop", "3,000")],
                  buttons=["yes", "no"], image_png=b"\x89PNG...", columns=[])
    assert reply_from_wire(reply_to_wire(reply)) == reply
    with pytest.raises(ValueError):
        reply_from_wire({"text": "x", "kind": "rm -rf"})
