"""Telegram through the real python-telegram-bot Application against the loopback Bot API fake."""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Iterator

import pytest
from loguru import logger as log

from adapters.channels.ports import ChannelConfigError
from adapters.channels.settings import ChannelSettings
from adapters.channels.telegram import TelegramChannel, command_text, make_channel
from tests.adapters.channels.conftest import OWNER_CHAT, STRANGER_CHAT, without
from tests.fakes.chat_backend import FakeZyn
from tests.fakes.loopback_http import Call
from tests.fakes.telegram_api import FakeTelegramAPI


@pytest.fixture
def bot(channels: ChannelSettings, zyn: FakeZyn) -> Iterator[TelegramChannel]:
    channel = TelegramChannel(channels, zyn.dispatcher, poll_timeout_s=1)
    channel.start()
    yield channel
    channel.stop()


def to_chat(chat_id: int, text: str = "") -> Callable[[Call], bool]:
    return lambda c: c.params.get("chat_id") == str(chat_id) and text in str(c.params.get("text", ""))


def test_polling_sequence_and_clean_stop(
    channels: ChannelSettings, zyn: FakeZyn, telegram_api: FakeTelegramAPI
) -> None:
    channel = TelegramChannel(channels, zyn.dispatcher, poll_timeout_s=1)
    channel.start()
    assert channel.running
    telegram_api.wait_for("/getUpdates")
    channel.stop()
    assert not channel.running
    methods = [c.path.rsplit("/", 1)[-1] for c in telegram_api.calls]
    assert methods[:2] == ["getMe", "deleteWebhook"]
    assert "getUpdates" in methods
    assert not [t for t in threading.enumerate() if t.name == "zyn-telegram"]
    channel.stop()  # idempotent


def test_a_send_still_on_the_loop_when_the_channel_stops_fails_at_once(
    channels: ChannelSettings, zyn: FakeZyn, telegram_api: FakeTelegramAPI
) -> None:
    """An alert handed to the poller's loop as the channel stops used to wait out its whole 30 s
    timeout (every `zyn` stop with an alert in flight, and two suite teardowns, paid it)."""
    import asyncio

    channel = TelegramChannel(channels, zyn.dispatcher, poll_timeout_s=1)
    channel.start()
    telegram_api.wait_for("/getUpdates")

    async def never_answers() -> None:
        await asyncio.Event().wait()

    in_flight = channel._submit(never_answers())  # what send() hands the loop
    channel.stop()
    assert not channel.running
    with pytest.raises((RuntimeError, concurrent.futures.CancelledError)):
        in_flight.result(timeout=1)  # failed when the loop ended, not after a timeout


def test_buy_confirm_button_yes_runs_once(
    bot: TelegramChannel, zyn: FakeZyn, telegram_api: FakeTelegramAPI
) -> None:
    telegram_api.push_message(OWNER_CHAT, "/buy 0.01 btc")
    confirm = telegram_api.wait_for("/sendMessage", to_chat(OWNER_CHAT, "Confirm order"))[0]
    markup = confirm.params["reply_markup"]
    assert '"callback_data": "yes"' in markup and '"callback_data": "no"' in markup
    assert confirm.params["parse_mode"] == "HTML"
    assert zyn.dispatcher.actions == []  # nothing runs before yes

    message_id = telegram_api.find_message(OWNER_CHAT, "Confirm order")
    qid = telegram_api.push_callback(OWNER_CHAT, message_id, "yes")

    telegram_api.wait_for("/answerCallbackQuery", lambda c: c.params["callback_query_id"] == qid)
    telegram_api.wait_for("/editMessageText", lambda c: "Filled" in c.params["text"])
    edited = telegram_api.message(OWNER_CHAT, message_id)
    assert "Filled: buy 0.01 btc" in edited["text"] and "reply_markup" not in edited
    assert zyn.dispatcher.actions == [("telegram", str(OWNER_CHAT), "buy 0.01 btc")]


def test_no_button_cancels(bot: TelegramChannel, zyn: FakeZyn, telegram_api: FakeTelegramAPI) -> None:
    telegram_api.push_message(OWNER_CHAT, "buy 0.5 eth")
    telegram_api.wait_for("/sendMessage", to_chat(OWNER_CHAT, "Confirm"))
    telegram_api.push_callback(OWNER_CHAT, telegram_api.find_message(OWNER_CHAT, "Confirm"), "no")
    telegram_api.wait_for("/editMessageText", lambda c: "Cancelled" in c.params["text"])
    assert zyn.dispatcher.actions == []


def test_stranger_is_refused_and_nothing_runs(
    bot: TelegramChannel, zyn: FakeZyn, telegram_api: FakeTelegramAPI
) -> None:
    telegram_api.push_message(STRANGER_CHAT, "buy 1 btc")
    reply = telegram_api.wait_for("/sendMessage", to_chat(STRANGER_CHAT))[0]
    assert "only talk to my owner" in reply.params["text"]
    assert "reply_markup" not in reply.params
    telegram_api.push_message(STRANGER_CHAT, "yes")
    telegram_api.wait_for("/sendMessage", to_chat(STRANGER_CHAT), count=2)
    assert zyn.dispatcher.actions == []


