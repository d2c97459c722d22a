"""A standby `zyn run` answers its monitors with the owner's /healthz code (adapters/web/health.py):
role "standby", ok while another process holds the lease, and only ok/not ok for a caller that is
neither on loopback nor holding WEB_CHAT_TOKEN (the same rule as the owner's)."""

from __future__ import annotations

from pathlib import Path

from bot.settings import load_settings
from bot.wiring.standby import create_standby_app
from core.clock import RealClock
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore
from scheduler.lock import SchedulerLock

REMOTE = {"REMOTE_ADDR": "203.0.113.9"}


def test_the_standby_healthz_follows_the_owner_lease_with_the_owner_access_rule(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/zyn.db"
    db = make_engine(url)
    kv = KeyValueStore(db)
    web = create_standby_app(load_settings({"DATABASE_URL": url}), db, kv).test_client()

    alone = web.get("/healthz")
    assert alone.status_code == 503
    assert alone.get_json() == {"ok": False, "role": "standby", "mode": "paper",
                                "owner": {"alive": False, "serving": False}}
    assert web.get("/healthz", environ_base=REMOTE).get_json() == {"ok": False}

    lock = SchedulerLock(db, RealClock(), lease_s=30)
    assert lock.acquire()  # another process owns the money now
    try:
        owned = web.get("/healthz")
        assert owned.status_code == 200 and owned.get_json()["owner"]["alive"]
        remote = web.get("/healthz", environ_base=REMOTE)
        assert remote.status_code == 200 and remote.get_json() == {"ok": True}
    finally:
        lock.release()
