import pytest

from adapters.kraken.names import kraken_pair_id
from core.config import load_settings
from core.domain import UserError
from core.markets.pairs import common_asset, normalize_pair


@pytest.mark.parametrize("text", ["btc", "BTCUSD", "XBT/USD", "xbtusd", "XXBTZUSD", "btc-usd", "BTC/USD"])
def test_forgiving_pairs(text: str) -> None:
    assert normalize_pair(text) == "BTC/USD"


def test_kraken_names() -> None:
    assert common_asset("XXBT") == "BTC" and common_asset("XDG") == "DOGE" and common_asset("ZUSD") == "USD"
    assert common_asset("XBT.F") == "BTC"
    assert kraken_pair_id("BTC/USD") == "XXBTZUSD" and kraken_pair_id("SOL/USD") == "SOLUSD"


@pytest.mark.parametrize("bad", ["", "!!", "b"])
def test_unknown_pair_is_a_user_error(bad: str) -> None:
    with pytest.raises(UserError):
        normalize_pair(bad)


def test_defaults_are_paper_and_safe() -> None:
    s = load_settings({})
    assert s.mode == "paper" and s.timeframe == "4h" and s.pairs == ("BTC/USD", "ETH/USD")
    assert s.database_url == "sqlite:///var/zyn.db" and s.user_name == "jimmy"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"ZYN_MODE": "live", "KRAKEN_API_KEY": "k", "KRAKEN_API_SECRET": "s"}, "ZYN_LIVE_CONFIRM"),
        ({"ZYN_MODE": "validate"}, "KRAKEN_API_KEY"),
        ({"ZYN_MODE": "yolo"}, "ZYN_MODE"),
        ({"PAPER_SPEED": "fast"}, "PAPER_SPEED"),
        ({"PAPER_SPEED": "-3"}, "PAPER_SPEED"),
        ({"ZYN_TIMEFRAME": "4x"}, "timeframe"),
        ({"ZYN_TZ": "Mars/Olympus"}, "ZYN_TZ"),
        ({"ZYN_PAIRS": "BTC/USD,??"}, "pair"),
    ],
)
def test_malformed_settings_name_the_variable(env: dict[str, str], needle: str) -> None:
    with pytest.raises(UserError, match=needle.replace("?", r"\?")):
        load_settings(env)


def test_live_needs_both_settings() -> None:
    s = load_settings({"ZYN_MODE": "live", "ZYN_LIVE_CONFIRM": "yes", "KRAKEN_API_KEY": "k",
                       "KRAKEN_API_SECRET": "c2VjcmV0"})  # Kraken's secrets are base64 (issue 19.8)
    assert s.mode == "live" and s.redacted()["kraken_api_secret"] == "set"


def test_secrets_are_not_in_repr_or_redacted_logs() -> None:
    s = load_settings({"DATABASE_URL": "postgresql://zyn:hunter2@db/zyn", "TELEGRAM_BOT_TOKEN": "123:ABCsecret",
                       "TELEGRAM_ALLOWED_CHAT_IDS": "1", "OPENAI_API_KEY": "sk-secret"})
    text = repr(s) + str(s.redacted())
    assert "hunter2" not in text and "ABCsecret" not in text and "sk-secret" not in text
    assert s.redacted()["database_url"] == "postgresql://zyn:***@db/zyn"
