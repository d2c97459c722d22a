"""`zyn chat`, `zyn shell`, `zyn status`, `zyn learn`: local access acts as the owner.

Each goes through `CliSession`: to the running `zyn run` when one owns the money for this
database, else this command owns it for its own duration. Problems reaching the owner are one
line on stderr and exit 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bot.cli.chat_output import print_reply
from bot.cli.ledger_mode import check_ledger_mode
from bot.cli.output import print_json
from bot.cli.preflight import check_database
from bot.cli.shell import CLI_CHANNEL, OWNER, run_shell
from bot.conversation.envelope import Envelope
from bot.conversation.envelope import render_plain as render
from bot.settings import ZynSettings
from bot.text.status_text import format_snapshot as as_text
from core.domain import UserError, ZynError


@contextmanager
def _session(settings: ZynSettings) -> Iterator[Any]:
    from bot.cli.session import CliSession  # lazy: keeps alembic, sqlalchemy, sqlmodel out of this import

    check_database(settings.database_url)  # an unreachable PostgreSQL: one line, exit 2, not 100 lines
    check_ledger_mode(settings.mode, settings.database_url)  # owning for this command: the trades' mode
    session = CliSession(settings)
    try:
        yield session
    finally:
        session.close()


def _one_line_errors(fn: Callable[[], int]) -> int:
    try:
        return fn()
    except UserError:
        raise
    except ZynError as exc:
        print(f"zyn: {exc}", file=sys.stderr)
        return 1


def cmd_chat(args: argparse.Namespace, settings: ZynSettings) -> int:
    from adapters.web.owner_api import request_mistake  # lazy: keeps flask out of this import

    mistake = request_mistake(CLI_CHANNEL, args.user or OWNER, args.message)
    if mistake is not None:  # before any database or owner is touched: nothing can have been sent
        raise UserError(mistake)

    def run() -> int:
        with _session(settings) as session:
            return print_reply(session.handle(Envelope(CLI_CHANNEL, args.user or OWNER, args.message)))

    return _one_line_errors(run)


def cmd_shell(args: argparse.Namespace, settings: ZynSettings) -> int:
    def run() -> int:
        with _session(settings) as session:
            run_shell(session, render=render_plain, stdin=sys.stdin, stdout=sys.stdout)
            return 0

    return _one_line_errors(run)


def cmd_status(args: argparse.Namespace, settings: ZynSettings) -> int:
    def run() -> int:
        with _session(settings) as session:
            snap = session.status()
            if args.json:
                print_json(snap)
            else:
                print(format_snapshot(snap))
            return 0

    return _one_line_errors(run)


def cmd_learn(args: argparse.Namespace, settings: ZynSettings) -> int:
    def run() -> int:
        with _session(settings) as session:
            changes = session.learn()
            if args.json:
                print_json(changes)
            else:
                print(learn_text(changes))
            return 0

    return _one_line_errors(run)


def learn_text(changes: dict[str, Any]) -> str:
    """`zyn learn` for people: one line per figure, each moved context on its own line (issue 22.9:
    not "moved: after_r -0.207, before_r …" run together on one line)."""
    from bot.commands.learning import learn_rows  # lazy: keeps sqlalchemy, sqlmodel out of this import

    text = changes.get("text")
    return str(text) if text else "\n".join(f"{label}: {value}" for label, value in learn_rows(changes))


def render_plain(reply: Any) -> str:
    return str(render(reply))


def format_snapshot(s: dict[str, Any]) -> str:
    return as_text(s)
