"""`zyn run`'s watchdog on a live feed: the sim exchange (the feed's Kraken) goes away and comes
back; the owner hears once that the feed is down and once that it recovered; /healthz lists it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from adapters.web.health import health_report
from bot.wiring.app import build_zyn
from core.config import load_settings
from tests.fakes.sim_server import SimServer, build_paper_sim


def wait_until(cond: Callable[[], bool], step: Callable[[], object], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not reached in time"
        step()
        time.sleep(0.1)


def test_feed_fails_and_recovers_with_one_notice_each(tmp_path: Path) -> None:
    sim = build_paper_sim(tmp_path, {"BTC/USD": [30000.0 + i for i in range(60)]})
    server = SimServer(sim.app).start()
    port = int(server.url.rsplit(":", 1)[1])
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "live", "KRAKEN_API_URL": server.url,
           "ZYN_PAIRS": "BTC/USD", "ZYN_TIMEFRAME": "1h"}
    zyn = build_zyn(load_settings(env))
    notes: list[str] = []
    zyn.notifier.register("test", lambda text, png=None: notes.append(text))
    zyn.start()
    wd = zyn.modules.watchdog
    try:
        zyn.autopilot.run_once()
        assert health_report(zyn)["components"]["feed"]["last_heartbeat_ms"] is not None
        server.stop()
        step = lambda: (zyn.autopilot.run_once(), wd.check_once())  # noqa: E731 - the thread checks too
        wait_until(lambda: any("feed (feed) is down" in n for n in notes), step)
        assert health_report(zyn)["components"]["feed"]["state"] == "down"
        server = SimServer(sim.app, port=port).start()
        wait_until(lambda: any("feed recovered" in n for n in notes), step)
        zyn.notifier.flush()
        watchdog_notes = [n for n in notes if n.startswith("Watchdog")]
        assert len(watchdog_notes) == 2, watchdog_notes
        assert health_report(zyn)["components"]["feed"]["state"] == "ok"
        assert not wd.failed
    finally:
        zyn.close()
        server.stop()
