"""`kill -9` of a live `zyn run` between an entry's send and its fill: the exchange's own stop
(Kraken's conditional close, issue 21.3) protects the coins while Zyn is dead, and the restarted
Zyn recognises that stop by the entry's reference and adopts it: one position, one stop, no
second stop. Real processes: the Kraken sim on loopback, `zyn run` (real ccxt) twice on one
SQLite database. ZYN_EVIDENCE=off (an order path; the autopilot stays out of it anyway)."""

from __future__ import annotations

import signal
import time
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, select

from core.telemetry.db import make_engine
from core.telemetry.models import TradeRow
from tests.bot.owner.test_one_owner import base_env, free_port, post_chat, start_run, stop, wait_role
from tests.bot.wiring.test_app_modes_sim import account_env, kraken_sim

PAIR = "BTC/USD"
AMOUNT = Decimal("0.002")


def test_kill_9_between_the_entry_send_and_its_fill_leaves_a_protected_position_after_reconcile(
    tmp_path: Path, data_dir: Path
) -> None:
    with kraken_sim(tmp_path, data_dir, {"USD": Decimal(10000)}) as sim:
        port = free_port()
        env = base_env(**{**account_env(tmp_path, sim, "live"), "ZYN_LIVE_CONFIRM": "yes", "ZYN_PAIRS": PAIR,
                          "ZYN_EVIDENCE": "off", "ZYN_ORDER_GRACE_S": "0.5"})
        price = sim.price(PAIR)
        limit, stop_price = int(price * Decimal("0.98")), int(price * Decimal("0.95"))
        first = start_run(tmp_path, port, env)
        second = None
        try:
            wait_role(port, "owner")
            assert post_chat(port, f"buy {AMOUNT} btc at {limit} sl {stop_price}")["reply"]
            placed = post_chat(port, "yes")["reply"]
            assert "Limit buy" in placed, placed
            (entry,) = [o for o in sim.sim.exchange.fetch_open_orders() if o.side == "buy"]
            first.send_signal(signal.SIGKILL)  # sent, resting, not filled: Zyn dies here
            first.wait(timeout=10)

            sim.sim.exchange.fill_part(entry.id, AMOUNT)  # fills while no Zyn is running
            stops = [o for o in sim.sim.exchange.fetch_open_orders() if o.type == "stop-loss"]
            assert [(s.amount, s.price) for s in stops] == [(AMOUNT, Decimal(stop_price))]  # the exchange's stop

            second = start_run(tmp_path, port, env)
            wait_role(port, "owner")
            db = make_engine(env["DATABASE_URL"])
            trade = _open_trade(db, deadline_s=60)  # reconcile / the first sync brackets the fill
            assert trade.stop_order_id == stops[0].id, "the restart did not adopt the exchange's stop"
            ever = [o for o in sim.sim.exchange.fetch_open_orders() + sim.sim.exchange.fetch_closed_orders()
                    if o.type == "stop-loss"]
            assert [o.id for o in ever] == [stops[0].id]  # no stop of Zyn's own beside it, ever
            assert trade.amount == AMOUNT
        finally:
            stop(second, first)


def _open_trade(db: object, deadline_s: float) -> TradeRow:
    end = time.time() + deadline_s
    while time.time() < end:
        with Session(db) as s:  # type: ignore[arg-type]
            rows = [t for t in s.exec(select(TradeRow)).all() if t.status == "open" and t.stop_order_id]
        if rows:
            assert len(rows) == 1
            return rows[0]
        time.sleep(0.3)
    raise AssertionError("no open trade with a stop after the restart")
