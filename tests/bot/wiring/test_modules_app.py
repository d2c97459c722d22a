"""The modules wired from the composition root on real candles: universe -> autopilot pairs, mtf
and the profit target on the live autopilot path (replay through the paper exchange), and the
chat commands `features`, `set feature`, `set target`, `universe` through the real dispatcher."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.conversation.envelope import Envelope
from bot.wiring.app import Zyn, build_zyn
from bot.wiring.modules import refresh_universe
from core.config import load_settings
from core.telemetry.models import DecisionRow

DAY = 86_400_000
PAIRS = ("BTC", "ETH", "LTC", "XRP")


@pytest.fixture
def zyn(tmp_path: Path, data_dir: Path) -> Iterator[Zyn]:
    folder = tmp_path / "data"
    folder.mkdir()
    for base in PAIRS:
        name = f"KRAKEN-CDD_{base}-USD_1h.csv"
        (folder / name).symlink_to(data_dir / "kraken_cdd" / name)
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay", "PAPER_DATA": str(folder),
        "ZYN_TIMEFRAME": "1h", "ZYN_PAIRS": "BTC/USD", "ZYN_FEATURES": "universe,mtf,profit_target",
        "ZYN_UNIVERSE_MIN_VOLUME_USD": "1000", "ZYN_UNIVERSE_MAX_PAIRS": "2", "ZYN_UNIVERSE_DENY": "XRP/USD",
        "ZYN_UNIVERSE_MIN_HISTORY": "24",
        "ZYN_EVIDENCE": "off",  # the live autopilot path must place orders (the gate would shadow them)
    }
    z = build_zyn(load_settings(env))
    yield z
    z.close()


def say(z: Zyn, text: str) -> str:
    return z.dispatcher.handle(Envelope("cli", "owner", text)).text


def test_universe_picks_the_pairs_the_autopilot_trades_and_mtf_vetoes_with_reasons(zyn: Zyn) -> None:
    start = zyn.replay.start_ms()
    zyn.replay.step(start + 2 * DAY)
    pairs = refresh_universe(zyn)
    rows = {r["pair"]: r for r in zyn.modules.universe_rows()}
    assert len(pairs) == 2 and set(pairs) <= {f"{b}/USD" for b in PAIRS}
    assert rows["XRP/USD"]["reason"] == "on the deny-list"
    assert zyn.autopilot.pairs == pairs
    zyn.replay.step(start + 40 * DAY)
    with Session(zyn.db) as s:
        decisions = s.exec(select(DecisionRow)).all()
    assert {d.pair for d in decisions} <= set(pairs) | {"BTC/USD"}
    reasons = [d.reason for d in decisions if d.action == "skip"]
    assert any("completed candles, 20 needed" in r for r in reasons)  # the first 20 days: no 1d SMA20
    assert any("close below its SMA20" in r for r in reasons)


def test_chat_features_switch_target_and_universe(zyn: Zyn) -> None:
    zyn.replay.step(zyn.replay.start_ms() + 2 * DAY)
    listing = zyn.dispatcher.handle(Envelope("cli", "owner", "features"))
    assert {row[0]: row[1] for row in listing.rows} == {
        "universe": "on", "mtf": "on", "profit_target": "on", "watchdog": "on"}
    status_rows = dict(zyn.dispatcher.handle(Envelope("cli", "owner", "status")).rows)
    assert status_rows["Features on"] == "universe, mtf, profit_target, watchdog"
    assert "now off" in say(zyn, "set feature mtf off")
    assert not zyn.modules.features.enabled("mtf") and not zyn.modules.rules.enabled("mtf")
    assert "unknown feature" in say(zyn, "set feature turbo on").lower()
    assert "usage: set feature" in say(zyn, "set feature mtf maybe").lower()
    assert "1.5%" in say(zyn, "set target 1.5%")
    assert zyn.modules.target_pct() == pytest.approx(0.015)
    assert "percentage" in say(zyn, "set target lots").lower()
    uni = zyn.dispatcher.handle(Envelope("cli", "owner", "/universe"))
    assert uni.text.startswith("Universe: 2 of 4 pairs in")
    assert ("XRP/USD", "out", "on the deny-list") in uni.rows


def test_dashboard_and_healthz_show_the_modules(zyn: Zyn) -> None:
    from adapters.web.app import create_web_app

    client = create_web_app(zyn).test_client()
    page = client.get("/status").get_data(as_text=True)
    assert 'modules on: <span id="features">universe, mtf, profit_target, watchdog</span>' in page
    health = client.get("/healthz").get_json()
    assert "components" in health


def test_circuit_breaker_transitions_reach_the_owner_once_each(zyn: Zyn) -> None:
    notes: list[str] = []
    zyn.notifier.register("test", lambda text, png=None: notes.append(text))
    for _ in range(8):  # more failures than the threshold: one transition, one notice
        zyn.breaker.record_failure()
    zyn.breaker.record_success()
    zyn.notifier.flush()
    assert [n for n in notes if "circuit breaker" in n] == [
        "exchange circuit breaker closed -> open", "exchange circuit breaker open -> closed"]
