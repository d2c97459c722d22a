"""One owner for the money, with real processes on one database (issue 7).

`zyn run` owns the money; `zyn chat` / `zyn status` in another process act through it; a second
`zyn run` stands by without writing a trading row and takes over when the owner is killed; a
stop-less chat order in validate mode is priced from ATR fetched on demand and reaches the
Kraken sim only with validate=true. The ledger tests run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from core.telemetry.db import make_engine
from tests.pg import BACKENDS, fresh_engine
from tests.ports import free_port

TRADING_TABLES = ("orders", "trades", "paper_orders", "paper_fills", "paper_balances", "safety_events")
CLEAN = ("ZYN_", "DATABASE_URL", "PAPER_", "KRAKEN_", "TELEGRAM_", "SLACK_", "TWILIO_", "SMS_", "OPENAI_", "WEB_CHAT")


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEAN)}
    env.update(extra)
    return env


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def post_chat(port: int, message: str) -> dict[str, Any]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/chat", data=json.dumps({"message": message}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=60) as resp:
        return dict(json.loads(resp.read()))


def start_run(cwd: Path, port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_role(port: int, role: str, deadline_s: float = 90) -> dict[str, Any]:
    end = time.time() + deadline_s
    while time.time() < end:
        try:
            code, body = get(f"http://127.0.0.1:{port}/healthz")
            if code == 200 and body.get("role") == role:
                return dict(body)
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"no {role} on port {port} within {deadline_s} s")


def wait_price(port: int, deadline_s: float = 60) -> None:
    """The replay has quoted BTC (a positive signal before ordering): the web chat's `price BTC`."""
    end = time.time() + deadline_s
    while time.time() < end:
        if "is at" in post_chat(port, "price BTC")["reply"]:
            return
        time.sleep(0.3)
    raise AssertionError("the replay never quoted BTC/USD")


def zyn(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def counts(db: Engine) -> dict[str, int]:
    with db.connect() as conn:
        return {t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()) for t in TRADING_TABLES}  # noqa: S608


def ledger(db: Engine) -> list[tuple[Any, ...]]:
    with db.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM paper_balances ORDER BY 1")).all()]


def stop(*procs: subprocess.Popen[str] | None) -> None:
    for proc in procs:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        if proc is not None:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def database(backend: str, tmp_path: Path) -> tuple[str, Engine]:
    engine = fresh_engine(backend, tmp_path)  # empty tables (PostgreSQL: an empty schema)
    url = engine.url.render_as_string(hide_password=False)
    return url, engine


@pytest.mark.parametrize("backend", BACKENDS)
def test_chat_from_another_process_acts_through_the_running_owner(tmp_path: Path, data_dir: Path,
                                                                  backend: str) -> None:
    url, db = database(backend, tmp_path)
    port = free_port()
    env = base_env(DATABASE_URL=url, PAPER_FEED="replay", PAPER_DATA=str(data_dir / "kraken"), PAPER_SPEED="3600",
                   ZYN_TIMEFRAME="1d",
                   ZYN_LOG_LEVEL="WARNING")
    owner = start_run(tmp_path, port, env)
    try:
        wait_role(port, "owner")
        wait_price(port)
        errors_before = _errors(db)
        buy = zyn(tmp_path, env, "chat", "buy 0.01 BTC/USD sl 3000")
        assert buy.returncode == 0 and "confirm" in buy.stdout.lower(), buy.stdout + buy.stderr
        yes = zyn(tmp_path, env, "chat", "yes")
        assert yes.returncode == 0 and "Bought" in yes.stdout, yes.stdout + yes.stderr
        seen = time.time()
        snap: dict[str, Any] = {}
        while time.time() - seen < 2:  # the owner's page shows it at once, not after a restart
            snap = get(f"http://127.0.0.1:{port}/api/status")[1]
            if any(p["pair"] == "BTC/USD" for p in snap["positions"]):
                break
            time.sleep(0.1)
        assert [p["amount"] for p in snap["positions"] if p["pair"] == "BTC/USD"] == [0.01]
        cli_status = json.loads(zyn(tmp_path, env, "status", "--json").stdout)
        assert _book(cli_status) == _book(snap) and cli_status["balances"] == snap["balances"]  # one ledger
        assert cli_status["autopilot"]["running"]  # the owner's view, not "no market data"

        web = post_chat(port, "positions")
        cli = zyn(tmp_path, env, "chat", "positions")
        assert web["title"] in cli.stdout and web["text"] in cli.stdout  # the same answer as the web chat

        flat = zyn(tmp_path, env, "chat", "flatten")
        assert flat.returncode == 0 and "confirm" in flat.stdout.lower(), flat.stdout + flat.stderr
        done = zyn(tmp_path, env, "chat", "yes")
        assert done.returncode == 0 and "closed 1 position" in done.stdout.lower(), done.stdout + done.stderr
        assert get(f"http://127.0.0.1:{port}/api/status")[1]["positions"] == []
        with db.connect() as conn:
            fills = conn.execute(text("SELECT id FROM paper_fills")).all()
        assert len(fills) == len({f[0] for f in fills}) == 2  # the buy and the flatten, once each
        assert _errors(db) == errors_before
    finally:
        stop(owner)
    assert owner.returncode == 0, owner.stderr[-2000:]
    assert "Traceback" not in owner.stderr


