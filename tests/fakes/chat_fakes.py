"""In-memory fakes of the conversation ports the LLM agent talks to (dispatcher, offline engine).

The fake dispatcher behaves like the pinned `Dispatcher.execute_command`: orders, cancel,
flatten and resume only create a pending confirmation; `executed` grows only when `yes` is
handled — so a test can prove the agent never placed anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CONFIRM_VERBS = ("buy", "sell", "cancel", "flatten", "resume")


@dataclass(frozen=True)
class FakeEnvelope:
    channel: str = "cli"
    user_id: str = "jimmy"
    text: str = ""


@dataclass(frozen=True)
class FakeReply:
    text: str
    kind: str = "text"
    title: str = ""
    rows: list[Any] = field(default_factory=list)
    buttons: list[str] = field(default_factory=list)
    image_png: bytes | None = None


@dataclass
class FakeDispatcher:
    """Records every command; answers from `canned` (command -> Reply) or with an echo."""

    canned: dict[str, Any] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    pending: str | None = None
    executed: list[str] = field(default_factory=list)
    raise_on: str | None = None

    def execute_command(self, env: Any, command_text: str) -> Any:
        self.commands.append(command_text)
        if self.raise_on is not None and command_text.startswith(self.raise_on):
            raise RuntimeError("handler bug")
        if command_text in self.canned:
            return self.canned[command_text]
        if command_text.split()[0] in CONFIRM_VERBS:
            self.pending = command_text
            return FakeReply(
                f"{command_text} — reply yes to confirm or no to cancel.",
                kind="confirm",
                title="Confirm",
                buttons=["yes", "no"],
            )
        return FakeReply(f"[{command_text}] ok")

    def handle(self, env: Any) -> Any:
        """Only an explicit `yes` from the user executes what is pending."""
        if env.text.strip().lower() == "yes" and self.pending:
            self.executed.append(self.pending)
            self.pending = None
            return FakeReply("done")
        return FakeReply("nothing pending")


@dataclass
class FakeOfflineEngine:
    calls: list[str] = field(default_factory=list)
    fail: bool = False

    takes_unparsed = False

    def warm(self) -> None:
        """Nothing to load."""

    def answer(self, env: Any, text: str, dispatcher: Any) -> Any:
        self.calls.append(text)
        if self.fail:
            raise RuntimeError("offline engine broken")
        return FakeReply(f"offline answer to: {text}")
