"""`zyn chat` and `zyn shell`: the owner talking to the same dispatcher from a terminal.

Why the "cli" channel and the "owner" user: local access is trusted (contract), and a fixed
identity means a pending confirmation created by one `zyn chat "buy ..."` process is found by
the next `zyn chat "yes"` process (it lives in the database, keyed by channel and user).
Streams and the renderer are injectable so the loop is testable without a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Protocol, TextIO

from bot.conversation.envelope import Envelope, Reply, render_plain


class Dispatcher(Protocol):
    """The dispatcher, or a session that forwards to the process owning the money."""

    @property
    def user_name(self) -> str: ...

    def handle(self, env: Envelope) -> Reply: ...


CLI_CHANNEL = "cli"
OWNER = "owner"
PROMPT = "zyn> "
EXIT_WORDS = frozenset({"exit", "quit", ":q", "bye"})


def render_for_terminal(reply: Reply) -> str:
    """Plain text, plus a note when the reply carries a chart the terminal cannot show."""
    text = render_plain(reply)
    if reply.image_png:
        text += f"\n(chart attached: {len(reply.image_png)} bytes PNG; open the status page to see it)"
    return text


def chat_once(dispatcher: Dispatcher, message: str, user_id: str = OWNER) -> Reply:
    """One message through the dispatcher (`zyn chat "MESSAGE" [--user ID]`)."""
    return dispatcher.handle(Envelope(CLI_CHANNEL, user_id or OWNER, message))


def chat_exit_code(reply: Reply) -> int:
    """0 for an answer, 2 when the message was refused as bad input (contract: 2 = bad input)."""
    return 2 if reply.kind in ("error", "refusal") else 0


def run_shell(
    dispatcher: Dispatcher,
    *,
    render: Callable[[Reply], str] = render_for_terminal,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    user_id: str = OWNER,
) -> int:
    """The REPL: read a line, print the reply, until exit/quit, EOF or Ctrl-C. Returns 0.

    The prompt is shown only on a terminal, so piped input (`echo status | zyn shell`) prints
    replies only."""
    src, out = stdin or sys.stdin, stdout or sys.stdout
    interactive = src.isatty()
    if interactive:
        out.write(f"Zyn shell: talking as {dispatcher.user_name}. Type help, or exit to leave.\n")
    while True:
        if interactive:
            out.write(PROMPT)
            out.flush()
        try:
            line = src.readline()
        except KeyboardInterrupt:
            line = ""
        if not line or line.strip().lower() in EXIT_WORDS:
            if interactive:
                out.write("\n")
            return 0
        if line.strip():
            out.write(render(chat_once(dispatcher, line.rstrip("\n"), user_id)) + "\n")
            out.flush()
