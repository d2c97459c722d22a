"""The servant as the owner meets it (issue 17), from the composition root on real candles with the
evidence gate ON (the default): status JSON, chat `status`, the dashboard and `zyn status` show
live/shadow per pair with the figures; "why aren't you trading BTC?" answers with them; `trade BTC
anyway` is echoed with the evidence and kept only after `yes`, undone by `forget rule N`; "how are
you doing?", "would mtf help?" and "should I keep trading?" answer with measured numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.conversation.envelope import Envelope
from bot.text.status_text import format_snapshot
from bot.wiring.app import Zyn, build_zyn
from core.config import load_settings
from core.telemetry.models import DecisionRow

DAY = 86_400_000
KEYS = {"state", "trades", "months", "expectancy_r", "interval_low", "interval_high", "pooled_r", "forced"}


def servant_env(tmp: Path) -> dict[str, str]:
    from tests.conftest import shared_data

    return {"DATABASE_URL": f"sqlite:///{tmp}/zyn.db", "PAPER_FEED": "replay",
            "PAPER_DATA": str(shared_data() / "kraken"), "ZYN_TIMEFRAME": "4h"}


@pytest.fixture(scope="module")
def zyn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zyn]:
    tmp = tmp_path_factory.mktemp("servant")
    z = build_zyn(load_settings(servant_env(tmp)))
    z.replay.step(z.replay.start_ms() + 150 * DAY)  # type: ignore[union-attr]
    yield z
    z.close()


def test_zyn_status_json_in_another_process_shows_the_same_evidence(zyn: Zyn) -> None:
    """`zyn status --json` as its own process (no owner running: it owns for its duration) reads the
    verdicts the autopilot's process saved."""
    db = zyn.settings.database_url.removeprefix("sqlite:///")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZYN_", "PAPER_", "KRAKEN_", "DATABASE_URL"))}
    env.update(servant_env(Path(db).parent))
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    out = subprocess.run([sys.executable, "-m", "bot", "status", "--json"], capture_output=True, text=True,
                         cwd=Path(db).parent, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)["evidence"]
    assert shown == zyn.status.snapshot()["evidence"] and shown["BTC/USD"]["trades"] > 0


def ask(zyn: Zyn, text: str) -> tuple[str, str, list[tuple[str, str]]]:
    reply = zyn.dispatcher.handle(Envelope("web", "owner", text))
    return reply.kind, reply.text, list(reply.rows)


def test_status_shows_every_pair_live_or_shadow_with_its_figures(zyn: Zyn) -> None:
    snap = zyn.status.snapshot()
    evidence = snap["evidence"]
    assert set(evidence) == {"BTC/USD", "ETH/USD"} and all(set(e) == KEYS for e in evidence.values())
    btc = evidence["BTC/USD"]
    assert btc["trades"] > 0 and btc["expectancy_r"] is not None
    _, text, rows = ask(zyn, "status")
    assert f"BTC/USD: {btc['state']}" not in text  # the sentence lists states; the rows carry the figures
    row = dict(rows)["BTC/USD"]
    assert row.startswith(btc["state"]) and f"{btc['trades']} trades" in row and f"{btc['expectancy_r']:+.2f}R" in row
    assert f"evidence BTC/USD: {btc['state']}" in format_snapshot(snap)
    page = _dashboard(zyn)
    assert 'id="evidence"' in page and f"{btc['expectancy_r']:+.2f}R" in page


def test_every_entry_on_a_shadow_pair_is_a_shadow_decision_with_size_and_no_order(zyn: Zyn) -> None:
    with Session(zyn.db) as s:
        rows = s.exec(select(DecisionRow)).all()
    shadows = [r for r in rows if r.action == "shadow"]
    assert shadows and all(r.amount and r.stop and r.target for r in shadows)
    assert all('"evidence": "shadow"' in r.context_json for r in shadows)
    assert not [r for r in rows if r.action == "enter" and '"evidence": "shadow"' in r.context_json]
    states = {p: e["state"] for p, e in zyn.status.snapshot()["evidence"].items()}
    if "live" not in states.values():  # nothing live: nothing was sent
        assert zyn.exchange.fetch_open_orders() == []


