"""A transcript of jimmy's ordinary day (issue 22's closing note), against real processes.

    .venv/bin/python bench/owner_day.py [--data ../shared/data/kraken] [--runs 5] > bench/results/owner_day.txt

One throw-away SQLite database, real processes only: `zyn run` (paper, PAPER_FEED=replay of the
real candles in PAPER_DATA, ZYN_EVIDENCE=off so the autopilot trades the plain strategy beside the
owner) and, from other processes, `zyn chat "..."` and `zyn status --json` exactly as jimmy types
them in a second terminal. The day:

1. morning status; a manual `buy 0.05 BTC sl 1000 tp 90000` + `yes`;
2. the replay runs (PAPER_SPEED=7200) until the autopilot holds BTC/USD beside the manual position;
3. then at once `kill -9` of `zyn run`, a restart (slower, PAPER_SPEED=720: 2 simulated hours =
   10 s), the seconds until `zyn chat` is served again, and the replay's time before and after;
   `positions` and `trades` from the restarted owner show both positions, each its own entry price;
4. "pause for 2 hours": `status --json` shows `paused_until`; then the scheduler resumes by itself
   (the journal's safety event and the owner's alert text are printed) and status shows it;
5. "is the market open?";
6. `zyn chat status` client time against a bare `python -c pass`, alternately, in the same run.

Prints what the owner reads, each line stamped with the replay's simulated time.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PY = sys.executable
OWNER_PHONE = "+15550001"

from tests.fakes.twilio_api import FakeTwilioAPI  # noqa: E402 - the loopback Twilio the tests use


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Day:
    """The owner's processes on one database; `chat` and `status` are separate client processes."""

    def __init__(self, data: str, sms: FakeTwilioAPI) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="zyn-owner-day-"))
        self.port = free_port()
        self.sms, self.seen_sms = sms, 0
        self.env = {**os.environ, "DATABASE_URL": f"sqlite:///{self.tmp}/zyn.db", "PAPER_FEED": "replay",
                    "PAPER_DATA": data, "ZYN_EVIDENCE": "off", "ZYN_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
                    # jimmy's phone: alerts go out by SMS through the real twilio client to a loopback fake
                    "TWILIO_ACCOUNT_SID": sms.account_sid, "TWILIO_AUTH_TOKEN": sms.auth_token,
                    "TWILIO_FROM_NUMBER": "+15559990000", "TWILIO_API_URL": sms.url,
                    "SMS_ALLOWED_NUMBERS": OWNER_PHONE, "SMS_ALERT_TO": OWNER_PHONE}
        self.owner: subprocess.Popen[bytes] | None = None

    def start(self, speed: str) -> float:
        """Start `zyn run`; seconds until its scheduler runs (its /healthz says so)."""
        t0 = time.perf_counter()
        self.owner = subprocess.Popen(  # noqa: S603
            [PY, "-m", "bot", "run", "--port", str(self.port)], cwd=self.tmp,
            env={**self.env, "PAPER_SPEED": speed}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.time() + 180
        while time.time() < end:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as resp:  # noqa: S310
                    if json.loads(resp.read())["scheduler"].get("running"):
                        return time.perf_counter() - t0
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        raise SystemExit("zyn run did not start")

    def client(self, *args: str) -> tuple[int, str, float]:
        t0 = time.perf_counter()
        done = subprocess.run([PY, "-m", "bot", *args], cwd=self.tmp, env={**self.env, "ZYN_LOG_LEVEL": "ERROR"},  # noqa: S603
                              capture_output=True, text=True, timeout=120)
        return done.returncode, (done.stdout + done.stderr).strip(), time.perf_counter() - t0

    def status(self) -> dict[str, object]:
        code, out, _ = self.client("status", "--json")
        if code != 0:
            raise SystemExit(f"zyn status --json failed ({code}): {out[-300:]}")
        return dict(json.loads(out))

    def clock(self) -> str:
        """The replay's simulated time, as the owner's status JSON gives it (`as_of`)."""
        try:
            return str(self.status().get("as_of") or "?")
        except SystemExit:
            return "?"

    def say(self, text: str) -> str:
        self.phone()
        when = self.clock()
        code, out, took = self.client("chat", text)
        print(f"[sim {when}] jimmy> {text}    (zyn chat: exit {code}, {took:.2f} s)")
        print("  " + out.replace("\n", "\n  "))
        return out

    def phone(self) -> None:
        """The SMS alerts that reached jimmy's phone since the last look."""
        sent = [m for m in self.sms.sent if m["to"] == OWNER_PHONE]
        for m in sent[self.seen_sms:]:
            print("  [SMS to jimmy] " + str(m["body"]).replace("\n", " / ")[:300])
        self.seen_sms = len(sent)

    def kill9(self) -> None:
        assert self.owner is not None
        self.owner.send_signal(signal.SIGKILL)
        self.owner.wait(timeout=30)

    def stop(self) -> None:
        if self.owner is not None and self.owner.poll() is None:
            self.owner.send_signal(signal.SIGTERM)
            try:
                self.owner.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.owner.kill()

    def safety_events(self, kind: str) -> list[str]:
        with sqlite3.connect(self.tmp / "zyn.db") as db:
            rows = db.execute("select ts_ms, detail from safety_events where kind = ? order by id", (kind,)).fetchall()
        return [f"{datetime.fromtimestamp(ts / 1000, tz=UTC):%Y-%m-%d %H:%M} {detail}" for ts, detail in rows]


def _btc_rows(snap: dict[str, object]) -> list[dict[str, object]]:
    rows = snap.get("positions") or []
    assert isinstance(rows, list)
    return [p for p in rows if isinstance(p, dict) and p.get("pair") == "BTC/USD"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "kraken"))
    ap.add_argument("--runs", type=int, default=5, help="zyn chat vs python -c pass timings")
    ap.add_argument("--wait", type=float, default=900, help="seconds to wait for the autopilot's BTC entry")
    args = ap.parse_args()
    sms = FakeTwilioAPI().start()
    day = Day(args.data, sms)
    print(f"# jimmy's day — real processes on one database ({day.tmp}/zyn.db), {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print("# zyn run: paper, PAPER_FEED=replay PAPER_DATA=" + args.data + ", ZYN_EVIDENCE=off, alerts by SMS "
          "(real twilio client, loopback fake); every line below is a separate `zyn chat` / `zyn status --json` "
          "process; [sim ...] is the replay's time from the status JSON (as_of)\n")
    try:
        print(f"zyn run (PAPER_SPEED=7200: a 4-hour candle every 2 s) serving after {day.start('7200'):.1f} s\n")
        day.say("good morning")
        day.say("status")
        day.say("buy 0.05 BTC sl 1000 tp 90000")
        day.say("yes")
        end, last = time.time() + args.wait, {}
        while time.time() < end:  # the replay runs on until the autopilot holds BTC beside the manual buy
            last = day.status()
            rows = _btc_rows(last)
            if any(r.get("origin") == "autopilot" for r in rows) and any(r.get("origin") == "manual" for r in rows):
                break
            time.sleep(0.5)
        else:
            print("(the autopilot did not enter BTC/USD within the wait; positions as they are)")
        print("\n## kill -9 of zyn run as soon as the autopilot holds BTC beside the manual position; "
              "restarted at once (PAPER_SPEED=720: 2 simulated hours = 10 s)")
        before = last.get("as_of")
        day.kill9()
        t0 = time.perf_counter()
        day.start("720")
        served = None
        while time.perf_counter() - t0 < 120:
            code, _, _ = day.client("chat", "status")
            if code == 0:
                served = time.perf_counter() - t0
                break
        print(f"chat served again {served:.1f} s after the restart began (a `zyn chat status` exited 0)"
              if served is not None else "chat NOT served within 120 s of the restart")
        print(f"replay time: {before} before the kill, {day.clock()} after the restart (never back in time)")

        print("\n## the manual position beside the autopilot's, in the same pair (after the restart)")
        day.say("positions")
        day.say("trades 5")
        for r in _btc_rows(day.status()):
            print(f"  status JSON: BTC/USD {r.get('origin')} #{r.get('trade_id')} amount {r.get('amount')} "
                  f"entry {r.get('entry_price')} stop {r.get('stop_price')} target {r.get('take_profit_price')}")

        print("\n## a timed pause")
        day.say("pause for 2 hours")
        snap = day.status()
        auto = snap.get("autopilot") or {}
        assert isinstance(auto, dict)
        print(f"  status JSON: paused_until {snap.get('paused_until')!r}, paused_reason {auto.get('paused_reason')!r}")
        end = time.time() + 90
        while time.time() < end:
            snap = day.status()
            if not snap.get("paused_until"):
                break
            time.sleep(1)
        auto = snap.get("autopilot") or {}
        assert isinstance(auto, dict)
        print(f"  status JSON later: paused_until {snap.get('paused_until')}, "
              f"paused_reason {auto.get('paused_reason')!r}")
        for line in day.safety_events("resume"):
            print(f"  journal (safety_events, resume): {line}")
        day.say("status")

        print("\n## is the market open?")
        day.say("is the market open?")

        print(f"\n## zyn chat client time vs a bare python start, alternately, {args.runs} runs each")
        bare, chat = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            subprocess.run([PY, "-c", "pass"], check=True)  # noqa: S603
            bare.append(time.perf_counter() - t)
            code, out, took = day.client("chat", "status")
            if code != 0:
                raise SystemExit(f"zyn chat failed: {out[-300:]}")
            chat.append(took)
        mb, mc = statistics.median(bare), statistics.median(chat)
        print(f"python -c pass: median {mb:.3f} s (best {min(bare):.3f})")
        print(f"zyn chat status: median {mc:.3f} s (best {min(chat):.3f}); ratio {mc / mb:.1f}x")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        day.phone()
    finally:
        day.stop()
        sms.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
