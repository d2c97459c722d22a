"""The evidence record of the module set the autopilot trades with (issue 17 point 1).

With `mtf` on, the live evidence (core/trading/servant.py, kept incrementally) must be the kernel
backtest's with mtf — the trades a `zyn backtest --features mtf` run over the whole file has closed
by each close, as evidence — not the plain strategy's; and a feature switch mid-run must give the
record of the set switched to, never a mix. Real 1h candles from ../shared/data.
No order is sent here (no exchange, no autopilot): ZYN_EVIDENCE does not apply.
"""

from __future__ import annotations

from pathlib import Path

from core.evidence import EvidenceGate, EvidenceTrade, GateRule
from core.evidence.module_set import PLAIN, ModuleSet
from core.evidence.plain import as_evidence
from core.evidence.walk import walk_gate
from core.kernel.arrays import CandleArrays
from core.kernel.backtest import KernelBacktester
from core.market_data.csv_loader import load_arrays
from core.markets.catalog import market_for
from core.markets.timeframes import timeframe_ms
from core.strategy.entry_rules import EntryRules
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore
from core.trading.servant import ArraySource, LiveEvidence, record_modules_of

# a permissive test rule, so that the mtf record does turn pairs live and back here (the default rule
# keeps everything in shadow on these candles: the test would compare shadows only)
RULE = GateRule(name="modules-test", min_trades=3, prior_trades=2.0, z=0.0, enter_above=-0.7, exit_below=-0.7)
TF = "1h"
ROWS = 5000  # ~7 months of hourly candles
PAIRS = ("BTC/USDT", "ETH/USDT")
MTF: ModuleSet = frozenset({"mtf"})
FIGURES = ("trades", "months", "expectancy_r", "interval_low", "interval_high", "pooled_r")


def _arrays(data_dir: Path) -> dict[str, CandleArrays]:
    return {p: load_arrays(data_dir / "binance" / f"BINANCE_{p.replace('/', '-')}_1h.csv").head(ROWS) for p in PAIRS}


def _rules(modules: ModuleSet) -> EntryRules:
    return EntryRules.fixed(TF, tuple(sorted(modules)))


def _backtest(arrays: dict[str, CandleArrays], modules: ModuleSet) -> dict[str, list[EvidenceTrade]]:
    """`zyn backtest --features ...` over each whole file (the kernel), its trades as evidence."""
    out = {}
    for pair, a in arrays.items():
        rules = _rules(modules) if modules else None
        out[pair] = as_evidence(KernelBacktester(pair, TF, market_for(pair), rules=rules).run(a).trades, TF)
    return out


def _closed_by(trades: list[EvidenceTrade], at: int) -> list[EvidenceTrade]:
    return [t for t in trades if t.closed_ms <= at]


def _figures(pairs_json: dict[str, dict[str, object]]) -> dict[str, dict[str, object]]:
    return {p: {k: fig[k] for k in FIGURES} for p, fig in pairs_json.items()}


def _reference(trades: dict[str, list[EvidenceTrade]], at: int) -> dict[str, dict[str, object]]:
    """The figures a gate holding exactly these trades closed by `at` gives (no other record in it)."""
    gate = EvidenceGate(RULE)
    for pair_trades in trades.values():
        gate.add_all(_closed_by(pair_trades, at))
    return _figures({p: ev.to_json() for p, ev in gate.evaluate(PAIRS, at).items()})


def _closes(a: CandleArrays, first: int) -> list[int]:
    return [int(t) + timeframe_ms(TF) for t in a.ts[first:]]


def test_with_mtf_on_the_evidence_is_the_kernel_backtest_with_mtf_at_every_close(data_dir: Path) -> None:
    arrays = _arrays(data_dir)
    mtf, plain = _backtest(arrays, MTF), _backtest(arrays, PLAIN)
    vetoed = {p: {t.entered_ms for t in plain[p]} - {t.entered_ms for t in mtf[p]} for p in PAIRS}
    assert all(vetoed.values()), vetoed  # mtf does veto plain entries on both pairs
    closes = _closes(arrays[PAIRS[0]], 30)
    source = ArraySource(arrays, TF, market_for, _rules)
    live = LiveEvidence(EvidenceGate(RULE), PAIRS, source, modules=lambda: MTF)
    walk = walk_gate(PAIRS, [t for p in PAIRS for t in mtf[p]], closes, RULE)
    assert sum(len(steps) for steps in walk.transitions.values()) >= 2  # pairs do go live: both states compared
    differs = 0
    for n, at in enumerate(closes):
        states = {p: live.verdict(p, at) for p in PAIRS}
        # the states, close by close, are the gate walked over the mtf backtest's trades
        assert {p: ev.state for p, ev in states.items()} == {p: walk.state_at(p, at) for p in PAIRS}, at
        if n % 25 == 0:
            for p in PAIRS:  # the record itself: the backtest's trades closed by then, nothing else
                assert list(source.trades(p, at, MTF)) == _closed_by(mtf[p], at), (p, at)
            figures = _figures({p: ev.to_json() for p, ev in states.items()})
            assert figures == _reference(mtf, at), at
            differs += figures != _reference(plain, at)
    assert live.record_modules == MTF
    assert live.latest()["BTC/USDT"].trades == len(_closed_by(mtf["BTC/USDT"], closes[-1])) > 10
    assert differs > 50  # and the mtf record is not the plain one where mtf vetoed entries


def test_a_feature_switch_mid_run_starts_the_new_record_and_never_mixes_the_two(data_dir: Path) -> None:
    arrays = _arrays(data_dir)
    mtf, plain = _backtest(arrays, MTF), _backtest(arrays, PLAIN)
    kv = KeyValueStore(make_engine("sqlite://"))
    switch: dict[str, ModuleSet] = {"on": PLAIN}
    live = LiveEvidence(EvidenceGate(RULE), PAIRS, ArraySource(arrays, TF, market_for, _rules), kv=kv,
                        modules=lambda: switch["on"])
    closes = _closes(arrays[PAIRS[0]], 30)[::7]
    on_at, off_at = len(closes) // 3, 2 * len(closes) // 3
    seen: dict[ModuleSet, int] = {PLAIN: 0, MTF: 0}
    for n, at in enumerate(closes):
        switch["on"] = MTF if on_at <= n < off_at else PLAIN  # `set feature mtf on`, later `off`
        record = mtf if switch["on"] == MTF else plain
        figures = _figures({p: live.verdict(p, at).to_json() for p in PAIRS})
        # each close: exactly the switched-to set's record, with its whole history (none of the other's trades)
        assert figures == _reference(record, at), (n, sorted(switch["on"]))
        assert live.record_modules == switch["on"] and record_modules_of(kv) == switch["on"]
        seen[switch["on"]] += figures != _reference(mtf if record is plain else plain, at)
    assert seen[PLAIN] > 20 and seen[MTF] > 20, seen


def test_the_default_module_set_is_todays_plain_record(data_dir: Path) -> None:
    arrays = _arrays(data_dir)
    closes = _closes(arrays[PAIRS[0]], 100)[::10]
    today = LiveEvidence(EvidenceGate(RULE), PAIRS, ArraySource(arrays, TF, market_for))
    keyed = LiveEvidence(EvidenceGate(RULE), PAIRS, ArraySource(arrays, TF, market_for, _rules),
                         modules=lambda: PLAIN)
    for at in closes:
        assert {p: today.verdict(p, at).to_json() for p in PAIRS} == {p: keyed.verdict(p, at).to_json() for p in PAIRS}
    assert keyed.record_modules == PLAIN
