"""The whole stack from the composition root on real candles: replay -> autopilot -> paper
exchange -> telemetry -> status, and the CLI on the same database (issue 2's 'done when')."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.wiring.app import build_zyn
from core.config import load_settings
from core.learning.switch import SwitchState, save_switch
from core.telemetry.models import DecisionRow, TradeRow

DAY = 86_400_000


def env_for(tmp_path: Path, data_dir: Path) -> dict[str, str]:
    """ZYN_EVIDENCE=off: these tests need the autopilot to place orders (the gate would keep new pairs in shadow)."""
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay", "ZYN_EVIDENCE": "off",
        "PAPER_DATA": str(data_dir / "kraken"), "PAPER_SPEED": "36000", "ZYN_TIMEFRAME": "4h",
    }


@pytest.fixture
def replayed(tmp_path: Path, data_dir: Path):  # type: ignore[no-untyped-def]
    env = env_for(tmp_path, data_dir)
    zyn = build_zyn(load_settings(env))
    start = zyn.replay.start_ms()
    zyn.replay.step(start + 120 * DAY)
    yield zyn, env
    zyn.close()


def test_replay_makes_decisions_and_status_agrees_with_the_paper_fills(replayed) -> None:  # type: ignore[no-untyped-def]
    zyn, _ = replayed
    with Session(zyn.db) as s:
        decisions = s.exec(select(DecisionRow)).all()
        closed = s.exec(select(TradeRow).where(TradeRow.status == "closed")).all()
    assert len(decisions) > 500 and {d.pair for d in decisions} == {"BTC/USD", "ETH/USD"}
    assert any(d.action == "enter" for d in decisions) and any(d.reason for d in decisions if d.action == "none")
    assert len(closed) >= 5
    snap = zyn.status.snapshot()
    assert snap["source"] == "exchange"
    balances = zyn.exchange.fetch_balances().total
    assert snap["balances"] == pytest.approx({k: float(v) for k, v in balances.items() if v})
    for pos in snap["positions"]:
        base = pos["pair"].split("/")[0]
        assert pos["amount"] == pytest.approx(float(balances[base]))
        assert pos["stop_price"] is not None and pos["take_profit_price"] is not None
    # realized P&L from the exchange's own fills (FIFO) equals the sum of the journal's trades
    assert snap["pnl"]["all_time"] == pytest.approx(float(sum(t.pnl or 0 for t in closed)), rel=1e-9, abs=1e-6)
    assert snap["trades"]["count"] == len(closed)
    assert snap["trades"]["wins"] == sum(1 for t in closed if (t.pnl or 0) > 0)


def test_cli_status_and_two_step_chat_order_on_the_same_database(replayed) -> None:  # type: ignore[no-untyped-def]
    zyn, env = replayed
    expected = zyn.status.snapshot()["balances"]
    zyn.close()
    full_env = {**os.environ, **env, "ZYN_LOG_LEVEL": "ERROR"}

    def zyn_cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                              env=full_env, timeout=120)

    out = zyn_cli("status", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["balances"] == pytest.approx(expected)
    usd_before = json.loads(out.stdout)["balances"]["USD"]
    echo = zyn_cli("chat", "buy 0.01 eth sl 50")
    assert echo.returncode == 0, echo.stderr
    assert "yes" in echo.stdout.lower() and "0.01" in echo.stdout
    assert json.loads(zyn_cli("status", "--json").stdout)["balances"]["USD"] == usd_before  # nothing yet
    done = zyn_cli("chat", "yes")
    assert done.returncode == 0, done.stderr
    after = json.loads(zyn_cli("status", "--json").stdout)
    assert after["balances"]["USD"] < usd_before
    assert any(o["type"] == "stop-loss" and o["pair"] == "ETH/USD" for o in after["open_orders"])


def test_learn_bootstraps_from_past_candles_only_and_decisions_cite_the_version(replayed) -> None:  # type: ignore[no-untyped-def]
    zyn, _ = replayed
    now = zyn.clock.now_ms()
    changes = zyn.relearn()
    assert changes.get("bootstrapped_trades", 0) > 0
    with Session(zyn.db) as s:
        boot = s.exec(select(TradeRow).where(TradeRow.source == "bootstrap")).all()
    assert boot and max(t.exit_ms or 0 for t in boot) < now  # nothing learned from the future
    # the learner acts only while the learning switch is on (a walk-forward showed skill)
    save_switch(zyn.kv, SwitchState(True, "learning on: test", now, "V0", {"skill": True}))
    zyn.replay.step(now + 60 * DAY)
    with Session(zyn.db) as s:
        later = s.exec(select(DecisionRow).where(DecisionRow.ts_ms > now, DecisionRow.action == "enter")).all()
    assert later and all(d.learner_version for d in later)


def test_cli_learn_json(replayed) -> None:  # type: ignore[no-untyped-def]
    zyn, env = replayed
    zyn.close()
    out = subprocess.run([sys.executable, "-m", "bot", "learn", "--json"], capture_output=True, text=True,
                         env={**os.environ, **env, "ZYN_LOG_LEVEL": "ERROR"}, timeout=120)
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert body["version"] >= 1 and body["bootstrapped_trades"] > 0
