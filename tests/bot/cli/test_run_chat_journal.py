"""Issue 20.1 on real processes: `zyn run` answers chat before the conversation rows are in the
database (they wait in its write-ahead journal), is killed with SIGKILL, and the next process on
the database (`zyn chat`) stores every one of them, once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from sqlmodel import Session, select

from core.telemetry.db import make_engine
from core.telemetry.models import MessageRow
from tests.bot.cli.test_run_process import free_port, wait_healthy

SENT = ["help", "status", "positions", "price BTC", "rules"]


def _say(port: int, text: str) -> str:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/chat", data=json.dumps({"message": text}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - loopback
        return str(json.loads(resp.read())["reply"])


def _web_rows(db_url: str) -> list[tuple[str, str]]:
    with Session(make_engine(db_url)) as s:
        rows = s.exec(select(MessageRow).where(MessageRow.channel == "web").order_by(MessageRow.id)).all()  # type: ignore[arg-type]
        return [(r.direction, r.text) for r in rows]


def test_kill_9_after_replies_loses_no_conversation_row(tmp_path: Path, data_dir: Path) -> None:
    db_url, port = f"sqlite:///{tmp_path}/zyn.db", free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "PAPER_FEED": "replay", "PAPER_DATA": str(data_dir / "kraken"),
           "ZYN_LOG_LEVEL": "WARNING", "ZYN_CHAT_JOURNAL_FLUSH_S": "3600"}  # stored only at close/next start
    run = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], cwd=tmp_path, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(port)
        replies = [_say(port, text) for text in SENT]
        assert all(replies)
        journal = tmp_path / "zyn.db.chat-journal"
        journalled = [json.loads(x) for p in journal.glob("*.jsonl") for x in p.read_bytes().splitlines()]
        assert [r["text"] for r in journalled if r["direction"] == "in"] == SENT  # replied, journalled ...
        assert _web_rows(db_url) == []  # ... and not yet in the database
        os.kill(run.pid, signal.SIGKILL)
        run.wait(30)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(30)
    cli = subprocess.run([sys.executable, "-m", "bot", "chat", "help"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=180)
    assert cli.returncode == 0, cli.stderr
    stored = _web_rows(db_url)
    assert [t for d, t in stored if d == "in"] == SENT  # every message, once, in order
    assert len([d for d, _ in stored if d == "out"]) == len(SENT)
    assert [(r["direction"], r["text"]) for r in journalled] == stored
    assert not list(journal.glob("*.jsonl"))