def _book(snap: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What must agree between two views taken a moment apart (marks move with the replay)."""
    return [(p["pair"], p["amount"], p["entry_price"], p["stop_price"]) for p in snap["positions"]]


def _errors(db: Engine) -> int:
    with db.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM errors")).scalar_one())


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_standby_run_writes_nothing_and_takes_over_once_when_the_owner_dies(tmp_path: Path, data_dir: Path,
                                                                              backend: str) -> None:
    url, db = database(backend, tmp_path)
    port, port2 = free_port(), free_port()
    env = base_env(DATABASE_URL=url, PAPER_FEED="replay", PAPER_DATA=str(data_dir / "kraken"), PAPER_SPEED="3600",
                   ZYN_TIMEFRAME="1d",
                   ZYN_LOG_LEVEL="INFO", ZYN_OWNER_LEASE_S="3")
    owner = start_run(tmp_path, port, env)
    standby = None
    try:
        wait_role(port, "owner")
        wait_price(port)
        assert zyn(tmp_path, env, "chat", "buy 0.01 BTC/USD sl 3000").returncode == 0
        assert "Bought" in zyn(tmp_path, env, "chat", "yes").stdout
        before, paper_before = counts(db), ledger(db)
        standby = start_run(tmp_path, port2, env)
        health = wait_role(port2, "standby")
        assert health["owner"]["serving"]
        reply = post_chat(port2, "positions")  # positive signal: the standby served a request (forwarded)
        assert "BTC/USD" in reply["reply"]
        assert counts(db) == before and ledger(db) == paper_before  # the standby touched nothing

        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=10)
        killed = time.time()
        try:
            wait_role(port2, "owner", deadline_s=90)
        except AssertionError:
            stop(standby)
            raise AssertionError((standby.stderr.read() if standby.stderr else "")[-5000:]) from None
        assert time.time() - killed < 3 + 87  # lease time + a fresh start (candles loaded, reconciled)
        snap = get(f"http://127.0.0.1:{port2}/api/status")[1]
        assert [p["amount"] for p in snap["positions"] if p["pair"] == "BTC/USD"] == [0.01]  # kept, not "gone"
    finally:
        stop(standby, owner)
    assert standby is not None
    err = standby.stderr.read() if standby.stderr else ""  # type: ignore[union-attr]
    assert err.count("Reconcile") == 1, err[-3000:]
    assert "closed as missing" not in err and "Traceback" not in err, err[-4000:]


def test_validate_mode_chat_order_without_stop_is_priced_from_atr_and_only_validated(tmp_path: Path,
                                                                                       data_dir: Path) -> None:
    sim_dir, zyn_dir = tmp_path / "sim", tmp_path / "zyn"
    sim_dir.mkdir()
    zyn_dir.mkdir()
    port = free_port()
    sim = subprocess.Popen([sys.executable, "-m", "bot", "sim-exchange", "--port", str(port), "--data",
                            str(data_dir / "kraken" / "KRAKEN_BTC-USD_1h.csv")], cwd=sim_dir, env=base_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [sim.stdout.readline() for _ in range(3)]  # type: ignore[union-attr]
        key = next(ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("API key"))
        secret = next(ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("API secret"))
        env = base_env(ZYN_MODE="validate", KRAKEN_API_KEY=key, KRAKEN_API_SECRET=secret, ZYN_TIMEFRAME="1h",
                       KRAKEN_API_URL=f"http://127.0.0.1:{port}", ZYN_PAIRS="BTC/USD")
        _wait_http(f"http://127.0.0.1:{port}/0/public/Time")
        ask = zyn(zyn_dir, env, "chat", "buy 0.001 BTC/USD")
        assert ask.returncode == 0, ask.stdout + ask.stderr
        assert "please confirm" in ask.stdout and "stop" in ask.stdout.lower(), ask.stdout
        assert "not known" not in ask.stdout and "add sl" not in ask.stdout
        yes = zyn(zyn_dir, env, "chat", "yes")
        assert yes.returncode == 0 and "validat" in yes.stdout.lower(), yes.stdout + yes.stderr
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    sim_db = make_engine(f"sqlite:///{sim_dir}/var/sim_exchange.db")
    with sim_db.connect() as conn:  # validate=true: Kraken checked the orders, none was placed
        assert conn.execute(text("SELECT COUNT(*) FROM paper_orders")).scalar_one() == 0


def _wait_http(url: str, deadline_s: float = 30) -> None:
    end = time.time() + deadline_s
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")
