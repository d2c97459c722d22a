"""The account-wide cap: positions first, then total open risk against equity."""

from decimal import Decimal

from core.strategy.account_risk import (
    MAX_POSITIONS,
    TOTAL_RISK_CAP,
    AccountRiskConfig,
    account_risk_refusal,
    position_risk,
)

CFG = AccountRiskConfig(max_total_risk=Decimal("0.03"), max_positions=3)


def test_an_entry_within_both_limits_is_allowed() -> None:
    assert account_risk_refusal([Decimal(100)], Decimal(100), Decimal(10000), CFG) == ""


def test_an_entry_exactly_at_the_cap_is_allowed() -> None:
    assert account_risk_refusal([Decimal(100), Decimal(100)], Decimal(100), Decimal(10000), CFG) == ""


def test_an_entry_over_the_total_risk_cap_is_refused_with_its_reason() -> None:
    assert account_risk_refusal([Decimal(150), Decimal(100)], Decimal(100), Decimal(10000), CFG) == TOTAL_RISK_CAP


def test_the_position_count_is_checked_before_the_risk() -> None:
    assert account_risk_refusal([Decimal(0)] * 3, Decimal(1), Decimal(10000), CFG) == MAX_POSITIONS


def test_a_stop_above_entry_carries_no_risk() -> None:
    assert position_risk(Decimal("0.1"), Decimal(100), Decimal(110)) == 0
    assert position_risk(Decimal("0.1"), Decimal(100), Decimal(90)) == Decimal("1.0")
