"""AgentEngine: free text answered by an OpenAI-compatible model calling Zyn's own commands.

Safety is structural, not a prompt: every tool is a chat command run through
`Dispatcher.execute_command`, which only ever *creates* the pending confirmation for an
order, cancel, flatten or resume. When a tool returns such a confirmation the conversation with
the model stops and the owner gets the dispatcher's confirmation itself — whatever the model
would have said. Any LLM failure (timeout, 429, connection, 5xx, 401, a malformed response)
falls back to the offline engine with a one-line note; the user never sees a stack trace and
the API key never reaches a log line or a reply.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import openai
from loguru import logger

from bot.agent.client import describe_failure, failure_fields
from bot.agent.prompt import PromptContext, build_system_prompt, default_time_context, read_preferences
from bot.agent.protocols import FreeTextEngine, KeyValueLike, ReplyFactory, make_reply, with_text
from bot.agent.tools import TOOL_SCHEMAS, ToolOutcome, run_tool
from bot.conversation.memory import ConversationMemory, Turn

MAX_ROUNDS = 4
TURN_CHARS = 1000
_ORDER_CLAIM = re.compile(
    r"\border\b[^.!?\n]{0,40}\b(placed|executed|submitted|sent)\b|"
    r"\b(placed|executed|submitted|sent)\b[^.!?\n]{0,40}\border\b|\bI(?: have|'ve)? (bought|sold)\b",
    re.IGNORECASE,
)
NO_ORDER_NOTE = "(No order was placed: orders only run after you confirm one with yes.)"


class LLMResponseError(Exception):
    """The server answered 200 but not with a usable completion."""


class AgentEngine:
    """`FreeTextEngine` over Chat Completions with tools; see the module docstring for the rules."""

    # The dispatcher hands this engine what the strict grammar cannot parse ("buy 0.001 BTC/USD
    # for me now"); its order tools still end in the same confirmation.
    takes_unparsed = True

    def __init__(
        self,
        client: Any,
        *,
        model: str,
        fallback: FreeTextEngine,
        memory: ConversationMemory | None = None,
        user_name: str = "jimmy",
        kv: KeyValueLike | None = None,
        clock: Any = None,
        tz: str = "UTC",
        time_context: Callable[[], str] | None = None,
        performance: Callable[[], str] | None = None,
        now_ms: Callable[[], int] | None = None,
        max_rounds: int = MAX_ROUNDS,
        reply_factory: ReplyFactory = make_reply,
    ) -> None:
        self._client = client
        self.model = model
        self.fallback = fallback
        self.memory = memory
        self.user_name = user_name
        self._kv = kv
        self._clock, self.tz = clock, tz
        self._time_context = time_context
        self._performance = performance
        self._now_ms = now_ms or (clock.now_ms if clock is not None else lambda: time.time_ns() // 1_000_000)
        self.max_rounds = max_rounds
        self._reply = reply_factory

    # -- the FreeTextEngine protocol ---------------------------------------------------------
    def warm(self) -> threading.Thread | None:
        """The offline fallback's classifier, loaded in the background (`zyn run`); the thread."""
        return self.fallback.warm()

    def answer(self, env: Any, text: str, dispatcher: Any) -> Any:
        """Answer one message; never raises for an LLM problem (the chat must always reply)."""
        started = time.monotonic()
        outcomes: list[ToolOutcome] = []
        log = logger.bind(channel=env.channel, user=env.user_id, model=self.model)
        try:
            reply = self._converse(env, text, dispatcher, outcomes)
            log.bind(
                tools=[o.command for o in outcomes],
                kind=str(getattr(reply, "kind", "")),
                ms=int((time.monotonic() - started) * 1000),
            ).info("agent answered")
        except (openai.OpenAIError, LLMResponseError) as exc:
            log.bind(**failure_fields(exc)).warning("agent: LLM unavailable, falling back")
            reason = "unexpected response" if isinstance(exc, LLMResponseError) else describe_failure(exc)
            reply = self._degraded(env, text, dispatcher, reason, outcomes)
        except Exception as exc:  # our own bug: log it with the trace, answer offline anyway
            log.bind(error_type=type(exc).__name__).exception("agent crashed, falling back")
            reply = self._degraded(env, text, dispatcher, "internal error", outcomes)
        self._fold_memory(env, str(getattr(dispatcher, "user_name", "") or self.user_name))
        return reply

    # -- the tool loop -------------------------------------------------------------------------
    def _converse(self, env: Any, text: str, dispatcher: Any, outcomes: list[ToolOutcome]) -> Any:
        messages = self.initial_messages(env, text, dispatcher)
        for round_no in range(self.max_rounds + 1):
            message = self._complete(messages, allow_tools=round_no < self.max_rounds)
            calls = [c for c in (getattr(message, "tool_calls", None) or []) if getattr(c, "function", None)]
            if not calls:
                return self._final_reply(message.content, outcomes)
            if round_no == self.max_rounds:  # the model ignored tool_choice="none"
                break
            messages.append(_assistant_message(message, calls))
            for call in calls:
                outcome = run_tool(call.function.name, call.function.arguments, env, dispatcher)
                outcomes.append(outcome)
                if outcome.needs_confirmation:
                    return outcome.reply  # the dispatcher's own yes/no prompt, never the model's words
                messages.append({"role": "tool", "tool_call_id": call.id, "content": outcome.content})
        return self._reply(_tool_digest(outcomes) or "Sorry — I could not finish that; please ask again.")

    def _complete(self, messages: list[dict[str, Any]], *, allow_tools: bool) -> Any:
        response = self._client.chat.completions.create(
            model=self.model,
            messages=messages,
            tools=TOOL_SCHEMAS,
            tool_choice="auto" if allow_tools else "none",
        )
        choices = getattr(response, "choices", None) or []
        if not choices or getattr(choices[0], "message", None) is None:
            raise LLMResponseError("no choices in the completion")
        return choices[0].message

    def _final_reply(self, content: str | None, outcomes: list[ToolOutcome]) -> Any:
        text = (content or "").strip() or _tool_digest(outcomes) or "Sorry — I have no answer to that."
        if _ORDER_CLAIM.search(text):
            text = f"{text}\n{NO_ORDER_NOTE}"
        return self._reply(text)

    # -- building the conversation -------------------------------------------------------------
    def initial_messages(self, env: Any, text: str, dispatcher: Any = None) -> list[dict[str, Any]]:
        """System prompt (facts + memory summary), the recent turns, then the new message.

        The name and time zone come from the dispatcher when it has them, so `set name` and
        `set tz` apply to the agent at once."""
        summary, turns = self._memory_for(env, text)
        tz = str(getattr(dispatcher, "tz", "") or self.tz)
        clock_context = default_time_context(self._clock, tz) if self._clock is not None else None
        ctx = PromptContext(
            user_name=str(getattr(dispatcher, "user_name", "") or self.user_name),
            time_context=_safe(self._time_context or clock_context, "time context"),
            preferences=read_preferences(self._kv),
            performance=_safe(self._performance, "performance"),
            memory_summary=summary,
        )
        messages: list[dict[str, Any]] = [{"role": "system", "content": build_system_prompt(ctx)}]
        messages += [{"role": t.role, "content": t.text[:TURN_CHARS]} for t in turns]
        messages.append({"role": "user", "content": text})
        return messages

    def _memory_for(self, env: Any, text: str) -> tuple[str, list[Turn]]:
        if self.memory is None:
            return "", []
        try:
            summary = self.memory.summary(env.channel, env.user_id)
            return summary, self.memory.recent_turns(env.channel, env.user_id, current_text=text)
        except Exception as exc:
            logger.bind(error_type=type(exc).__name__).warning("agent: memory unreadable")
            return "", []

    def _fold_memory(self, env: Any, user_name: str) -> None:
        if self.memory is None:
            return
        try:
            self.memory.fold(env.channel, env.user_id, user_name=user_name, now_ms=self._now_ms())
        except Exception as exc:  # memory is a nicety; the answer already exists
            logger.bind(error_type=type(exc).__name__).warning("agent: memory fold failed")

    # -- degraded mode -------------------------------------------------------------------------
    def _degraded(
        self, env: Any, text: str, dispatcher: Any, reason: str, outcomes: list[ToolOutcome]
    ) -> Any:
        """Offline answer + note; if tools already ran this turn, report them instead of
        re-running the request offline (no double `pause`, no second lookup)."""
        note = f"(LLM unavailable: {reason} — answered offline)"
        done = _tool_digest(outcomes)
        if done:
            return self._reply(f"{done}\n{note}")
        try:
            reply = self.fallback.answer(env, text, dispatcher)
        except Exception as exc:
            logger.bind(error_type=type(exc).__name__).exception("offline engine failed too")
            return self._reply(f"Sorry, I can't answer that right now.\n{note}", kind="error")
        return with_text(reply, f"{getattr(reply, 'text', '')}\n{note}".strip(), self._reply)


def _assistant_message(message: Any, calls: list[Any]) -> dict[str, Any]:
    """Echo the model's tool calls back, as the API requires before the tool results."""
    return {
        "role": "assistant",
        "content": message.content or None,
        "tool_calls": [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.function.name, "arguments": c.function.arguments},
            }
            for c in calls
        ],
    }


def _tool_digest(outcomes: list[ToolOutcome]) -> str:
    """What the tools that really ran returned — the honest answer when the model cannot speak."""
    return "\n\n".join(o.content for o in outcomes if o.reply is not None)


def _safe(source: Callable[[], str] | None, what: str) -> str:
    """A prompt fact that failed to load is left out, not fatal."""
    if source is None:
        return ""
    try:
        return str(source() or "")
    except Exception as exc:
        logger.bind(error_type=type(exc).__name__, what=what).warning("agent: prompt fact unavailable")
        return ""
