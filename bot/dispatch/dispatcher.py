"""The one dispatch path every channel uses: authorize -> hygiene -> confirm -> parse -> handler.

Why here and only here: allow-lists, confirmations, the audit trail (every message in and out as a
MessageRow) and error containment are decided once, so no channel can forget one. A handler
never raises to a channel: user mistakes come back as one line, anything unexpected as
"Something went wrong on my side (logged as error #N)" with the traceback in the log and an
ErrorRow. Strangers get one line, nothing runs, and a SafetyEventRow records them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Set
from dataclasses import replace
from typing import Protocol

from loguru import logger
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from bot.alerts.notifier import error_event
from bot.commands.context import CommandContext
from bot.commands.prefs import PREF_TZ, PREF_USER_NAME
from bot.commands.registry import HANDLERS
from bot.commands.trading import execute_pending
from bot.conversation.audit_log import AuditLog, AuditSink
from bot.conversation.confirmations import Confirmations, Pending
from bot.conversation.envelope import Envelope, Reply, render_plain
from bot.conversation.parser import drops_pending, is_no, is_yes, parse
from bot.conversation.services import Services
from core.domain import ExchangeError, ExchangeUnavailable, UserError
from core.ports import Clock, Notifier
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import ErrorRow, SafetyEventRow
from core.telemetry.storage_health import is_storage_fault

MAX_MESSAGE_BYTES = 4096
STORED_TEXT_CHARS = 4096
TRUSTED_CHANNELS = frozenset({"cli"})
ANYONE = "*"
STORAGE_FAILING = (
    "My storage is failing (database unreachable, disk full or read-only?), so nothing new was done; "
    "stops stay on the exchange."
)
REFUSAL = "Sorry, this is a private assistant and you are not on its allow-list."
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")


class FreeTextEngine(Protocol):
    """Answers what is not a command (offline engine by default, the LLM agent when configured).

    `takes_unparsed`: the engine also gets what the strict grammar cannot parse (the LLM agent).
    `warm()`: prepare in the background what the first answer would wait for (`zyn run`)."""

    @property
    def takes_unparsed(self) -> bool: ...

    def warm(self) -> threading.Thread | None: ...

    def answer(self, env: Envelope, text: str, dispatcher: Dispatcher) -> Reply: ...


def check_hygiene(text: str) -> str | None:
    """One line saying why a message cannot be read, or None. Cheap on 100 kB inputs."""
    if len(text) > MAX_MESSAGE_BYTES or len(text.encode("utf-8", "replace")) > MAX_MESSAGE_BYTES:
        return f"That message is too long ({len(text) // 1024 or 1} kB+); the limit is 4 kB."
    if _BAD_CHARS.search(text):
        return "That message contains binary or control characters; please send plain text."
    if not text.strip():
        return "I got an empty message. Send help to see what I can do."
    return None


# commands that read the stored conversation: the journal's queued rows are stored first
READS_CONVERSATION = frozenset({"memory", "forget"})
# Read-only account queries get their "command" log line at DEBUG, not INFO (issue 20.1): the line
# cost ~0.1 ms of CPU per request through `zyn run`'s JSON log sink (a third of a `status` dispatch),
# and at 200 status requests a second it would fill the 10 MB x 5 rotated log in minutes, rotating
# the decisions, orders and errors away. Nothing is lost: every message in and out is in the audit
# log (`conversations`), and every command that changes something keeps its INFO line.
QUERIES = frozenset({"status", "balance", "positions", "orders", "pnl", "trades", "report", "chart"})


class Dispatcher:
    def __init__(
        self,
        services: Services,
        kv: KeyValueStore,
        db_engine: Engine,
        clock: Clock,
        allow_lists: Mapping[str, Set[str]],
        user_name: str,
        free_text: FreeTextEngine,
        notifier: Notifier | None = None,
        *,
        tz: str = "UTC",
        confirm_clock: Clock | None = None,
        audit: AuditSink | None = None,
    ) -> None:
        """`allow_lists`: channel -> allowed user ids ("*" = anyone the channel let through, e.g.
        the web chat on loopback or behind WEB_CHAT_TOKEN). "cli" is always the owner; a channel
        without an entry refuses everyone. `confirm_clock` times the 2-minute window for `yes`
        (default `clock`); a person answers in wall-clock time even when `clock` replays."""
        self.services, self.kv, self.db, self.clock = services, kv, db_engine, clock
        self.allow_lists = {ch: frozenset(users) for ch, users in allow_lists.items()}
        self.free_text, self.notifier = free_text, notifier
        self._user_name, self._tz = user_name, tz
        self.confirmations = Confirmations(kv, db_engine, confirm_clock or clock)
        # One writer at a time for the audit log (concurrent SQLite writers otherwise meet in
        # SQLite's busy-wait, which backs off in steps of up to 100 ms), committing in groups.
        # `audit`: the write-ahead journal (issue 20.1, built by the composition root) or else this.
        self._audit: AuditSink = audit if audit is not None else AuditLog(db_engine)

    @property
    def user_name(self) -> str:
        return self.kv.get(PREF_USER_NAME) or self._user_name

    @property
    def tz(self) -> str:
        return self.kv.get(PREF_TZ) or self._tz

    def close(self) -> None:
        """Store every message still queued (the write-ahead journal's writer)."""
        self._audit.close()

    def is_allowed(self, channel: str, user_id: str) -> bool:
        if channel in TRUSTED_CHANNELS:
            return True
        allowed = self.allow_lists.get(channel, frozenset())
        return ANYONE in allowed or (bool(user_id) and user_id in allowed)

    def handle(self, env: Envelope) -> Reply:
        """Answer one message from any channel. Never raises for anything a user can send.
        The held settings are checked for another process's change once per message (issue 20.1)."""
        with self.kv.request():
            self._store(env, "in", env.text)
            if not self.is_allowed(env.channel, env.user_id):
                reply = self._refuse(env)
            else:
                reply = self._guarded(env, lambda: self._route(env))
            self._store(env, "out", render_plain(reply))
        return reply

    def execute_command(self, env: Envelope, command_text: str) -> Reply:
        """Run a chat command as if the user typed it (the LLM agent's tools). Money actions still
        only create the pending confirmation, and `yes`/`no` are refused: only a human confirms."""
        if not self.is_allowed(env.channel, env.user_id):
            return self._refuse(env)
        problem = check_hygiene(command_text)
        if problem is not None:
            return Reply(text=problem, kind="error")
        if is_yes(command_text) or is_no(command_text):
            return Reply(
                text=f"Only {self.user_name} can confirm or drop an action, by typing yes or no.",
                kind="error",
            )
        return self._guarded(env, lambda: self._run(env, command_text, free_text=False))

    # ---- the steps ----------------------------------------------------------------------------

    def _route(self, env: Envelope) -> Reply:
        """A pending confirmation is resolved only by `yes`, `no` or expiry: any other message is
        answered normally and the owner is reminded that the action still waits."""
        text = env.text
        problem = check_hygiene(text)
        pending = self.confirmations.peek(env)
        if pending is not None and self.confirmations.is_expired(pending):
            self.confirmations.discard(env)
            if problem is None and is_yes(text):
                return self._confirm_expired(env, pending)
            pending = None
        if problem is not None:
            return Reply(text=problem, kind="error")
        if is_yes(text):
            return self._confirm(env) if pending is not None else Reply(text="There is nothing waiting for a yes.")
        if is_no(text) or (pending is not None and drops_pending(text)):  # "nvm, cancel that"
            if pending is None or self.confirmations.discard(env) is None:
                return Reply(text="There is nothing to drop.")
            return Reply(text=f"Dropped the pending {pending.summary}; nothing was done.")
        reply = self._run(env, text, free_text=True)
        if pending is None:
            return reply
        if reply.kind == "confirm":
            return _with_note(f"Replaced the pending {pending.summary}.", reply)
        if self.confirmations.peek(env) != pending:
            return reply
        return replace(
            reply, text=f"{reply.text}\n(Still waiting for yes or no on: {pending.summary}.)".lstrip()
        )

    def _confirm_expired(self, env: Envelope, pending: Pending) -> Reply:
        logger.bind(channel=env.channel, user=env.user_id, action=pending.action).info("confirmation expired")
        minutes = self.confirmations.window_ms // 60_000
        return Reply(text=f"That confirmation expired after {minutes} minutes; nothing was done. Send it again.")

    def _confirm(self, env: Envelope) -> Reply:
        pending = self.confirmations.claim(env)
        if pending is None:
            return Reply(text="There is nothing waiting for a yes.")
        log = logger.bind(channel=env.channel, user=env.user_id, action=pending.action)
        if self.confirmations.is_expired(pending):
            log.info("confirmation expired")
            minutes = self.confirmations.window_ms // 60_000
            return Reply(
                text=f"That confirmation expired after {minutes} minutes; nothing was done. Send it again."
            )
        log.info("confirmed; running")
        return execute_pending(self._context(env), pending)

    def _run(self, env: Envelope, text: str, *, free_text: bool) -> Reply:
        try:
            cmd = parse(text)
        except UserError:
            if free_text and self.free_text.takes_unparsed:  # the LLM agent
                logger.bind(channel=env.channel).info("unparsed command handed to the agent")
                self._audit.flush()  # the agent reads the conversation back
                return self.free_text.answer(env, text, self)
            raise
        if cmd is None:
            if not free_text:
                return Reply(
                    text=f"{text.split()[0][:30]!r} is not a command; send help for the list.", kind="error"
                )
            self._audit.flush()  # the free-text engine may read the conversation back
            return self.free_text.answer(env, text, self)
        if cmd.name in READS_CONVERSATION:
            self._audit.flush()
        handler = HANDLERS.get(cmd.name)
        if handler is None:  # yes/no reach here only through execute_command, which refuses them
            return Reply(text="There is nothing waiting for a yes.")
        level = "DEBUG" if cmd.name in QUERIES else "INFO"
        logger.bind(channel=env.channel, user=env.user_id, command=cmd.name).log(level, "command")
        return handler(self._context(env), cmd)

    def _context(self, env: Envelope) -> CommandContext:
        return CommandContext(
            env=env,
            services=self.services,
            kv=self.kv,
            db=self.db,
            clock=self.clock,
            user_name=self.user_name,
            tz=self.tz,
            confirmations=self.confirmations,
        )

    def _guarded(self, env: Envelope, step: Callable[[], Reply]) -> Reply:
        try:
            return step()
        except UserError as exc:
            return Reply(text=_one_line(str(exc)), kind="error")
        except ExchangeUnavailable as exc:
            self._record_error(env, "transient", exc)
            return Reply(
                text="The exchange is not reachable right now; nothing was done. Try again in a minute.",
                kind="error",
            )
        except ExchangeError as exc:
            self._record_error(env, "user", exc)
            return Reply(text=_one_line(f"The exchange refused: {exc}"), kind="error")
        except Exception as exc:  # the promise: never a traceback to a user
            if _storage_fault(exc):  # not a bug: the disk (full, read-only); the owner is alerted once
                line = _one_line(str(exc))[:200]
                logger.bind(channel=env.channel, user=env.user_id).error("storage failed: {}", line)
                return Reply(text=STORAGE_FAILING, kind="error")
            logger.bind(channel=env.channel, user=env.user_id).exception("handler failed")
            error_id = self._record_error(env, "fatal", exc)
            self._alert(f"chat on {env.channel}", f"error #{error_id}: {type(exc).__name__}: {exc}")
            return Reply(text=f"Something went wrong on my side (logged as error #{error_id}).", kind="error")

    def _alert(self, where: str, message: str) -> None:
        """Tell the owner about a bug everywhere (`notify` only queues; it never blocks the reply)."""
        if self.notifier is None:
            return
        try:
            self.notifier.notify(error_event(where, message))
        except Exception:
            logger.exception("could not queue the error alert")

    def _refuse(self, env: Envelope) -> Reply:
        logger.bind(channel=env.channel, user=env.user_id).warning("stranger refused")
        try:
            with Session(self.db) as s:
                s.add(
                    SafetyEventRow(
                        ts_ms=self.clock.now_ms(),
                        kind="stranger",
                        channel=env.channel,
                        user_id=env.user_id[:200],
                        detail=_printable(env.text[:200]),
                    )
                )
                s.commit()
        except Exception:
            logger.exception("could not store the stranger event")
        return Reply(text=REFUSAL, kind="refusal")

    # ---- storage ------------------------------------------------------------------------------

    def _store(self, env: Envelope, direction: str, text: str) -> None:
        stored = (
            text if len(text) <= STORED_TEXT_CHARS else text[:STORED_TEXT_CHARS] + f"…[{len(text)} chars]"
        )
        try:
            self._audit.write({
                "ts_ms": self.clock.now_ms(), "channel": env.channel, "user_id": env.user_id[:200],
                "direction": direction, "text": _printable(stored),
            })
        except Exception as exc:  # the audit log failing must not cost the owner his answer
            if _storage_fault(exc):  # the database is gone or full: one line (health shows it)
                logger.bind(channel=env.channel).error("could not store message: {}", _one_line(str(exc))[:200])
            else:
                logger.bind(channel=env.channel).exception("could not store message")

    def _record_error(self, env: Envelope, kind: str, exc: BaseException) -> int | str:
        try:
            with Session(self.db) as s:
                row = ErrorRow(
                    ts_ms=self.clock.now_ms(),
                    where=f"dispatcher:{env.channel}",
                    kind=kind,
                    message=f"{type(exc).__name__}: {exc}"[:1000],
                )
                s.add(row)
                s.commit()
                s.refresh(row)
                return row.id if row.id is not None else "?"
        except Exception:
            logger.exception("could not store error row")
            return "?"


def _with_note(note: str, reply: Reply) -> Reply:
    return replace(reply, text=f"{note}\n{reply.text}") if note else reply


def _one_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "That did not work."
    line = line[:1].upper() + line[1:]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _printable(text: str) -> str:
    return _BAD_CHARS.sub("?", text)


def _storage_fault(exc: BaseException) -> bool:
    """A database error that means the storage itself fails (see core.telemetry.storage_health)."""
    return isinstance(exc, DBAPIError) and is_storage_fault(exc.orig, bool(exc.connection_invalidated))
