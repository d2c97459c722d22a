"""The scheduled learning check on the whole stack: walk-forward -> switch -> status and decisions."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, col, select

from bot.learning.check import run_learning_check
from bot.wiring.app import build_zyn
from core.config import load_settings
from core.learning.pooled_walk_forward import JUDGED_VARIANT
from core.telemetry.models import DecisionRow

DAY = 86_400_000


def _copy(src: Path, dst: Path, rows: int = 4000) -> None:
    lines = src.read_text(encoding="utf-8").splitlines()[: rows + 1]
    dst.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_learning_check_sets_the_switch_and_decisions_and_status_say_so(tmp_path: Path, data_dir: Path) -> None:
    """Ten or more pairs (the traded two + twelve real candle files under other names: the check's
    mechanics, not a measurement), judged on the frozen model."""
    extra = tmp_path / "extra"
    extra.mkdir()
    for i, name in enumerate(["LTC", "XRP", "BTC", "ETH"] * 3):
        src = data_dir / "kraken_cdd" / f"KRAKEN-CDD_{name}-USD_1h.csv"
        _copy(src, extra / f"KRAKEN-CDD_{name}{i}-USD_1h.csv", 1000)
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
        assert ev["pairs"] == 14 and ev["control_seeds"] == 3 and state["checked_at"]
        assert state["on"] is False and state["variant"] == JUDGED_VARIANT  # the live learner was not judged
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


def test_fewer_than_ten_pairs_are_not_judged(tmp_path: Path, data_dir: Path) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    _copy(data_dir / "kraken_cdd" / "KRAKEN-CDD_LTC-USD_1h.csv", extra / "KRAKEN-CDD_LTC-USD_1h.csv")
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay",
        "PAPER_DATA": str(data_dir / "kraken"), "PAPER_SPEED": "36000", "ZYN_TIMEFRAME": "4h",
        "ZYN_LEARN_DATA": str(extra),
    }
    zyn = build_zyn(load_settings(env))
    try:
        zyn.replay.step(zyn.replay.start_ms() + 60 * DAY)
        state = run_learning_check(zyn.learning, seeds=3)
        assert state["on"] is False and "not enough pairs to judge (3" in state["reason"]
    finally:
        zyn.close()
