"""The scheduled learning check on the whole stack: walk-forward -> switch -> status and decisions."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, col, select

from bot.learning.check import run_learning_check
from bot.wiring.app import build_zyn
from core.config import load_settings
from core.telemetry.models import DecisionRow

DAY = 86_400_000


def test_learning_check_sets_the_switch_and_decisions_and_status_say_so(tmp_path: Path, data_dir: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    for name in ("KRAKEN-CDD_LTC-USD_1h.csv", "KRAKEN-CDD_XRP-USD_1h.csv"):
        lines = (data_dir / "kraken_cdd" / name).read_text(encoding="utf-8").splitlines()[:4001]
        (extra / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay",
        "PAPER_DATA": str(data_dir / "kraken"), "PAPER_SPEED": "36000", "ZYN_TIMEFRAME": "4h",
        "ZYN_LEARN_DATA": f"{extra},{tmp_path / 'missing'}",
    }
    zyn = build_zyn(load_settings(env))
    try:
        start = zyn.replay.start_ms()
        zyn.replay.step(start + 60 * DAY)
        assert zyn.status.snapshot()["learning"]["on"] is False  # off before any walk-forward
        state = run_learning_check(zyn.learning, seeds=3)
        ev = state["evidence"]
        assert ev["pairs"] == 4 and ev["control_seeds"] == 3 and state["checked_at"]
        assert isinstance(state["on"], bool) and state["variant"] == "V0"
        assert zyn.status.snapshot()["learning"] == state
        checked = zyn.clock.now_ms()
        zyn.replay.step(checked + 60 * DAY)
        with Session(zyn.db) as s:
            later = s.exec(select(DecisionRow).where(col(DecisionRow.ts_ms) >= checked)).all()
        entries = [d for d in later if d.action == "enter"]  # every entry asked the (switched) gate
        assert entries
        if not state["on"]:
            assert all(d.learner_note == state["reason"] and d.learner_version is None for d in entries)
            assert not any(d.reason.startswith("learner gate") for d in later)  # nothing skipped by it
    finally:
        zyn.close()
