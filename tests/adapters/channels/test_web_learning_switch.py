"""The dashboard shows the learning switch: on/off, when it was checked, and why."""

from __future__ import annotations

from flask import Flask

from core.learning.switch import verdict
from tests.fakes.chat_backend import FakeZyn

SUMMARY = {"baseline_return": -0.07, "learned_return": -0.05, "control_return": -0.03, "control_seeds": 20,
           "seeds_beaten": 3, "skill": False}


def test_status_page_shows_learning_off_with_its_evidence_and_date(zyn: FakeZyn, app: Flask) -> None:
    zyn.status.data["learning"] = verdict(SUMMARY, 15, 1058, 603, "V0", 1_764_460_800_000).public()
    page = app.test_client().get("/status").get_data(as_text=True)
    assert 'id="learning"' in page and "learning off (checked 2025-11-30T00:00:00Z)" in page
    assert "above 3 of 20 random-skip runs" in page
    assert "learning off (checked 2025-11-30T00:00:00Z): walk-forward shows no skill" in page
    assert page.count("learning off") == 1  # not "learning off: learning off: ..." (issue 22.9)


def test_status_page_says_learning_off_once_before_any_check(zyn: FakeZyn, app: Flask) -> None:
    from core.learning.switch import SwitchState

    zyn.status.data["learning"] = SwitchState().public()
    page = app.test_client().get("/status").get_data(as_text=True)
    assert "learning off: no walk-forward has shown skill yet" in page and "learning is off" not in page
