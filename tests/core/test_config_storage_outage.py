"""ZYN_STORAGE_OUTAGE_EXIT_S (issue 19 point 3): 5 minutes unless set; a bad value is one clear line."""

import pytest

from core.config import load_settings
from core.domain import UserError


def test_storage_outage_exit_defaults_to_five_minutes_and_can_be_shortened() -> None:
    assert load_settings({}).storage_outage_exit_s == 300.0
    assert load_settings({"ZYN_STORAGE_OUTAGE_EXIT_S": "4.5"}).storage_outage_exit_s == 4.5


@pytest.mark.parametrize("bad", ["soon", "0", "-3", "inf"])
def test_a_bad_storage_outage_exit_is_a_user_error(bad: str) -> None:
    with pytest.raises(UserError, match="ZYN_STORAGE_OUTAGE_EXIT_S"):
        load_settings({"ZYN_STORAGE_OUTAGE_EXIT_S": bad})