def test_why_not_trading_answers_with_the_evidence(zyn: Zyn) -> None:
    btc = zyn.status.snapshot()["evidence"]["BTC/USD"]
    _, text, _ = ask(zyn, "why aren't you trading BTC?")
    assert text.startswith(f"BTC/USD: {btc['state']}") and f"{btc['trades']} trades" in text
    assert f"expectancy {btc['expectancy_r']:+.2f}R" in text


def test_trade_anyway_is_echoed_with_the_evidence_confirmed_and_undone(zyn: Zyn) -> None:
    btc = zyn.status.snapshot()["evidence"]["BTC/USD"]
    kind, text, _ = ask(zyn, "trade BTC anyway")
    assert kind == "confirm" and f"{btc['trades']} trades" in text and "yes" in text
    assert ask(zyn, "rules")[2] == []  # nothing kept before yes
    _, done, _ = ask(zyn, "yes")
    assert done.startswith("Rule 1 kept: trade BTC/USD live")
    zyn.replay.step(zyn.clock.now_ms() + DAY)  # type: ignore[union-attr]
    forced = zyn.status.snapshot()["evidence"]["BTC/USD"]
    assert forced["forced"] is True and forced["state"] == "live"
    assert "forgot rule 1" in ask(zyn, "forget rule 1")[1].lower()
    zyn.replay.step(zyn.clock.now_ms() + DAY)  # type: ignore[union-attr]
    assert zyn.status.snapshot()["evidence"]["BTC/USD"]["forced"] is False


def test_trade_bitcoin_anyway_is_the_same_confirmation_as_trade_btc_anyway(zyn: Zyn) -> None:
    """The audit saw "I don't trade BITCOIN/USD" while `BTC` and `xbt` worked."""
    kind, text, rows = ask(zyn, "trade bitcoin anyway")
    assert kind == "confirm" and "trade BTC/USD live" in text and rows == ask(zyn, "trade BTC anyway")[2]
    ask(zyn, "no")
    assert ask(zyn, "rules")[2] == []  # no rule kept without yes


def test_how_are_you_doing_gives_pnl_against_standing_aside_and_the_backtest(zyn: Zyn) -> None:
    _, text, rows = ask(zyn, "how are you doing?")
    table = dict(rows)
    assert {"P&L today", "P&L this week", "P&L since start", "plain backtest, same period"} <= set(table)
    assert "standing aside (0 %)" in text and "expected" in text
    assert text != ask(zyn, "help")[1]


def test_would_mtf_help_and_keep_trading_answer_with_measured_numbers(zyn: Zyn) -> None:
    servant = zyn.dispatcher.services.servant
    assert servant is not None
    measured = servant.what_if("mtf")
    _, text, rows = ask(zyn, "would mtf help?")
    assert f"{100 * measured.variant.mean_return:+.2f} %" in dict(rows)["mtf"]
    assert f"{100 * measured.plain.mean_return:+.1f} %" in text
    assert ask(zyn, "should I turn on mtf?")[1] == text
    _, keep, keep_rows = ask(zyn, "should I keep trading?")
    assert "standing aside" in keep
    assert dict(keep_rows)["plain strategy"].startswith(f"{100 * measured.plain.mean_return:+.2f}")


def test_the_weekly_report_shows_live_and_shadow_records(zyn: Zyn) -> None:
    from bot.alerts.reports import weekly_report

    reply = weekly_report(zyn.dispatcher.services, zyn.clock, with_chart=False)
    table = dict(reply.rows)
    assert "Live record" in table and "Shadow record" in table and "not sent" in table["Shadow record"]


def _dashboard(zyn: Zyn) -> str:
    from adapters.web.app import create_web_app

    client = create_web_app(zyn).test_client()  # type: ignore[arg-type]
    token = zyn.settings.channels.web_chat_token
    resp = client.get("/status", headers={"Authorization": f"Bearer {token}"} if token else {})
    return resp.get_data(as_text=True)

