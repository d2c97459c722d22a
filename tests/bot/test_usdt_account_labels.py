"""A paper account funded in USDT is labelled USDT everywhere the owner reads its money (issue 17 point 9).

Found by the acceptance audit: with `ZYN_PAIRS=BTC/USDT,...` the account held 10,000 USDT, but chat
`status`, `balance`, `pnl`, the daily report and the dashboard said "10,000.00 USD" (only "how are
you doing?" said USDT). Built from the composition root on real candles (a replay, no order sent:
nothing here needs the autopilot to trade, so the evidence gate stays at its default).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.conversation.envelope import Envelope
from bot.wiring.app import Zyn, build_zyn
from core.config import load_settings

DAY = 86_400_000


@pytest.fixture(scope="module")
def zyn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zyn]:
    from tests.conftest import shared_data

    tmp = tmp_path_factory.mktemp("usdt")
    env = {"DATABASE_URL": f"sqlite:///{tmp}/zyn.db", "PAPER_FEED": "replay", "ZYN_TIMEFRAME": "4h",
           "PAPER_DATA": str(shared_data() / "binance"), "ZYN_PAIRS": "BTC/USDT,ETH/USDT", "PAPER_BALANCE": "2500"}
    z = build_zyn(load_settings(env))
    z.replay.step(z.replay.start_ms() + 10 * DAY)  # type: ignore[union-attr,operator]
    yield z
    z.close()


def say(zyn: Zyn, text: str) -> tuple[str, dict[str, str]]:
    reply = zyn.dispatcher.handle(Envelope("web", "owner", text))
    return reply.text, {row[0]: row[1] for row in reply.rows}


def test_status_balance_and_pnl_of_a_usdt_account_say_usdt_not_usd(zyn: Zyn) -> None:
    assert zyn.exchange.fetch_balances().total.get("USDT") is not None  # the account is funded in USDT
    text, rows = say(zyn, "status")
    assert "equity 2,500.00 USDT" in text and rows["Equity"] == "2,500.00 USDT"
    assert rows["P&L today / week / all"].count("USDT") == 3 and " USD " not in rows["P&L today / week / all"] + " "
    text, rows = say(zyn, "balance")
    assert text == "Equity 2,500.00 USDT." and rows["Equity (USDT)"] == "2,500.00 USDT"
    text, rows = say(zyn, "pnl")
    assert set(rows) == {"Today", "This week", "All time"} and all(v.endswith(" USDT") for v in rows.values())
    text, rows = say(zyn, "pnl today")  # the daily summary
    assert rows["Equity"] == "2,500.00 USDT" and rows["P&L today"].endswith(" USDT")


def test_the_dashboard_labels_a_usdt_accounts_equity_usdt(zyn: Zyn) -> None:
    from adapters.web.app import create_web_app

    client = create_web_app(zyn).test_client()
    token = zyn.settings.channels.web_chat_token
    page = client.get("/status", headers={"Authorization": f"Bearer {token}"} if token else {}).get_data(as_text=True)
    assert "<th>equity (USDT)</th>" in page and "equity (USD)" not in page


def test_a_usd_account_keeps_its_usd_label(tmp_path: Path) -> None:
    from tests.conftest import shared_data

    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay", "ZYN_TIMEFRAME": "4h",
           "PAPER_DATA": str(shared_data() / "kraken"), "ZYN_PAIRS": "BTC/USD"}
    z = build_zyn(load_settings(env))
    try:
        text, rows = say(z, "status")
        assert rows["Equity"].endswith(" USD") and "USDT" not in text
    finally:
        z.close()


def test_zyn_status_text_of_a_usdt_account_says_usdt(zyn: Zyn) -> None:
    """`zyn status` prints the snapshot in a terminal client that has no settings: the paper
    account's one quote balance names the currency."""
    from bot.text.status_text import format_snapshot

    lines = format_snapshot(zyn.status.snapshot()).splitlines()
    assert "equity 2,500.00 USDT" in lines
    assert next(ln for ln in lines if ln.startswith("P&L today")).count("USDT") == 3


def test_an_exchange_accounts_status_text_stays_in_usd() -> None:
    from bot.text.status_text import format_snapshot

    snap = {"mode": "live", "balances": {"USDT": 100.0, "BTC": 0.1}, "equity_usd": 6100.0, "pnl": {}}
    assert "equity 6,100.00 USD" in format_snapshot(snap).splitlines()
