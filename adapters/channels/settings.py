"""Each channel adapter's own settings block, composed into `ChannelSettings`.

Why here and not in core/config.py: channel credentials are the adapters' business, so adding a
channel means adding a block here (and its base to `ChannelSettings`), never editing core. Every
block is a frozen dataclass with its fields and a pure `*_from_env(env)` parser (a mapping in, the
block's field values out); `ChannelSettings` inherits every block, so its flat attribute names
(`channels.telegram_token`, ...) are the ones the adapters and tests have always used. The
settings loader (`bot/settings.py`) calls `ChannelSettings.from_env` with the one environment it
read; nothing here reads the process environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _get(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def _list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


@dataclass(frozen=True)
class TelegramSettings:
    """Telegram (adapters/channels/telegram.py): bot token, API base and the allowed chats."""

    telegram_token: str = field(default="", repr=False)
    telegram_api_url: str = "https://api.telegram.org"
    telegram_allowed_chat_ids: tuple[str, ...] = ()
    # How long one getUpdates long poll waits for a message (seconds). It also bounds how long the
    # channel's stop() takes: the poller ends after the poll in flight. Not an environment variable
    # (the contract has none for it): tests build their settings with 1 (dataclasses.replace).
    telegram_poll_timeout_s: int = 10


def telegram_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    return {
        "telegram_token": _get(env, "TELEGRAM_BOT_TOKEN"),
        "telegram_api_url": (_get(env, "TELEGRAM_API_URL") or "https://api.telegram.org").rstrip("/"),
        "telegram_allowed_chat_ids": _list(_get(env, "TELEGRAM_ALLOWED_CHAT_IDS")),
    }


@dataclass(frozen=True)
class SlackSettings:
    """Slack (adapters/channels/slack.py): bot token, signing secret, API base, allowed users."""

    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_api_url: str = "https://slack.com/api/"
    slack_allowed_user_ids: tuple[str, ...] = ()


def slack_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    return {
        "slack_bot_token": _get(env, "SLACK_BOT_TOKEN"),
        "slack_signing_secret": _get(env, "SLACK_SIGNING_SECRET"),
        "slack_api_url": _get(env, "SLACK_API_URL") or "https://slack.com/api/",
        "slack_allowed_user_ids": _list(_get(env, "SLACK_ALLOWED_USER_IDS")),
    }


@dataclass(frozen=True)
class SmsSettings:
    """SMS through Twilio (adapters/channels/sms.py): account, sender, allowed numbers, alert target."""

    twilio_account_sid: str = field(default="", repr=False)
    twilio_auth_token: str = field(default="", repr=False)
    twilio_from_number: str = ""
    twilio_api_url: str = "https://api.twilio.com"
    sms_allowed_numbers: tuple[str, ...] = ()
    sms_alert_to: str = ""


def sms_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    return {
        "twilio_account_sid": _get(env, "TWILIO_ACCOUNT_SID"),
        "twilio_auth_token": _get(env, "TWILIO_AUTH_TOKEN"),
        "twilio_from_number": _get(env, "TWILIO_FROM_NUMBER"),
        "twilio_api_url": (_get(env, "TWILIO_API_URL") or "https://api.twilio.com").rstrip("/"),
        "sms_allowed_numbers": _list(_get(env, "SMS_ALLOWED_NUMBERS")),
        "sms_alert_to": _get(env, "SMS_ALERT_TO"),
    }


@dataclass(frozen=True)
class WebSettings:
    """The web chat and webhooks (adapters/channels/web_chat.py, sms.py): public URL and chat token."""

    public_url: str = ""
    web_chat_token: str = field(default="", repr=False)


def web_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    return {
        "public_url": _get(env, "ZYN_PUBLIC_URL").rstrip("/"),
        "web_chat_token": _get(env, "WEB_CHAT_TOKEN"),
    }


BLOCK_PARSERS = (telegram_from_env, slack_from_env, sms_from_env, web_from_env)


@dataclass(frozen=True)
class ChannelSettings(TelegramSettings, SlackSettings, SmsSettings, WebSettings):
    """Every channel's block in one frozen object (the shape `Settings.channels` has always had)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ChannelSettings:
        values: dict[str, Any] = {}
        for parse in BLOCK_PARSERS:
            values.update(parse(env))
        return cls(**values)
