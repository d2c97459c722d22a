"""A `zyn run` frozen (SIGSTOP) in the middle of a `yes` and resumed after another process took the
lease never reaches the exchange (issue 19.4: lease fencing). Real processes: two `zyn run` in
live mode on one SQLite database, against the Kraken sim on loopback, judged by the sim's orders.

Order path: ZYN_EVIDENCE=off.

Why the freeze is taken with the database's write lock held by the test (it was flaky): SQLite has
one writer at a time, and a process stopped inside a write transaction (its lease renewal, a status
write: a few ms every second) keeps that lock while stopped, so the standby could not write its
takeover until the owner resumed, and the test waited out its deadline. Holding the write lock
while sending SIGSTOP, and letting it go only once every thread of the owner is seen stopped,
freezes the owner between writes every time. The delay on the balance read also applies to every
BalanceEx until the freeze: a one-shot fault could be taken by a background job's read (the status
sync) instead of the yes's, letting the yes reach the exchange before the freeze.
"""

from __future__ import annotations

import os
import signal
import sqlite3
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


def all_threads_stopped(pid: int) -> bool:
    """Every thread of `pid` is in the stopped state (T), as /proc/PID/task/*/stat says."""
    states = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            states.append((task / "stat").read_text().rsplit(")", 1)[-1].split()[0])
        except OSError:  # a thread that ended meanwhile
            continue
    return bool(states) and all(state in ("T", "t") for state in states)


def freeze_between_writes(pid: int, db: Path, deadline_s: float = 30) -> None:
    """SIGSTOP `pid` while this test holds the SQLite write lock, so the frozen process cannot be
    inside a write transaction (which would keep the lock, and every other writer out, while it is
    stopped); the lock is let go once every thread of `pid` is stopped."""
    holder = sqlite3.connect(db, timeout=deadline_s, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # waits for the owner's write in progress, if any, to end
        os.kill(pid, signal.SIGSTOP)
        end = time.time() + deadline_s
        while not all_threads_stopped(pid):
            if time.time() > end:
                raise AssertionError(f"process {pid} did not stop")
            time.sleep(0.01)
        holder.execute("ROLLBACK")
    finally:
        holder.close()


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
            # the yes's balance read waits (so does any background read until the freeze: see above)
            sim.sim.app.config["FAULTS"] = [Fault("BalanceEx", "delay", delay_s=6, times=1_000)]
            answer: dict[str, str] = {}

            def say_yes() -> None:
                try:
                    answer["reply"] = post_chat(port_a, "yes")["reply"]
                except OSError as exc:  # the stale owner may close its port on its way out
                    answer["reply"] = f"(no answer: {exc})"

            worker = threading.Thread(target=say_yes, daemon=True)
            worker.start()
            wait_count(counter, "BalanceEx", seen)  # the yes is in flight, waiting on the exchange
            try:
                freeze_between_writes(a.pid, tmp_path / "zyn.db")
                sim.sim.app.config["FAULTS"] = []  # the held read keeps its delay; the standby's reads do not wait
                assert worker.is_alive()  # frozen during the yes: no answer yet
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
