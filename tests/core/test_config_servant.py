"""The servant's settings (issue 17): the evidence gate on by default and switchable, the
account-wide cap, and the paper account funded in the pairs' quote currency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.config import load_settings, quote_of
from core.domain import UserError


def test_defaults_turn_the_gate_on_with_a_3_percent_cap_and_5_positions() -> None:
    s = load_settings({})
    assert (s.evidence, s.max_total_risk_pct, s.max_positions) == (True, 3.0, 5)
    assert s.paper_start_balance == 10_000.0


def test_evidence_off_and_the_caps_are_read() -> None:
    s = load_settings({"ZYN_EVIDENCE": "OFF", "ZYN_MAX_TOTAL_RISK_PCT": "2.5", "ZYN_MAX_POSITIONS": "3"})
    assert (s.evidence, s.max_total_risk_pct, s.max_positions) == (False, 2.5, 3)


def test_paper_balance_wins_over_the_old_usd_name_which_is_still_read() -> None:
    assert load_settings({"PAPER_BALANCE_USD": "500"}).paper_start_balance == 500.0
    both = load_settings({"PAPER_BALANCE_USD": "500", "PAPER_BALANCE": "2500", "ZYN_PAIRS": "BTC/USDT"})
    assert both.paper_start_balance == 2500.0 and quote_of(both.pairs[0]) == "USDT"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ZYN_PAIRS": "BTC/USD,ETH/USDT"}, "quote currencies"),
        ({"ZYN_EVIDENCE": "sometimes"}, "ZYN_EVIDENCE"),
        ({"ZYN_MAX_TOTAL_RISK_PCT": "150"}, "ZYN_MAX_TOTAL_RISK_PCT"),
        ({"ZYN_MAX_POSITIONS": "two"}, "ZYN_MAX_POSITIONS"),
        ({"PAPER_BALANCE": "0"}, "PAPER_BALANCE"),
    ],
)
def test_bad_servant_settings_are_one_clear_error(env: dict[str, str], named: str) -> None:
    with pytest.raises(UserError, match=named):
        load_settings(env)


def test_mixed_quotes_are_fine_outside_paper_mode() -> None:
    env = {"ZYN_MODE": "validate", "KRAKEN_API_KEY": "k", "KRAKEN_API_SECRET": "c2VjcmV0",  # base64, as Kraken's
           "ZYN_PAIRS": "BTC/USD,ETH/USDT"}
    assert load_settings(env).pairs == ("BTC/USD", "ETH/USDT")


def test_the_paper_account_is_funded_in_the_pairs_quote(tmp_path, data_dir) -> None:  # type: ignore[no-untyped-def]
    """USDT pairs used to be funded in USD: equity 0 USDT and a kill-switch trip every day."""
    from bot.wiring.app import build_zyn

    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay", "ZYN_TIMEFRAME": "1h",
           "PAPER_DATA": str(data_dir / "binance"), "ZYN_PAIRS": "BTC/USDT", "PAPER_BALANCE": "2500"}
    zyn = build_zyn(load_settings(env))
    try:
        assert zyn.exchange.fetch_balances().total == {"USDT": Decimal(2500)}
        assert zyn.trading.state.guard.start_equity == 2500.0
        assert zyn.status.snapshot()["equity_usd"] == pytest.approx(2500.0)
    finally:
        zyn.close()
