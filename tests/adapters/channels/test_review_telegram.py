"""Review regression: a rejected bot token is reported without the token itself."""

from __future__ import annotations

import pytest

from adapters.channels.ports import ChannelConfigError
from adapters.channels.settings import ChannelSettings
from adapters.channels.telegram import TelegramChannel, redact
from tests.adapters.channels.conftest import without
from tests.fakes.chat_backend import FakeZyn


def test_rejected_token_is_not_in_the_error(channels: ChannelSettings, zyn: FakeZyn) -> None:
    token = "999:AAH-very-secret-part"  # noqa: S105 - test value
    channel = TelegramChannel(without(channels, telegram_token=token), zyn.dispatcher, poll_timeout_s=1)
    with pytest.raises(ChannelConfigError, match="InvalidToken") as info:
        channel.start()
    assert token not in str(info.value) and "very-secret-part" not in str(info.value)
    assert "<TELEGRAM_BOT_TOKEN>" in str(info.value)


def test_redact() -> None:
    assert redact("token `123:abcdefgh` at /bot123:abcdefgh/getMe", "123:abcdefgh") == (
        "token `<TELEGRAM_BOT_TOKEN>` at /bot<TELEGRAM_BOT_TOKEN>/getMe"
    )
    assert redact("nothing here", "") == "nothing here"
