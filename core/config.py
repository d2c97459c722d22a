"""Settings: parsed once by the composition root from the environment (and `.env`).

Parsing is pure (a mapping in, a frozen object out) so it can be tested without touching the
process environment. A malformed value raises `UserError` naming the variable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.domain import UserError
from core.markets.pairs import normalize_pair
from core.markets.timeframes import timeframe_seconds
from core.strategy.module_settings import ModuleSettings, load_module_settings
from core.strategy.port import DEFAULT_STRATEGY, STRATEGIES

MODES = ("paper", "validate", "live")
FEEDS = ("auto", "live", "replay")
# issue 21: Kraken's documented rate tiers and WebSocket v2 endpoints
KRAKEN_TIERS = ("starter", "intermediate", "pro")
KRAKEN_API_DEFAULT = "https://api.kraken.com"
KRAKEN_WS_DEFAULT = "wss://ws.kraken.com/v2"
KRAKEN_WS_AUTH_DEFAULT = "wss://ws-auth.kraken.com/v2"


@dataclass(frozen=True)
class ChannelSettings:
    telegram_token: str = field(default="", repr=False)
    telegram_api_url: str = "https://api.telegram.org"
    telegram_allowed_chat_ids: tuple[str, ...] = ()
    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_api_url: str = "https://slack.com/api/"
    slack_allowed_user_ids: tuple[str, ...] = ()
    twilio_account_sid: str = field(default="", repr=False)
    twilio_auth_token: str = field(default="", repr=False)
    twilio_from_number: str = ""
    twilio_api_url: str = "https://api.twilio.com"
    sms_allowed_numbers: tuple[str, ...] = ()
    sms_alert_to: str = ""
    public_url: str = ""
    web_chat_token: str = field(default="", repr=False)


@dataclass(frozen=True)
class Settings:
    mode: str = "paper"
    live_confirm: bool = False
    database_url: str = field(default="sqlite:///var/zyn.db", repr=False)
    kraken_api_key: str = field(default="", repr=False)
    kraken_api_secret: str = field(default="", repr=False)
    kraken_api_url: str = "https://api.kraken.com"
    paper_feed: str = "auto"
    paper_data: str = ""
    learn_data: str = ""  # ZYN_LEARN_DATA: folders (comma list) the learning switch's walk-forward adds
    pairs: tuple[str, ...] = ("BTC/USD", "ETH/USD")
    timeframe: str = "4h"
    strategy: str = "sma20_atr"  # a name registered in core/strategy/port.py (ZYN_STRATEGY)
    paper_speed: float = 60.0
    paper_balance_usd: float = 10_000.0
    openai_api_key: str = field(default="", repr=False)
    openai_base_url: str = ""
    openai_model: str = "gpt-4o"
    user_name: str = "jimmy"
    tz: str = "UTC"
    owner_lease_s: float = 30.0
    # issue 21: Kraken as it really is (rate tier, WebSocket v2 endpoints)
    kraken_tier: str = "starter"  # KRAKEN_TIER
    kraken_ws_url: str = KRAKEN_WS_DEFAULT  # KRAKEN_WS_URL (derived from KRAKEN_API_URL when only that is set)
    kraken_ws_auth_url: str = KRAKEN_WS_AUTH_DEFAULT  # KRAKEN_WS_AUTH_URL
    channels: ChannelSettings = field(default_factory=ChannelSettings)
    modules: ModuleSettings = field(default_factory=ModuleSettings)
    # issue 17 point 3 (candle store): the start-up backfill (`zyn run`) from Kraken's OHLC and Trades
    backfill: bool = True  # ZYN_BACKFILL=on|off
    history_days: float = 365.0  # ZYN_HISTORY_DAYS: how far back the Trades tape is read (0: OHLC only)

    def redacted(self) -> dict[str, str]:
        """What may be logged: secrets are replaced by whether they are set."""
        secret_names = ("key", "secret", "token", "sid")
        out: dict[str, str] = {}
        for name, value in vars(self).items():
            if name in ("channels", "modules"):
                continue
            out[name] = ("set" if value else "unset") if any(s in name for s in secret_names) else str(value)
        out["database_url"] = redact_url(self.database_url)
        return out


def redact_url(url: str) -> str:
    """postgresql://user:pw@host/db -> postgresql://user:***@host/db (for logs)."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable url>"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _float(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UserError(f"{name}={raw!r} is not a number") from None
    if not value > minimum or value != value or value == float("inf"):
        raise UserError(f"{name}={raw!r} must be a finite number above {minimum:g}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in choices:
        raise UserError(f"{name}={value!r} must be one of {', '.join(choices)}")
    return value


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build Settings from an environment mapping; raise UserError on the first bad value."""
    mode = _choice(env, "ZYN_MODE", "paper", MODES)
    live_confirm = env.get("ZYN_LIVE_CONFIRM", "").strip().lower() == "yes"
    if mode == "live" and not live_confirm:
        raise UserError("ZYN_MODE=live also needs ZYN_LIVE_CONFIRM=yes (real money); refusing to start")
    key, secret = env.get("KRAKEN_API_KEY", "").strip(), env.get("KRAKEN_API_SECRET", "").strip()
    if mode in ("validate", "live") and not (key and secret):
        raise UserError(f"ZYN_MODE={mode} needs KRAKEN_API_KEY and KRAKEN_API_SECRET")
    pairs = tuple(normalize_pair(p) for p in _list(env.get("ZYN_PAIRS", "")) ) or ("BTC/USD", "ETH/USD")
    timeframe = env.get("ZYN_TIMEFRAME", "").strip() or "4h"
    timeframe_seconds(timeframe)
    strategy = _choice(env, "ZYN_STRATEGY", DEFAULT_STRATEGY, tuple(sorted(STRATEGIES)))
    tz = env.get("ZYN_TZ", "").strip() or "UTC"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"ZYN_TZ={tz!r} is not a known time zone (e.g. UTC, Europe/Berlin)") from None
    user = env.get("ZYN_USER_NAME", "").strip() or "jimmy"
    if len(user) > 40 or not user.isprintable():
        raise UserError("ZYN_USER_NAME must be a short printable name")
    return Settings(
        mode=mode,
        live_confirm=live_confirm,
        database_url=_database_url(env),
        kraken_api_key=key,
        kraken_api_secret=secret,
        kraken_api_url=(env.get("KRAKEN_API_URL", "").strip() or "https://api.kraken.com").rstrip("/"),
        paper_feed=_choice(env, "PAPER_FEED", "auto", FEEDS),
        paper_data=env.get("PAPER_DATA", "").strip(),
        learn_data=env.get("ZYN_LEARN_DATA", "").strip(),
        pairs=pairs,
        timeframe=timeframe,
        strategy=strategy,
        paper_speed=_float(env, "PAPER_SPEED", 60.0, 0.0),
        paper_balance_usd=_float(env, "PAPER_BALANCE_USD", 10_000.0, 0.0),
        openai_api_key=env.get("OPENAI_API_KEY", "").strip(),
        openai_base_url=env.get("OPENAI_BASE_URL", "").strip(),
        openai_model=env.get("OPENAI_MODEL", "").strip() or "gpt-4o",
        user_name=user,
        tz=tz,
        owner_lease_s=_float(env, "ZYN_OWNER_LEASE_S", 30.0, 0.0),
        **_kraken_extras(env),  # issue 21
        channels=_channels(env),
        modules=load_module_settings(env, timeframe, tz),
        # issue 17 point 3 (candle store)
        backfill=_choice(env, "ZYN_BACKFILL", "on", ("on", "off")) == "on",
        history_days=_history_days(env),
    )


def _kraken_extras(env: Mapping[str, str]) -> dict[str, str]:
    """issue 21: KRAKEN_TIER and the WebSocket endpoints.

    KRAKEN_WS_URL / KRAKEN_WS_AUTH_URL win; else, with KRAKEN_API_URL pointing anywhere but Kraken
    (a `zyn sim-exchange`), both follow it: `ws://HOST:PORT/ws/v2` and `.../ws/v2-auth` on its port."""
    tier = _choice(env, "KRAKEN_TIER", "starter", KRAKEN_TIERS)
    api = (env.get("KRAKEN_API_URL", "").strip() or KRAKEN_API_DEFAULT).rstrip("/")
    ws, ws_auth = env.get("KRAKEN_WS_URL", "").strip(), env.get("KRAKEN_WS_AUTH_URL", "").strip()
    for name, url in (("KRAKEN_WS_URL", ws), ("KRAKEN_WS_AUTH_URL", ws_auth)):
        if url and not url.startswith(("ws://", "wss://")):
            raise UserError(f"{name}={url!r} must start with ws:// or wss://")
    if api != KRAKEN_API_DEFAULT and api.startswith(("http://", "https://")):
        base = "ws" + api[len("http"):]
        derived, derived_auth = f"{base}/ws/v2", f"{base}/ws/v2-auth"
    else:
        derived, derived_auth = KRAKEN_WS_DEFAULT, KRAKEN_WS_AUTH_DEFAULT
    return {"kraken_tier": tier, "kraken_ws_url": (ws or derived).rstrip("/"),
            "kraken_ws_auth_url": (ws_auth or derived_auth).rstrip("/")}


def _history_days(env: Mapping[str, str]) -> float:
    """ZYN_HISTORY_DAYS (issue 17): 0 or more days, at most ten years."""
    raw = env.get("ZYN_HISTORY_DAYS", "").strip()
    if not raw:
        return 365.0
    try:
        days = float(raw)
    except ValueError:
        raise UserError(f"ZYN_HISTORY_DAYS={raw!r} is not a number") from None
    if not 0 <= days <= 3650:
        raise UserError(f"ZYN_HISTORY_DAYS={raw!r} must be between 0 and 3650 days")
    return days


DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg", "postgres")


def _database_url(env: Mapping[str, str]) -> str:
    """SQLite or PostgreSQL only (the two the suite runs on); anything else is refused up front."""
    url = env.get("DATABASE_URL", "").strip() or "sqlite:///var/zyn.db"
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in DATABASE_SCHEMES:
        shown = scheme if sep else redact_url(url)[:40]
        raise UserError(
            f"DATABASE_URL: unsupported database {shown!r} (use sqlite:///PATH or postgresql://USER@HOST/DB)"
        )
    if scheme.lower() == "sqlite" and not rest.startswith("/"):
        raise UserError("DATABASE_URL: a SQLite URL looks like sqlite:///var/zyn.db (three slashes)")
    return url


def _channels(env: Mapping[str, str]) -> ChannelSettings:
    def g(name: str) -> str:
        return env.get(name, "").strip()

    return ChannelSettings(
        telegram_token=g("TELEGRAM_BOT_TOKEN"),
        telegram_api_url=(g("TELEGRAM_API_URL") or "https://api.telegram.org").rstrip("/"),
        telegram_allowed_chat_ids=_list(g("TELEGRAM_ALLOWED_CHAT_IDS")),
        slack_bot_token=g("SLACK_BOT_TOKEN"),
        slack_signing_secret=g("SLACK_SIGNING_SECRET"),
        slack_api_url=g("SLACK_API_URL") or "https://slack.com/api/",
        slack_allowed_user_ids=_list(g("SLACK_ALLOWED_USER_IDS")),
        twilio_account_sid=g("TWILIO_ACCOUNT_SID"),
        twilio_auth_token=g("TWILIO_AUTH_TOKEN"),
        twilio_from_number=g("TWILIO_FROM_NUMBER"),
        twilio_api_url=(g("TWILIO_API_URL") or "https://api.twilio.com").rstrip("/"),
        sms_allowed_numbers=_list(g("SMS_ALLOWED_NUMBERS")),
        sms_alert_to=g("SMS_ALERT_TO"),
        public_url=g("ZYN_PUBLIC_URL").rstrip("/"),
        web_chat_token=g("WEB_CHAT_TOKEN"),
    )
