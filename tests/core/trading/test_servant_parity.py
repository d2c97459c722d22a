"""Gate parity (issue 17): the live autopilot's live/shadow states in a replay equal the `--servant`
walk-forward's (`core.evidence.servant.servant_walk_forward`), candle by candle, and so do its
entries: every plain-strategy signal the walk calls live is an `enter`, every one it calls shadow
a `shadow` decision with its size, stop and target and no order.

The replay is the real one (PaperExchange + ReplayDriver + Autopilot + LiveEvidence fed from the
replay's own files, cut at each close). The rule is a deliberately permissive test rule (few
trades needed, narrow interval) so that pairs do turn live and back within a short replay — the
default rule would keep everything in shadow here and the test would compare only shadows.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, select

from core.clock import SimClock
from core.evidence import EvidenceGate, GateRule
from core.evidence.servant import servant_walk_forward, signal_close
from core.kernel.arrays import CandleArrays
from core.market_data.csv_loader import load_csv
from core.market_data.resample import resample
from core.markets.catalog import market_for
from core.markets.timeframes import timeframe_ms
from core.paper.exchange import PaperExchange
from core.strategy.account_risk import AccountRiskConfig
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import DecisionRow
from core.trading.autopilot import Autopilot
from core.trading.replay import ReplayDriver
from core.trading.servant import ArraySource, LiveEvidence
from core.trading.service import TradingService
from core.trading.shadow import ShadowBook
from core.trading.take_profit import TakeProfitWatcher

RULE = GateRule(name="parity-test", min_trades=3, prior_trades=2.0, z=0.0, enter_above=-0.1, exit_below=-0.1)
PAIRS = {"BTC/USDT": "BINANCE_BTC-USDT_1h.csv", "ETH/USDT": "BINANCE_ETH-USDT_1h.csv",
         "SOL/USDT": "BINANCE_SOL-USDT_1h.csv"}
ROWS = 2600  # ~3.5 months of 1h candles -> ~650 4h candles per pair
TF = "4h"


def _data(data_dir: Path) -> dict[str, list]:  # type: ignore[type-arg]
    return {pair: load_csv(data_dir / "binance" / name)[:ROWS] for pair, name in PAIRS.items()}


def test_the_autopilots_live_and_shadow_decisions_equal_the_servant_walk_forward(data_dir: Path) -> None:
    raw = _data(data_dir)
    markets = {p: market_for(p) for p in raw}
    arrays = {p: CandleArrays.from_candles(resample(c, "1h", TF)) for p, c in raw.items()}
    walk = servant_walk_forward({p: (arrays[p], markets[p]) for p in raw}, TF, seeds=1, rule=RULE)
    flips = sum(len(steps) for steps in walk.walk.transitions.values())
    assert flips >= 2, walk.walk.transitions  # the test rule must make pairs go live (and the test compare both)

    # the live side: a replay through the paper exchange, the gate fed from the files cut at each close
    engine = make_engine("sqlite://")
    clock = SimClock(min(c[0].ts for c in raw.values()))
    exchange = PaperExchange(engine, markets, clock, start_balances={"USDT": Decimal(10000)})
    service = TradingService(exchange, engine, clock, pairs=tuple(raw), markets=markets, start_equity=10000.0,
                             sleep=lambda _s: None)
    kv = KeyValueStore(engine)
    live = LiveEvidence(EvidenceGate(RULE), tuple(raw), ArraySource(arrays, TF, markets.__getitem__), kv=kv)
    autopilot = Autopilot(service, timeframe=TF, evidence=live.verdict, shadow=ShadowBook(kv),
                          account_risk=AccountRiskConfig())
    TakeProfitWatcher(service).attach()
    replay = ReplayDriver(exchange, autopilot, clock, {p: ("1h", c) for p, c in raw.items()}, trading=service,
                          timeframe=TF)
    replay.run_to_end()

    with Session(engine) as s:
        rows = list(s.exec(select(DecisionRow)).all())
    tf_ms = timeframe_ms(TF)
    decided = {(r.pair, r.ts_ms): r for r in rows}
    # 1. candle by candle: the state the autopilot acted on is the walk-forward's
    compared = 0
    for r in rows:
        state = json.loads(r.context_json).get("evidence")
        if state is None:
            continue
        assert state == walk.walk.state_at(r.pair, r.ts_ms + tf_ms), (r.pair, r.ts_ms, r.action, r.reason)
        compared += 1
    assert compared > 1500
    # 2. signal by signal: live -> enter (an order), shadow -> shadow (no order)
    seen = {"enter": 0, "shadow": 0}
    for tape in walk.tapes:
        for trade, is_live in zip(tape.trades, walk.live[tape.pair], strict=True):
            row = decided.get((tape.pair, signal_close(tape, trade, tf_ms) - tf_ms))
            if row is None:  # the replay's last candle is never decided (no next open)
                continue
            expected = "enter" if is_live else "shadow"
            assert row.action == expected, (tape.pair, trade.entry_ts, row.action, row.reason)
            seen[expected] += 1
    assert seen["enter"] >= 1 and seen["shadow"] >= 1, seen
