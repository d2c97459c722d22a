"""Private calls from many threads on one key: Kraken refuses a nonce that is not strictly greater
than the last one it saw, so two threads that sign in one order and arrive in the other cost an
`EAPI:Invalid nonce` (and Kraken can lock a key after repeated ones). Real ccxt, real HTTP, the sim
checks nonces like Kraken; not one may be refused."""

from __future__ import annotations

import threading
from collections import Counter

from adapters.kraken.exchange import KrakenExchange
from tests.fakes.sim_server import PaperSim


def test_concurrent_private_calls_never_send_a_stale_nonce(sim: PaperSim, kraken: KrakenExchange) -> None:
    kraken.load_markets()
    errors: list[BaseException] = []
    done = Counter[str]()
    start = threading.Barrier(8)

    def worker(i: int) -> None:
        start.wait()
        for n in range(12):
            try:
                if (i + n) % 2:
                    kraken.fetch_balances()
                else:
                    kraken.fetch_open_orders()
                done["ok"] += 1
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    refusals: Counter[str] = sim.app.extensions["zyn_sim_refusals"]
    assert refusals["EAPI:Invalid nonce"] == 0, refusals
    assert errors == [] and done["ok"] == 8 * 12