def test_status_table_and_chart_photo(bot: TelegramChannel, telegram_api: FakeTelegramAPI) -> None:
    telegram_api.push_message(OWNER_CHAT, "/status@zyn_test_bot")
    status = telegram_api.wait_for("/sendMessage", to_chat(OWNER_CHAT, "Status"))[0]
    assert "<b>BTC/USD</b>: 0.01 @ 61000" in status.params["text"]  # label/value lines, no cut cells
    telegram_api.push_message(OWNER_CHAT, "chart")
    photo = telegram_api.wait_for("/sendPhoto")[0]
    assert photo.files["photo"].startswith(b"\x89PNG")
    assert photo.params["chat_id"] == str(OWNER_CHAT)


def test_html_is_escaped(bot: TelegramChannel, telegram_api: FakeTelegramAPI) -> None:
    telegram_api.push_message(OWNER_CHAT, "<b>what & why</b>")
    # the fake rejects malformed HTML with 400 like Telegram; reaching it parsed means escaped
    reply = telegram_api.wait_for("/sendMessage", to_chat(OWNER_CHAT, "&lt;b&gt;what &amp; why"))[0]
    assert reply.params["parse_mode"] == "HTML"
    assert len(telegram_api.wait_for("/sendMessage")) == 1


def test_send_notifies_every_allowed_chat_from_other_threads(
    channels: ChannelSettings, zyn: FakeZyn, telegram_api: FakeTelegramAPI
) -> None:
    two = without(channels, telegram_allowed_chat_ids=(str(OWNER_CHAT), "777"))
    channel = TelegramChannel(two, zyn.dispatcher, poll_timeout_s=1)
    channel.start()
    try:
        results: list[int] = []
        threads = [
            threading.Thread(target=lambda i=i: results.append(channel.send(f"alert {i}"))) for i in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert results == [2, 2, 2, 2]
        assert channel.send("equity", image_png=b"\x89PNG fake") == 2
    finally:
        channel.stop()
    texts = [(c.params["chat_id"], c.params["text"]) for c in telegram_api.calls_to("/sendMessage")]
    assert {t for _, t in texts} == {f"alert {i}" for i in range(4)} | {"equity"}
    assert {cid for cid, _ in texts} == {str(OWNER_CHAT), "777"}
    assert len(telegram_api.calls_to("/sendPhoto")) == 2


def test_send_retries_once_after_429(bot: TelegramChannel, telegram_api: FakeTelegramAPI) -> None:
    telegram_api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    assert bot.send("fill: bought 0.01 BTC") == 1
    ok = [c for c in telegram_api.calls_to("/sendMessage") if c.params.get("text") == "fill: bought 0.01 BTC"]
    assert len(ok) == 2  # the refused one and the retry


def test_bad_token_fails_start_clearly(channels: ChannelSettings, zyn: FakeZyn) -> None:
    channel = TelegramChannel(without(channels, telegram_token="999:wrong"), zyn.dispatcher, poll_timeout_s=1)
    with pytest.raises(ChannelConfigError, match="InvalidToken"):
        channel.start()
    assert not channel.running


def test_configuration_rules(channels: ChannelSettings, zyn: FakeZyn) -> None:
    with pytest.raises(ChannelConfigError, match="ALLOWED_CHAT_IDS"):
        TelegramChannel(without(channels, telegram_allowed_chat_ids=()), zyn.dispatcher)
    zyn.settings = zyn.settings.__class__(channels=without(channels, telegram_token=""))
    assert make_channel(zyn) is None
    with pytest.raises(RuntimeError, match="not running"):
        TelegramChannel(channels, zyn.dispatcher).send("x")


def test_command_text() -> None:
    assert command_text("/status@zyn_bot week") == "/status week"
    assert command_text("  buy 1 btc ") == "buy 1 btc"


def test_malformed_update_is_skipped_once_and_polling_goes_on(
    bot: TelegramChannel, zyn: FakeZyn, telegram_api: FakeTelegramAPI
) -> None:
    lines: list[str] = []
    sink = log.add(lambda m: lines.append(str(m)), level="DEBUG", format="{level} {message}")
    try:
        bad = telegram_api.push_raw({"message": {"message_id": 1}})  # no chat, no date
        telegram_api.push_message(OWNER_CHAT, "/status")
        telegram_api.wait_for("/sendMessage", to_chat(OWNER_CHAT, "Status"))
        telegram_api.wait_for("/getUpdates", lambda c: int(c.params.get("offset") or 0) > bad)
    finally:
        log.remove(sink)
    assert telegram_api.offsets.count(bad) <= 1  # asked for once at most, then confirmed
    skipped = [ln for ln in lines if "malformed update" in ln]
    assert len(skipped) == 1 and str(bad) in skipped[0]
    assert not [ln for ln in lines if "Traceback" in ln]
