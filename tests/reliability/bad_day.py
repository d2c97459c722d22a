"""A property test of Zyn's money paths on the exchange's bad days (issue 19, "Also build").

Hypothesis (stateful, `RuleBasedStateMachine`) drives random sequences of owner actions — a chat
buy or sell confirmed with `yes`, `cancel all`, `flatten` + `yes`, a stop moved up to break-even
(the profit-target step, as `crash_child.py` runs it), `pause`/`resume` — and autopilot candles
through a live-mode Zyn from the composition root, on real ccxt, against the Kraken sim on
127.0.0.1, whose seeded `BadDay` schedule (adapters/sim_exchange/bad_day.py) deals the faults:
answers lost, empty/HTML 200s, fills seen late, fake accepts, rate limits, partial fills,
socket drops. A second TradingService, whose lease another process took over, tries to trade
now and then. After every step (the weather paused, within the documented order grace) the
machine checks, judged by the sim's own state:
- every coin held on the exchange is under stops of exactly its amount, one per position;
- no order was sent twice for one intent (AddOrder per client reference at the sim, beyond a
  resend after a definite refusal, and at most one executed order per reference);
- the ledger equals the exchange (Zyn's positions per coin = the sim's balances; open orders,
  journal, status: `tests/reliability/invariants.py`);
- no order call ever reached the sim from the process without the lease.

A failure prints the schedule's seed and every fault it dealt; the same seed and steps replay
the same faults (the schedule depends only on the seed and the order of requests).
Order path: ZYN_EVIDENCE=off (the evidence gate would hold the autopilot's entries in shadow).

Longer runs (the closing note's figures): `python -m tests.reliability.bad_day --examples 500`.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from adapters.kraken.exchange import KrakenExchange
from adapters.sim_exchange.bad_day import KINDS, BadDay, Struck
from adapters.sim_exchange.runner import SimExchange, build_sim_exchange
from bot.conversation.envelope import Envelope
from bot.text.safety import profit_lock_lines
from bot.wiring.app import Zyn
from core.clock import RealClock
from core.domain import ZynError
from core.telemetry.db import make_engine
from core.trading.circuit_breaker import CircuitBreaker
from core.trading.profit_lock import lock_in_profit
from core.trading.service import TradingService
from core.trading.types import ManualOrder
from scheduler.lock import SchedulerLock
from tests.bot.wiring.test_app_modes_sim import build
from tests.conftest import shared_data
from tests.fakes.sim_server import SimServer
from tests.reliability.invariants import check_store

PAIRS = ("BTC/USD", "ETH/USD")
AMOUNTS = {"BTC/USD": ("0.002", "0.003"), "ETH/USD": ("0.05", "0.08")}
FOUR_HOURS = 4 * 3_600_000
GRACE_S = 2.0  # ZYN_ORDER_GRACE_S: "not found" proves nothing before it (longer than HIDE_S: the documented promise)
HIDE_S = 1.0  # how long the schedule keeps an executed order out of the reads
SETTLE_S = GRACE_S + HIDE_S + 6.0  # the longest the checks wait for Zyn to converge after a step
ORDER_CALLS = frozenset({"AddOrder", "CancelOrder", "CancelAll", "CancelAllOrdersAfter", "EditOrder", "AmendOrder"})
STALE = "stale"  # the X-Zyn-Process header of the process without the lease
# One rule draws the step; repeats weight it (buys and candles make the positions the rest act on).
ACTIONS = ("buy", "candles", "buy", "sell", "candles", "buy", "cancel all", "flatten", "move stop", "pause",
           "resume", "stale process", "buy", "candles")
STALE_ACTIONS = ("buy", "cancel", "flatten", "sync")
WARMUP_ROWS, DATA_ROWS = 800, 1400  # 1h candles: 200 4h candles of history, then room for ~150 candle steps


class OrderLog:
    """WSGI middleware: every private call the sim received, with its client reference and sender."""

    def __init__(self, app: Any) -> None:
        self.app, self._lock = app, threading.Lock()
        self.calls: list[tuple[str, str, str]] = []  # (method, cl_ord_id or userref, process)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith("/0/private/"):
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(size) if size else b""
            environ["wsgi.input"] = io.BytesIO(body)
            params = dict(parse_qsl(body.decode("utf-8", "replace")))
            ref = params.get("cl_ord_id") or params.get("userref") or ""
            who = str(environ.get("HTTP_X_ZYN_PROCESS", "owner"))
            with self._lock:
                self.calls.append((path.rsplit("/", 1)[-1], ref, who))
        return self.app(environ, start_response)

    def snapshot(self) -> list[tuple[str, str, str]]:
        with self._lock:
            return list(self.calls)


_DATA: dict[str, Path] = {}


def sim_data() -> Path:
    """The shared Kraken 1h candles cut to DATA_ROWS rows in a temp folder (loads in a fraction of
    the full files' time; never committed)."""
    if "dir" not in _DATA:
        out = Path(tempfile.mkdtemp(prefix="zyn-bad-day-data-"))
        for src in sorted((shared_data() / "kraken").glob("KRAKEN_*-USD_1h.csv")):
            lines = src.read_text().splitlines()
            (out / src.name).write_text("\n".join(lines[: DATA_ROWS + 1]) + "\n")
        _DATA["dir"] = out
    return _DATA["dir"]


@dataclass
class Rig:
    """One fresh world per example: the sim, its schedule, the owner Zyn and the stale process."""

    tmp: Path
    sim: SimExchange
    server: SimServer
    day: BadDay
    log: OrderLog
    zyn: Zyn
    stale_exchange: KrakenExchange
    stale_lock: SchedulerLock
    told: list[str] = field(default_factory=list)
    said: list[str] = field(default_factory=list)  # what Zyn answered during the current step

    def close(self) -> None:
        self.day.paused = True
        try:
            self.zyn.close()
        finally:
            self.server.stop()
            shutil.rmtree(self.tmp, ignore_errors=True)


def build_rig(seed: int, rate: float, order_rate: float) -> Rig:
    tmp = Path(tempfile.mkdtemp(prefix="zyn-bad-day-"))
    sim = build_sim_exchange(str(sim_data()), "", "", {"USD": Decimal(10000)}, 60.0, f"sqlite:///{tmp}/sim.db",
                             warmup_candles=WARMUP_ROWS)
    sim.app.config["RATE_LIMIT"] = None  # the schedule deals the rate limits
    day = BadDay(seed, rate=rate, order_rate=order_rate, hide_s=HIDE_S)
    day.paused = True  # no weather while Zyn starts (its start is not what is under test)
    sim.app.config["BAD_DAY"] = day
    log = OrderLog(sim.app.wsgi_app)
    sim.app.wsgi_app = log  # type: ignore[method-assign]
    server = SimServer(sim.app).start()
    db = make_engine(f"sqlite:///{tmp}/zyn.db")
    clock = RealClock()
    stale_lock = SchedulerLock(db, clock, lease_s=0.05)
    assert stale_lock.acquire()  # the stale process held the lease first ...
    time.sleep(0.1)
    owner = SchedulerLock(db, clock, lease_s=3600)
    assert owner.acquire()  # ... and lost it to the owner when it ran out
    env = {"DATABASE_URL": f"sqlite:///{tmp}/zyn.db", "ZYN_MODE": "live", "ZYN_LIVE_CONFIRM": "yes",
           "KRAKEN_API_URL": server.url, "KRAKEN_API_KEY": sim.api_key, "KRAKEN_API_SECRET": sim.api_secret,
           "ZYN_PAIRS": ",".join(PAIRS), "ZYN_TIMEFRAME": "4h", "ZYN_EVIDENCE": "off",
           "ZYN_ORDER_GRACE_S": str(GRACE_S), "KRAKEN_TIER": "pro"}
    zyn = build(env, db=db, lease=owner)
    stale_exchange = KrakenExchange(
        server.url, sim.api_key, sim.api_secret, "live", clock, CircuitBreaker(clock),
        ccxt_options={"enableRateLimit": False, "headers": {"X-Zyn-Process": STALE}}, backoff_s=0.01,
    )
    rig = Rig(tmp, sim, server, day, log, zyn, stale_exchange, stale_lock)
    zyn.notifier.register("owner", lambda text, png: rig.told.append(text))
    return rig


def say(rig: Rig, text: str) -> str:
    reply = rig.zyn.dispatcher.handle(Envelope("cli", "owner", text)).text
    rig.said.append(" ".join(reply.split()))
    if VERBOSE:
        print(f"  > {text}\n    {' '.join(reply.split())[:200]}", file=sys.stderr)
    return reply


# ----------------------------------------------------------------------------- the checks
def coins_under_stops(rig: Rig) -> list[str]:
    """Every coin on the exchange is under stops of exactly its amount (the sim's own state)."""
    balances = rig.sim.exchange.fetch_balances().total
    open_ = rig.sim.exchange.fetch_open_orders()
    problems = []
    for pair in PAIRS:
        base = pair.split("/")[0]
        held = balances.get(base, Decimal(0))
        stops = sum((o.amount - o.filled for o in open_ if o.pair == pair and o.type == "stop-loss"
                     and o.side == "sell"), Decimal(0))
        if held != stops:
            problems.append(f"{base}: the exchange holds {held}, its stops cover {stops}")
    return problems


def ledger_equals_exchange(rig: Rig) -> list[str]:
    balances = rig.sim.exchange.fetch_balances().total
    problems = []
    for pair in PAIRS:
        base = pair.split("/")[0]
        mine = sum((b.amount for b in rig.zyn.trading.brackets(pair)), Decimal(0))
        if mine != balances.get(base, Decimal(0)):
            problems.append(f"{base}: Zyn's positions hold {mine}, the exchange {balances.get(base, Decimal(0))}")
    return problems


def sent_once(rig: Rig) -> list[str]:
    """AddOrder per client reference: once, plus one resend per definite refusal (a rate limit
    the schedule dealt to that reference: nothing executed, the adapter proved it absent)."""
    sends = Counter(ref for method, ref, who in rig.log.snapshot() if method == "AddOrder" and ref)
    refused = Counter(s.ref for s in rig.day.struck if s.method == "AddOrder" and s.kind == "rate_limit")
    problems = [f"AddOrder sent {n} times for {ref} ({refused[ref]} refused)"
                for ref, n in sends.items() if n > 1 + refused[ref]]
    executed = Counter(o.client_ref for o in rig.sim.exchange.fetch_open_orders()
                       + rig.sim.exchange.fetch_closed_orders() if o.client_ref)
    problems += [f"{n} orders executed for {ref}" for ref, n in executed.items() if n > 1]
    return problems


def nothing_from_the_stale_process(rig: Rig) -> list[str]:
    sent = [(m, ref) for m, ref, who in rig.log.snapshot() if who == STALE and m in ORDER_CALLS]
    return [f"the process without the lease sent {sent}"] if sent else []


def all_checks(rig: Rig) -> list[str]:
    return (coins_under_stops(rig) + ledger_equals_exchange(rig) + sent_once(rig)
            + nothing_from_the_stale_process(rig)
            + check_store(rig.zyn.db, rig.sim.exchange, rig.zyn.status.snapshot()))


def settle(rig: Rig) -> list[str]:
    """The weather paused, let Zyn converge (its syncs, as its scheduler would run them) for at most
    SETTLE_S; returns what still does not hold then (empty when everything holds)."""
    rig.day.paused = True
    deadline = time.monotonic() + SETTLE_S
    while True:
        rig.zyn.trading.sync(full=True)
        rig.zyn.status.sync(force=True)
        problems = all_checks(rig)
        if not problems or time.monotonic() > deadline:
            return problems
        time.sleep(0.25)


# ----------------------------------------------------------------------------- the machine
class BadDayMachine(RuleBasedStateMachine):
    rate = 0.15  # the share of private calls that get a fault (the CLI runner may change it)
    order_rate = 0.9  # the share of AddOrders: most kinds concern orders, and they are few beside the reads

    def __init__(self) -> None:
        super().__init__()
        self.rig: Rig | None = None
        self.steps = self.dealt_before = 0
        self.trail: list[str] = []  # the steps so far, printed with a broken check

    @property
    def world(self) -> Rig:
        assert self.rig is not None
        return self.rig

    @initialize(seed=st.integers(0, 2**31 - 1))
    def start(self, seed: int) -> None:
        self.rig = build_rig(seed, self.rate, self.order_rate)
        STATS["examples"] += 1
        print(f"bad day schedule seed {seed}", file=sys.stderr)

    @rule(action=st.sampled_from(ACTIONS), pair=st.sampled_from(PAIRS), size=st.integers(0, 1),
          with_stop=st.booleans(), candles=st.integers(1, 3), stale=st.sampled_from(STALE_ACTIONS))
    def act(self, action: str, pair: str, size: int, with_stop: bool, candles: int, stale: str) -> None:
        """One step: `action` with the parameters it uses (the others are ignored)."""
        rig = self.world
        if action == "candles":  # they close at the sim before the weather starts
            rig.sim.clock.advance(candles * FOUR_HOURS)
            rig.sim.replayer.step()
        self.steps += 1
        STATS["steps"] += 1
        self.trail.append(f"{action}({pair}, {size}, sl={with_stop}, candles={candles}, stale={stale})")
        rig.said.clear()
        self.dealt_before = len(rig.day.struck)
        rig.day.paused = False
        if action == "buy":
            stop = f" sl {int(rig.sim.exchange.fetch_ticker(pair).last * Decimal('0.95'))}" if with_stop else ""
            say(rig, f"buy {AMOUNTS[pair][size]} {pair.lower()}{stop}")
            say(rig, "yes")
        elif action == "sell":
            say(rig, f"sell {AMOUNTS[pair][size]} {pair.lower()}")
            say(rig, "yes")
        elif action in ("cancel all", "flatten", "resume"):
            say(rig, action)
            say(rig, "yes")
        elif action == "pause":
            say(rig, action)
        elif action == "move stop":  # the profit target's break-even step, as crash_child.py runs it
            with rig.zyn.trading.lock:
                rig.said.extend(profit_lock_lines("breakeven", lock_in_profit(rig.zyn.trading, "breakeven", None)))
        elif action == "candles":  # the scheduler's own job wrapper: a failed tick is its error alert
            rig.zyn.scheduler.run_now("autopilot")
            state = rig.zyn.scheduler.state()
            rig.said.append(f"autopilot job: runs {state['runs'].get('autopilot', 0)}, "
                            f"errors {state['errors'].get('autopilot', 0)}")
        if action != "stale process" and self.steps % 2 == 0:
            self._stale_tries(stale)  # every other step the process without the lease tries too
        if action == "stale process":
            self._stale_tries(stale)

    def _stale_tries(self, action: str) -> None:
        """The process whose lease was taken over acts on its own (stale) view of the book."""
        rig = self.world
        stale = TradingService(rig.stale_exchange, rig.zyn.db, RealClock(), pairs=PAIRS, source="live",
                               fence=rig.stale_lock.fence, order_grace_s=GRACE_S, backoff_s=0.01)
        STATS["stale attempts"] += 1
        try:
            if action == "buy":
                result = stale.place_manual(ManualOrder("buy", Decimal(AMOUNTS["BTC/USD"][0]), "BTC/USD")).text
            elif action == "cancel":
                result = stale.cancel(None).text
            elif action == "flatten":
                result = stale.flatten("stale owner").text
            else:
                result = f"sync: {len(stale.sync(full=True))} exit(s)"
        except ZynError as exc:  # refused: what matters is what reached the sim (checked after the step)
            result = f"{type(exc).__name__}: {exc}"
        rig.said.append(f"stale process {action}: {result}")

    @invariant()
    def money_is_safe(self) -> None:
        if self.rig is None:
            return
        problems = settle(self.rig)
        if problems:
            text = "; ".join(problems) + "\n" + self.rig.day.schedule()
            print(f"BROKEN after step {self.steps}: {text}\nsteps: {self.trail}", file=sys.stderr, flush=True)
            raise AssertionError(text)
        answers = [line for line in self.rig.said if not line.startswith("jimmy, please confirm")]  # not echoes
        tally(self.rig.day.struck[self.dealt_before:], " / ".join(answers) or "(no answer)")
        self.dealt_before = len(self.rig.day.struck)

    def teardown(self) -> None:
        if self.rig is not None:
            if VERBOSE:
                print(self.rig.day.schedule(), file=sys.stderr)
            STATS["faults"] += len(self.rig.day.struck)
            STATS["requests"] += self.rig.day.requests
            self.rig.close()


STATS: Counter[str] = Counter()
TALLY: dict[str, dict[str, Any]] = {}  # per fault kind: times dealt, steps, what Zyn said in the first


def tally(dealt: list[Struck], said: str) -> None:
    """Count the faults one step was dealt (its checks all held), keeping the first step's answer."""
    for kind in sorted({s.kind for s in dealt}):
        row = TALLY.setdefault(kind, {"dealt": 0, "steps": 0, "said": said, "first": next(
            str(s) for s in dealt if s.kind == kind)})
        row["dealt"] += sum(1 for s in dealt if s.kind == kind)
        row["steps"] += 1


MEANING = {
    "answer_lost": "AddOrder executed, the connection dropped before the answer",
    "empty200": "AddOrder executed, answered by an empty HTTP 200",
    "html200": "AddOrder executed, answered by an HTML HTTP 200 (a Cloudflare page)",
    "late_fill": f"AddOrder answered, the order unseen by every read for {HIDE_S:g} s",
    "fake_accept": "AddOrder \"accepted\" with a txid the exchange never placed",
    "rate_limit": "EAPI:Rate limit exceeded on any private call (nothing done)",
    "partial": "an order filling on arrival fills half; the rest stays open",
    "socket_drop": "the WebSocket connection cut at its next message",
}


def table_rows() -> list[tuple[str, str, str, str]]:
    """The README's rows: one per fault kind the run dealt, then the run as a whole."""
    rows = []
    for kind in KINDS:
        row = TALLY.get(kind)
        if row is None:
            continue
        rows.append((f"{MEANING[kind]} ({row['dealt']} dealt in {row['steps']} step(s); first: {row['first']})",
                     row["said"][:240], "all hold after every step", "pass"))
    rows.append((f"the whole run: {STATS['examples']} sequences, {STATS['steps']} steps, {STATS['faults']} faults "
                 f"in {STATS['requests']} private calls",
                 f"the process without the lease tried {STATS['stale attempts']} times; order calls from it at "
                 "the sim: 0", "coins under stops of their amount, each order sent once, ledger = exchange, "
                 "no order without the lease", "pass"))
    return rows
VERBOSE = False  # the CLI's --verbose: every chat line and reply on stderr
CI_SETTINGS = settings(max_examples=4, stateful_step_count=10, deadline=None, database=None, derandomize=True,
                       suppress_health_check=list(HealthCheck), print_blob=True)


# The defect the CI run found (a break-even stop filled in part; fixed, its deterministic regression is
# tests/reliability/test_unknown_outcomes.py), as hypothesis printed it: schedule seed,
# then (action, pair, size, with_stop, candles, stale) per step.
OPEN_DEFECT_SEED = 29_865
OPEN_DEFECT_STEPS = [("buy", "ETH/USD", 1, False, 2, "sync"), ("resume", "BTC/USD", 0, False, 2, "flatten"),
                     ("buy", "ETH/USD", 1, False, 2, "flatten"), ("candles", "BTC/USD", 1, True, 3, "flatten"),
                     ("move stop", "BTC/USD", 1, False, 2, "cancel")]


def replay_open_defect() -> str:
    """Run the open defect's steps exactly (no hypothesis): '' when every check held, else what broke."""
    state = BadDayMachine()
    state.rate, state.order_rate = 0.15, 0.9  # the CI run's rates
    state.start(seed=OPEN_DEFECT_SEED)
    try:
        for action, pair, size, with_stop, candles, stale in OPEN_DEFECT_STEPS:
            state.act(action=action, pair=pair, size=size, with_stop=with_stop, candles=candles, stale=stale)
            state.money_is_safe()
        return ""
    except AssertionError as exc:
        return str(exc)
    finally:
        state.teardown()


def main(argv: list[str] | None = None) -> int:
    """`python -m tests.reliability.bad_day --examples 500 [--steps 30] [--seed N] [--rate 0.15]`."""
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.bad_day")
    parser.add_argument("--examples", type=int, default=50)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (default: random, printed)")
    parser.add_argument("--rate", type=float, default=BadDayMachine.rate)
    parser.add_argument("--order-rate", type=float, default=BadDayMachine.order_rate)
    parser.add_argument("--verbose", action="store_true", help="print every chat line and reply")
    parser.add_argument("--no-shrink", action="store_true", help="report the first failing sequence as found")
    parser.add_argument("--derandomize", action="store_true", help="fixed sequences (no seed)")
    parser.add_argument("--replay-open-defect", action="store_true", help="replay the known open defect's steps")
    args = parser.parse_args(argv)
    if args.replay_open_defect:
        broken = replay_open_defect()
        print(f"open defect: {broken or 'every check held (fixed?)'}", flush=True)
        return 1 if broken else 0
    global VERBOSE  # noqa: PLW0603 - a flag of this script's own run
    VERBOSE = args.verbose
    import random

    from hypothesis import seed as hypothesis_seed
    from hypothesis.stateful import run_state_machine_as_test

    chosen = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    BadDayMachine.rate, BadDayMachine.order_rate = args.rate, args.order_rate
    print(f"hypothesis seed {chosen} (replay: --seed {chosen}); {args.examples} sequences of up to "
          f"{args.steps} steps, fault rate {args.rate:g} (AddOrder {args.order_rate:g})", flush=True)
    started = time.monotonic()
    phases = [Phase.explicit, Phase.reuse, Phase.generate] + ([] if args.no_shrink else [Phase.shrink])
    runs = settings(max_examples=args.examples, stateful_step_count=args.steps, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck), print_blob=True, phases=phases,
                    derandomize=args.derandomize)
    try:
        run = lambda: run_state_machine_as_test(BadDayMachine, settings=runs)  # noqa: E731
        (run if args.derandomize else hypothesis_seed(chosen)(run))()
    finally:
        print(f"ran {STATS['examples']} sequences, {STATS['steps']} steps, {STATS['faults']} faults dealt in "
              f"{STATS['requests']} private requests, {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
