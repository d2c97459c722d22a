"""The write-ahead chat journal (issue 20.1): `write` returns before the database has the row,
nothing written is lost when the process is killed (the next start stores it, once), a second
live process's journal is left alone, and `close` stores what is queued."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from sqlmodel import Session, select

from bot.conversation.chat_journal import MARK_PREFIX, JournaledAuditLog, replay
from core.telemetry.db import make_engine
from core.telemetry.models import KeyValueRow, MessageRow

ROOT = Path(__file__).resolve().parents[3]


def _row(n: int) -> dict[str, object]:
    return {"ts_ms": n, "channel": "web", "user_id": "u", "direction": "in", "text": f"msg {n}"}


def _stored(url: str) -> list[int]:
    with Session(make_engine(url)) as s:
        return sorted(r.ts_ms for r in s.exec(select(MessageRow)).all())


def test_rows_reach_the_database_in_batches_and_flush_waits_for_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/a.db"
    log = JournaledAuditLog(make_engine(url), tmp_path / "j", flush_s=30.0)  # never by the clock here
    threads = [threading.Thread(target=lambda k=k: [log.write(_row(n)) for n in range(k * 50, k * 50 + 50)])
               for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert _stored(url) == []  # written to the journal only: the replies did not wait for a commit
    assert sum(len(p.read_bytes().splitlines()) for p in (tmp_path / "j").glob("*.jsonl")) == 200
    log.flush()
    assert _stored(url) == list(range(200))
    log.write(_row(200))
    log.close()  # what is still queued is stored; the journal is left empty
    assert _stored(url) == list(range(201))
    assert list((tmp_path / "j").iterdir()) == []
    with Session(make_engine(url)) as s:
        assert s.exec(select(KeyValueRow).where(KeyValueRow.key.startswith(MARK_PREFIX))).all() == []  # type: ignore[attr-defined]


CRASH = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {root!r})
    from pathlib import Path
    from bot.conversation.chat_journal import JournaledAuditLog
    from core.telemetry.db import make_engine
    log = JournaledAuditLog(make_engine({url!r}), Path({folder!r}), flush_s=3600.0)
    for n in range(30):
        log.write({{"ts_ms": n, "channel": "web", "user_id": "u", "direction": "in", "text": "m"}})
    log.flush()  # the first 30 are stored (and their segment marked) ...
    for n in range(30, 50):
        log.write({{"ts_ms": n, "channel": "web", "user_id": "u", "direction": "out", "text": "r"}})
    print("written", flush=True)  # ... the last 20 only journalled when the process is killed
    sys.stdin.read()
""")


def test_a_killed_process_loses_no_row_and_none_is_stored_twice(tmp_path: Path) -> None:
    url, folder = f"sqlite:///{tmp_path}/k.db", tmp_path / "journal"
    make_engine(url)  # creates the schema
    script = CRASH.format(root=str(ROOT), url=url, folder=str(folder))
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "written"
        engine = make_engine(url)
        assert replay(engine, folder) == 0  # alive: its journal is its own
        assert _stored(url) == list(range(30))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = [json.loads(x) for p in folder.glob("*.jsonl") for x in p.read_bytes().splitlines()]
    assert sorted(int(r["ts_ms"]) for r in lines) == list(range(30, 50))
    log = JournaledAuditLog(engine, folder)  # the next start replays what the killed one left
    assert _stored(url) == list(range(50))
    log.close()
    assert replay(engine, folder) == 0 and _stored(url) == list(range(50))
    assert list(folder.iterdir()) == []


def test_a_segment_stored_just_before_the_kill_is_not_stored_again(tmp_path: Path) -> None:
    """Killed between the commit and the segment's removal: the mark in `kv` says it is stored."""
    url, folder = f"sqlite:///{tmp_path}/d.db", tmp_path / "journal"
    engine = make_engine(url)
    folder.mkdir()
    dead = "1-1"
    (folder / f"{dead}.lock").write_bytes(b"")
    (folder / f"{dead}.00000000.jsonl").write_text(json.dumps(_row(1)) + "\n" + json.dumps(_row(2)) + "\n")
    (folder / f"{dead}.00000001.jsonl").write_text(json.dumps(_row(3)) + "\n" + '{"ts_ms": 4, "chan')
    with Session(engine) as s:  # segment 0 was committed with its mark, then the process died
        s.add(MessageRow(ts_ms=1, channel="web", user_id="u", direction="in", text="msg 1"))
        s.add(MessageRow(ts_ms=2, channel="web", user_id="u", direction="in", text="msg 2"))
        s.add(KeyValueRow(key=MARK_PREFIX + dead, value="0", updated_ms=0))
        s.commit()
    assert replay(engine, folder) == 1  # segment 1's whole line; its torn last line was never acknowledged
    assert _stored(url) == [1, 2, 3]
    assert list(folder.iterdir()) == []
