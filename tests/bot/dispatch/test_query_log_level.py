"""Read-only account queries log their "command" line at DEBUG, every other command at INFO (issue
20.1: at 200 status requests a second the INFO lines cost a third of a dispatch's CPU and rotated the
decisions out of the log); every message is still in the audit log either way."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from loguru import logger
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.conversation.envelope import Reply
from core.telemetry.models import MessageRow

Say = Callable[..., Reply]


@pytest.fixture
def command_lines() -> Iterator[list[tuple[str, str]]]:
    """(level, command) of every "command" line the dispatcher logs, at any level."""
    lines: list[tuple[str, str]] = []

    def sink(message: Any) -> None:
        record = message.record
        if record["message"] == "command":
            lines.append((record["level"].name, str(record["extra"].get("command"))))

    handler = logger.add(sink, level="DEBUG")
    yield lines
    logger.remove(handler)


def test_status_is_logged_at_debug_and_a_money_command_at_info(
    say: Say, db: Engine, command_lines: list[tuple[str, str]]
) -> None:
    for text in ("status", "balance", "positions", "pnl", "buy 0.01 btc", "pause"):
        say(text)
    levels = {cmd: level for level, cmd in command_lines}
    assert {levels[c] for c in ("status", "balance", "positions", "pnl")} == {"DEBUG"}
    assert levels["buy"] == "INFO" and levels["pause"] == "INFO"
    with Session(db) as s:  # the audit log still holds every message, in and out
        assert len(s.exec(select(MessageRow)).all()) == 12
