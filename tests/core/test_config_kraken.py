"""issue 21 settings: KRAKEN_TIER and the WebSocket endpoints (defaults, explicit, derived from a sim's URL)."""

from __future__ import annotations

import pytest

from core.config import load_settings
from core.domain import UserError


def test_defaults_are_krakens_own_endpoints_and_the_starter_tier() -> None:
    s = load_settings({})
    assert (s.kraken_tier, s.kraken_ws_url, s.kraken_ws_auth_url) == (
        "starter", "wss://ws.kraken.com/v2", "wss://ws-auth.kraken.com/v2")
    assert load_settings({"KRAKEN_API_URL": "https://api.kraken.com"}).kraken_ws_url == "wss://ws.kraken.com/v2"


def test_a_sim_url_gives_both_socket_endpoints_on_its_port() -> None:
    s = load_settings({"KRAKEN_API_URL": "http://127.0.0.1:8090/"})
    assert (s.kraken_ws_url, s.kraken_ws_auth_url) == ("ws://127.0.0.1:8090/ws/v2", "ws://127.0.0.1:8090/ws/v2-auth")
    tls = load_settings({"KRAKEN_API_URL": "https://sim.example:9443"})
    assert tls.kraken_ws_url == "wss://sim.example:9443/ws/v2"


def test_explicit_socket_urls_win_and_a_bad_one_is_one_clear_line() -> None:
    s = load_settings({"KRAKEN_API_URL": "http://127.0.0.1:8090", "KRAKEN_WS_URL": "ws://other:1/v2",
                       "KRAKEN_WS_AUTH_URL": "ws://other:1/auth", "KRAKEN_TIER": "Intermediate"})
    assert (s.kraken_ws_url, s.kraken_ws_auth_url, s.kraken_tier) == ("ws://other:1/v2", "ws://other:1/auth",
                                                                      "intermediate")
    with pytest.raises(UserError, match="KRAKEN_WS_URL"):
        load_settings({"KRAKEN_WS_URL": "http://nope"})
    with pytest.raises(UserError, match="KRAKEN_TIER"):
        load_settings({"KRAKEN_TIER": "gold"})
