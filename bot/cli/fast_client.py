"""`zyn chat`, `zyn status` and `zyn shell` as clients of a running owner, importing only what that takes.

Why (issue 22.6): the ordinary way (`bot.cli.session.CliSession`) imports SQLAlchemy, SQLModel,
Alembic and — to be able to own the money itself — the whole composition root, 1.3-2.3 s before a
message that the running `zyn run` answers in milliseconds. When a `zyn run` owns this database
the terminal only has to find its endpoint and forward: the lease row and the published endpoint
are read here with the standard library's sqlite3 (read-only), the request goes over urllib.

Anything this path cannot settle — not SQLite, no live owner, an owner that refused the
connection (it may be restarting) — returns None and the caller takes the ordinary path, which
waits, re-reads the owner or owns the money for the command's duration. A request the owner may
have acted on (timeout, server error) is never sent twice: one line, exit 1, as the session does.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import urllib.parse
from typing import Any

from bot.owner.client import OwnerClient, OwnerUnreachable
from core.clock import RealClock
from core.messages import Envelope

DEFAULT_DATABASE_URL = "sqlite:///var/zyn.db"  # core.config's default (tests/bot/cli holds them equal)
LEASE_NAME, ENDPOINT_KEY = "main", "owner:endpoint"  # as scheduler.lock / bot.owner.ownership write them


def sqlite_path(database_url: str) -> str | None:
    """The file of a plain `sqlite:///PATH` URL (relative or absolute), else None."""
    scheme, sep, rest = database_url.partition(":///")
    if scheme != "sqlite" or not sep or not rest or "?" in rest or rest == ":memory:":
        return None
    return rest


def owner_url(database_url: str) -> str | None:
    """The endpoint the live lease holder published, read without SQLAlchemy; None when there is
    no live owner with an endpoint (or this cannot tell)."""
    path = sqlite_path(database_url)
    if path is None or not os.path.isfile(path):
        return None
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
    try:
        with sqlite3.connect(uri, uri=True, timeout=2) as conn:
            lease = conn.execute(
                "SELECT holder, expires_ms FROM scheduler_lock WHERE name = ?", (LEASE_NAME,)
            ).fetchone()
            row = conn.execute("SELECT value FROM kv WHERE key = ?", (ENDPOINT_KEY,)).fetchone()
    except sqlite3.Error:
        return None
    if lease is None or int(lease[1]) < RealClock().now_ms() or row is None:
        return None
    try:
        published = json.loads(row[0])
    except ValueError:
        return None
    if not isinstance(published, dict) or published.get("holder") != lease[0]:
        return None
    url = published.get("url")
    return url if isinstance(url, str) else None


def client_for(env: dict[str, str]) -> OwnerClient | None:
    """A client of the live owner of this database, or None (no owner with an endpoint)."""
    database_url = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    url = owner_url(database_url)
    if url is None:
        return None
    from bot.owner.ownership import read_token  # lazy: the slim terminal-client path

    return OwnerClient(url, read_token(database_url))


class ShellForwarder:
    """`zyn shell` to a running owner: each line forwarded; if the owner goes away mid-session
    (connection refused: it did nothing), the ordinary session takes over for the rest."""

    def __init__(self, client: OwnerClient, env: dict[str, str]) -> None:
        self._client, self._env = client, env
        self._session: Any = None

    @property
    def user_name(self) -> str:
        from core.config import load_settings  # lazy: the slim terminal-client path

        return load_settings(self._env).user_name

    def handle(self, env: Envelope) -> Any:
        from core.messages import Reply  # lazy: the slim terminal-client path

        if self._session is None:
            try:
                return self._client.dispatch(env)
            except OwnerUnreachable as exc:
                if not exc.retry_safe:
                    return Reply(text=f"{exc}; if this was an order, check orders before repeating it", kind="error")
            from bot.cli.session import CliSession  # lazy: the slim terminal-client path
            from core.config import load_settings  # lazy: the slim terminal-client path

            self._session = CliSession(load_settings(self._env))
        return self._session.handle(env)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def serve(args: argparse.Namespace, env: dict[str, str]) -> int | None:
    """Answer `zyn chat` / `zyn status` / `zyn shell` through the running owner; None = take the
    ordinary path."""
    client = client_for(env)
    if client is None:
        return None
    if args.command == "shell":
        from bot.cli.shell import run_shell  # lazy: the slim terminal-client path
        from core.messages import render_plain  # lazy: the slim terminal-client path

        forwarder = ShellForwarder(client, env)
        try:
            return run_shell(forwarder, render=render_plain, stdin=sys.stdin, stdout=sys.stdout)
        finally:
            forwarder.close()
    try:
        if args.command == "chat":
            from bot.cli.chat_output import print_reply  # lazy: the slim terminal-client path

            return print_reply(client.dispatch(Envelope("cli", args.user or "owner", args.message)))
        return print_status(client.status(), bool(args.json))
    except OwnerUnreachable as exc:
        if exc.retry_safe:
            return None  # the owner certainly did nothing: the ordinary path looks again
        print(f"zyn: {exc}; if this was an order, check `zyn chat orders` before repeating it", file=sys.stderr)
        return 1


def print_status(snap: dict[str, Any], as_json: bool) -> int:
    if as_json:
        sys.stdout.write(json.dumps(snap, default=str, allow_nan=False) + "\n")
    else:
        from bot.text.status_text import format_snapshot  # lazy: the slim terminal-client path

        print(format_snapshot(snap))
    return 0
