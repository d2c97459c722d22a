"""The safety rule of issue 22.8, proven over the held-out safe sentences (written by someone who
had not read the training set; bot/conversation/phrases/safe_sentences.txt, >= 200 lines): none of
them makes Zyn suggest or prepare buy, sell, flatten, cancel or close — through the real
dispatcher, offline engine and classifier (fake services: nothing could trade anyway)."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.conversation.envelope import Envelope, Reply
from bot.conversation.intents import PHRASES_DIR
from bot.dispatch.dispatcher import Dispatcher
from tests.fakes.services import FakeTrading

SAFE = [line.strip() for line in (PHRASES_DIR / "safe_sentences.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")]
MONEY_TEXT = re.compile(r"(`|usage:|send |e\.g\. |did you mean |command: |try: )\s*(buy|sell|flatten|cancel|close)\b",
                        re.I)
MONEY_BUTTON = re.compile(r"^(buy|sell|flatten|cancel|close)\b", re.I)


def suggestion(reply: Reply) -> str:
    """What in a reply suggests or prepares a money command ('' = nothing)."""
    if reply.kind == "confirm":
        return "a confirmation"
    if any(MONEY_BUTTON.match(b) for b in reply.buttons):
        return f"buttons {reply.buttons}"
    match = MONEY_TEXT.search(reply.text)
    return f"text {match.group(0)!r}" if match else ""


def test_no_safe_sentence_gets_a_money_suggestion(
    make_dispatcher: Callable[[], Dispatcher], trading: FakeTrading
) -> None:
    assert len(SAFE) >= 200
    dispatcher = make_dispatcher()
    flagged = []
    for i, text in enumerate(SAFE):
        user = f"owner{i}"  # web allows anyone: a fresh conversation per sentence, no pending state shared
        env = Envelope("web", user, text)
        reply = dispatcher.handle(env)
        why = suggestion(reply)
        if dispatcher.confirmations.peek(env) is not None:
            why = why or "a pending confirmation"
        if why:
            flagged.append(f"{text!r}: {why}")
    assert flagged == []
    assert trading.calls == []  # and nothing reached the trading service


def test_the_detector_sees_a_money_suggestion() -> None:
    """The check above is not vacuous: the replies it must catch are caught."""
    assert suggestion(Reply(text="Did you mean `flatten`? Send it as a command if so.", buttons=["flatten"]))
    assert suggestion(Reply(text="usage: sell AMOUNT PAIR, e.g. sell 0.01 BTC", kind="error"))
    assert suggestion(Reply(text="Buy 0.01 BTC/USD ...", kind="confirm"))
    assert not suggestion(Reply(text="Crypto trades around the clock, every day."))
