"""A `zyn run` frozen (SIGSTOP) in the middle of a `yes` and resumed after another process took the
lease never reaches the exchange (issue 19.4: lease fencing). Real processes: two `zyn run` in
live mode on one SQLite database, against the Kraken sim on loopback, judged by the sim's orders.

Order path: ZYN_EVIDENCE=off.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from decimal import Decimal
from pathlib import Path

from adapters.sim_exchange.server import Fault
from tests.bot.owner.test_one_owner import base_env, free_port, post_chat, start_run, stop, wait_role
from tests.bot.wiring.test_app_modes_sim import kraken_sim
from tests.reliability.test_unknown_outcomes import MethodCounter, count

AMOUNT = Decimal("0.0037")  # no other order in this test has this amount


def wait_count(counter: MethodCounter, method: str, above: int, deadline_s: float = 30) -> None:
    end = time.time() + deadline_s
    while counter.counts.get(method, 0) <= above:
        if time.time() > end:
            raise AssertionError(f"no {method} reached the sim")
        time.sleep(0.02)


def test_an_owner_frozen_during_a_yes_and_resumed_after_a_takeover_sends_nothing(
    tmp_path: Path, data_dir: Path
) -> None:
    with kraken_sim(tmp_path, data_dir) as sim:
        counter = count(sim)
        env = base_env(DATABASE_URL=f"sqlite:///{tmp_path}/zyn.db", ZYN_MODE="live", ZYN_LIVE_CONFIRM="yes",
                       KRAKEN_API_URL=sim.url, KRAKEN_API_KEY=sim.sim.api_key, KRAKEN_API_SECRET=sim.sim.api_secret,
                       ZYN_PAIRS="BTC/USD,ETH/USD", ZYN_TIMEFRAME="4h", ZYN_OWNER_LEASE_S="3", ZYN_EVIDENCE="off")
        port_a, port_b = free_port(), free_port()
        a = start_run(tmp_path, port_a, env)
        b = None
        try:
            wait_role(port_a, "owner")
            b = start_run(tmp_path, port_b, env)
            wait_role(port_b, "standby")
            stop_price = int(sim.price("BTC/USD") * Decimal("0.9"))
            echo = post_chat(port_a, f"buy {AMOUNT} btc sl {stop_price}")["reply"]
            assert "yes" in echo.lower(), echo
            seen = counter.counts.get("BalanceEx", 0)
            sim.sim.app.config["FAULTS"] = [Fault("BalanceEx", "delay", delay_s=6)]  # the yes's balance read
            answer: dict[str, str] = {}

            def say_yes() -> None:
                try:
                    answer["reply"] = post_chat(port_a, "yes")["reply"]
                except OSError as exc:  # the stale owner may close its port on its way out
                    answer["reply"] = f"(no answer: {exc})"

            worker = threading.Thread(target=say_yes, daemon=True)
            worker.start()
            wait_count(counter, "BalanceEx", seen)  # the yes is in flight, waiting on the exchange
            os.kill(a.pid, signal.SIGSTOP)
            try:
                wait_role(port_b, "owner", deadline_s=90)  # the standby took the lease over
            finally:
                os.kill(a.pid, signal.SIGCONT)
            worker.join(60)
            assert not worker.is_alive()  # the resumed owner answered (or closed its port)
            orders = sim.sim.exchange.fetch_open_orders() + sim.sim.exchange.fetch_closed_orders()
            assert [o for o in orders if o.amount == AMOUNT] == [], answer
            assert sim.balances().get("BTC") == Decimal("0.5")  # the sim's account: nothing bought
        finally:
            stop(b, a)
        err = a.stderr.read() if a.stderr else ""
        # it did try to buy once resumed, and the database's fence refused it
        assert "lease fence refused an order" in err, (answer, err[-3000:])
