"""The evidence as the live autopilot reads it (core/trading/servant.py): only candles closed by each
evaluation's moment count (no look-ahead), every pair starts in shadow, and a pair the owner forced
is live with `forced` set."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.evidence import EvidenceGate, GateRule
from core.kernel.arrays import CandleArrays
from core.market_data.csv_loader import load_arrays
from core.markets.catalog import market_for
from core.markets.timeframes import timeframe_ms
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore
from core.trading.servant import ArraySource, LiveEvidence, evidence_text

RULE = GateRule(name="look-ahead-test", min_trades=3, prior_trades=2.0, z=0.0, enter_above=-0.1, exit_below=-0.1)
TF = "1h"
PAIRS = ("BTC/USDT", "ETH/USDT")


def _arrays(data_dir: Path) -> dict[str, CandleArrays]:
    return {p: load_arrays(data_dir / "binance" / f"BINANCE_{p.replace('/', '-')}_1h.csv").head(2500) for p in PAIRS}


def _rewritten_after(a: CandleArrays, cut: int) -> CandleArrays:
    """The same candles up to `cut`, then a different future (prices halved and reversed)."""
    def tail(x: np.ndarray) -> np.ndarray:
        return np.concatenate([x[:cut], x[cut:][::-1] * 0.5])

    high, low = tail(a.high), tail(a.low)
    return CandleArrays(a.ts, tail(a.open), high, low, tail(a.close))


def _states(evidence: LiveEvidence, closes: list[int]) -> list[dict[str, object]]:
    return [{p: evidence.verdict(p, at).to_json() for p in PAIRS} for at in closes]


def test_the_evidence_at_a_close_never_sees_a_later_candle(data_dir: Path) -> None:
    real = _arrays(data_dir)
    cut = 1500
    other = {p: _rewritten_after(a, cut) for p, a in real.items()}
    tf_ms = timeframe_ms(TF)
    closes = [int(t) + tf_ms for t in real[PAIRS[0]].ts[100:2400:10]]
    before = [c for c in closes if c <= int(real[PAIRS[0]].ts[cut - 1]) + tf_ms]
    a = LiveEvidence(EvidenceGate(RULE), PAIRS, ArraySource(real, TF, market_for))
    b = LiveEvidence(EvidenceGate(RULE), PAIRS, ArraySource(other, TF, market_for))
    states_a, states_b = _states(a, closes), _states(b, closes)
    n = len(before)
    assert n > 50 and states_a[:n] == states_b[:n]  # identical while the candles are identical
    assert states_a[n:] != states_b[n:]  # and the rewritten future does change what comes after


def test_every_pair_starts_in_shadow_and_a_forced_pair_is_live(data_dir: Path) -> None:
    real = _arrays(data_dir)
    kv = KeyValueStore(make_engine("sqlite://"))
    forced: set[str] = set()
    ev = LiveEvidence(EvidenceGate(RULE), PAIRS, ArraySource(real, TF, market_for), lambda: frozenset(forced), kv)
    assert {p: e.state for p, e in ev.latest().items()} == {p: "shadow" for p in PAIRS}
    assert evidence_text(ev.latest()["BTC/USDT"]) == "BTC/USDT: shadow — no trades in its record yet"
    forced.add("BTC/USDT")
    at = int(real["BTC/USDT"].ts[2000]) + timeframe_ms(TF)
    btc = ev.verdict("BTC/USDT", at)
    assert btc.state == "live" and btc.forced and btc.trades > 0
    # another process (zyn status without the owner) reads the same verdicts from the kv table
    again = LiveEvidence(EvidenceGate(RULE), PAIRS, ArraySource(real, TF, market_for), lambda: frozenset(), kv)
    assert again.to_json() == ev.to_json()


def test_live_evidence_from_the_candle_store_equals_the_in_memory_record(data_dir: Path) -> None:
    """Live, the candles come from the candle store (SQL): the same record as the same candles in memory."""
    from core.market_data.store_sql import SqlCandleStore
    from core.trading.servant import StoreSource

    real = _arrays(data_dir)
    store = SqlCandleStore(make_engine("sqlite://"))
    for pair, a in real.items():
        store.add(pair, TF, a.to_candles())
    closes = [int(t) + timeframe_ms(TF) for t in real[PAIRS[0]].ts[200:2400:50]]
    stored = LiveEvidence(EvidenceGate(RULE), PAIRS,
                          StoreSource(lambda p, until: store.history(p, TF, until), TF, market_for))
    memory = LiveEvidence(EvidenceGate(RULE), PAIRS, ArraySource(real, TF, market_for))
    assert _states(stored, closes) == _states(memory, closes)
    assert stored.latest()["BTC/USDT"].trades > 0
