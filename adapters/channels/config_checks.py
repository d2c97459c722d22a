"""Which channels are configured, and the mistakes that must stop `zyn run` before it starts.

Why its own module: `zyn run` checks every setting before it creates anything (issue 19.8), and
these rules used to live next to the SDK code (python-telegram-bot, slack-bolt, twilio), which
takes about a second to import. Here they need only the settings block, so the start-up check
runs them first; the adapters' `*_configured` functions are these same functions.
"""

from __future__ import annotations

from adapters.channels.ports import ChannelConfigError, is_loopback
from adapters.channels.settings import ChannelSettings


def telegram_configured(channels: ChannelSettings) -> bool:
    """True when a token is set; raise when it is set without an allow-list."""
    if not channels.telegram_token:
        return False
    if not channels.telegram_allowed_chat_ids:
        raise ChannelConfigError("Telegram: TELEGRAM_BOT_TOKEN is set but TELEGRAM_ALLOWED_CHAT_IDS is empty")
    return True


def slack_configured(channels: ChannelSettings) -> bool:
    """True when Slack is fully configured; raise on a half or allow-list-less configuration."""
    token, secret = channels.slack_bot_token, channels.slack_signing_secret
    if not token and not secret:
        return False
    if not (token and secret):
        raise ChannelConfigError("Slack: set both SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET")
    if not channels.slack_allowed_user_ids:
        raise ChannelConfigError("Slack: credentials are set but SLACK_ALLOWED_USER_IDS is empty")
    return True


def sms_configured(channels: ChannelSettings) -> bool:
    """True when Twilio credentials are set; raises if they are set without an allow-list."""
    if not (channels.twilio_account_sid and channels.twilio_auth_token):
        return False
    if not channels.sms_allowed_numbers:
        raise ChannelConfigError("SMS: TWILIO_* is set but SMS_ALLOWED_NUMBERS is empty; refusing to start")
    return True


def check_bind(host: str, channels: ChannelSettings) -> None:
    """Refuse to serve the chat on a non-loopback address without WEB_CHAT_TOKEN."""
    if not is_loopback(host) and not channels.web_chat_token:
        raise ChannelConfigError(f"refusing to bind the web chat to {host}: set WEB_CHAT_TOKEN or bind to 127.0.0.1")


def check_channels(host: str, channels: ChannelSettings) -> None:
    """Every channel rule at once (UserError on the first), before anything is built."""
    check_bind(host, channels)
    telegram_configured(channels)
    slack_configured(channels)
    sms_configured(channels)
