"""The autopilot: one decision per closed candle per pair, with the backtest's own code.

`tick` drives the strategy (through the `core.strategy.port` port; `sma20_atr` unless another
is given) and the account-wide `DailyLossGuard` exactly as
`core/research/backtest.py` does (equity = cash + positions marked at the candle close; the guard sees
the close BEFORE the decision; tripped while in position -> flatten now, i.e. at the next open;
`enter` -> TradingService.enter). That sameness is what the replay parity test checks.
Every decision, skips included, becomes a DecisionRow with the numbers behind it.
The exit side (the cool-off each exit feeds, shadow exits, the kill-switch's feed, the pair's
restored run) is the base class `AutopilotExits` in `core/trading/autopilot_exits.py`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from loguru import logger

from core.domain import Candle, ZynError
from core.evidence import PairEvidence
from core.kernel.live_rules import review
from core.kernel.strategies import DEFAULT_STRATEGY, strategy_named
from core.markets.timeframes import timeframe_ms
from core.ports import MarketFeed
from core.strategy.account_risk import AccountRiskConfig, account_risk_refusal, position_risk
from core.strategy.entry_rules import EntryRules
from core.strategy.mtf import history_needed
from core.strategy.pinned import CloseContext, Decision, GateFn
from core.strategy.port import Strategy
from core.telemetry.models import DecisionRow
from core.trading.autopilot_exits import AutopilotExits, PairRun, trip_detail
from core.trading.commands import EnterOnSignal, ExitPosition, LockInProfit, ResumeIfDue, TripKillSwitch
from core.trading.door import TradingDoor
from core.trading.events import PositionClosed
from core.trading.positions import dec
from core.trading.rules import EntryContext, TradingPolicy, blocking_rule
from core.trading.servant import evidence_text
from core.trading.shadow import ShadowBook
from core.trading.tick_reading import TickReader, TickReading

GateProvider = Callable[[], GateFn | None]
EvidenceFn = Callable[[str, int], PairEvidence]  # (pair, close ms) -> live/shadow (core.trading.servant)
NO_DATA_EVERY_MS = 3_600_000
HISTORY_LIMIT = 200  # candles fetched per pair at least (mtf asks more); the root sizes the kernel by it


class Autopilot(AutopilotExits):
    def __init__(  # noqa: PLR0913
        self,
        service: TradingDoor,
        *,
        timeframe: str,
        pairs: Sequence[str] | None = None,
        feed: MarketFeed | None = None,
        gate: GateProvider | None = None,
        history_limit: int = HISTORY_LIMIT,
        snapshot_equity: bool = True,
        strategy: Strategy | None = None,
        policy: TradingPolicy | None = None,
        rules: EntryRules | None = None,
        evidence: EvidenceFn | None = None,
        shadow: ShadowBook | None = None,
        account_risk: AccountRiskConfig | None = None,
    ) -> None:
        self.service, self.timeframe, self.feed, self.gate = service, timeframe, feed, gate
        self.strategy: Strategy = strategy or strategy_named(DEFAULT_STRATEGY)  # the compiled kernel
        self.policy = policy  # the owner's risk settings and standing rules (None = the pinned ones)
        self.pairs = tuple(pairs if pairs is not None else service.pairs)
        self.history_limit, self.snapshot_equity = history_limit, snapshot_equity
        self.rules = rules  # the optional modules (mtf, profit_target): the backtest's same code
        if rules is not None:

            self.history_limit = max(history_limit, history_needed(timeframe, rules.confirming))
        # issue 17: the evidence gate (None = ZYN_EVIDENCE=off, the plain strategy everywhere), the
        # shadow positions it keeps, and the account-wide cap on live positions' risk
        self.evidence, self.account_risk = evidence, account_risk
        self.shadow = shadow  # the root builds it with the evidence gate (None: no shadow positions)
        self._zero_equity_told: set[str] = set()
        self._tf_ms = timeframe_ms(timeframe)
        self._runs: dict[str, PairRun] = {}
        self._marks: dict[str, float] = {}
        self._atr: dict[str, float] = {}
        self._no_data_at: dict[str, int] = {}
        self._snapshot_ts: int | None = None
        self._reader = TickReader(service, self._counted)  # the exchange read before the lock, the equity
        service.subscribe(PositionClosed, self._on_exit)  # the cool-off learns of every exit

    def set_pairs(self, pairs: Sequence[str]) -> tuple[str, ...]:
        """Trade these pairs from the next tick on (the universe), plus every pair still held,
        which keeps being managed after it drops out. Returns the pairs now traded."""
        held = [b.pair for b in self.service.brackets()]
        self.pairs = tuple(dict.fromkeys([*pairs, *held]))
        return self.pairs

    def atr(self, pair: str) -> float | None:
        return self._atr.get(pair)

    # ------------------------------------------------------------------ live loop
    def run_once(self) -> list[DecisionRow]:
        """Tick every pair's closed candles not yet decided; survive a feed without data."""
        with self.service.decisions_batch():  # the tick's decisions in one commit (issue 20.4)
            return self._run_all()

    def _run_all(self) -> list[DecisionRow]:
        rows: list[DecisionRow] = []
        failure: Exception | None = None
        for pair in self.pairs:
            candles: list[Candle] = []
            if self.feed is not None:
                try:
                    candles = self.feed.closed_candles(pair, self.timeframe, self.history_limit)
                except ZynError as exc:
                    logger.bind(pair=pair, action="feed").warning("no candles: {}", exc)
            if not candles:
                rows.extend(self._no_data(pair))
                continue
            try:
                run = self._run(pair)
                if run.last_ts is None or candles[-1].ts > run.last_ts:
                    rows.append(self.tick(pair, candles))
            except Exception as exc:  # noqa: BLE001 - one pair's trouble must not stop the others
                failure = failure or exc
                logger.bind(pair=pair, action="tick").exception("tick failed: {}", exc)
        if failure is not None:
            raise failure  # after every pair had its turn: the job's error alert still fires
        return rows

    def _no_data(self, pair: str) -> list[DecisionRow]:
        now = self.service.now_ms()
        if now - self._no_data_at.get(pair, -NO_DATA_EVERY_MS) < NO_DATA_EVERY_MS:
            return []
        self._no_data_at[pair] = now
        row = DecisionRow(
            ts_ms=now, pair=pair, timeframe=self.timeframe, action="none", reason="no market data"
        )
        return [self.service.record_decision(row)]

    # ------------------------------------------------------------------ one candle
    def tick(self, pair: str, history: Sequence[Candle]) -> DecisionRow:
        """Decide at the close of `history[-1]` (earlier candles only warm the indicators).

        The exchange is read first, without the trading lock (issue 18): the sync's stop reads,
        the balances and the prices the equity and the next open need. The lock covers deciding
        and sending; a reading that an action on another thread made stale meanwhile (the
        service's `version` moved) is discarded and read again under the lock."""
        self.service.sync()  # reads the stops before it takes the lock
        quote = self._market(pair).quote
        return self.service.read_then_act(
            lambda: self._reader.read(pair, quote, self._marks), lambda read: self._decide(pair, history, read)
        )

    def _decide(self, pair: str, history: Sequence[Candle], reading: TickReading) -> DecisionRow:
        """The decision at the close of `history[-1]`, under the trading lock, from `reading`."""
        candle = history[-1]
        run = self._run(pair)
        if run.last_ts is not None and candle.ts <= run.last_ts:
            return DecisionRow(
                ts_ms=candle.ts,
                pair=pair,
                timeframe=self.timeframe,
                action="none",
                reason="candle already decided",
            )
        self._warm(run, history, len(history) - 1)
        self._apply_policy(run)
        self._marks[pair] = candle.close
        self._walk_shadow(run, pair, history)
        exact, exact_cash = self._reader.equity(pair, self._market(pair).quote, candle, reading, self._marks)
        equity, cash = float(exact), float(exact_cash)  # the strategy (kernel) and the snapshot: floats
        tripped = self._feed_guard(pair, candle.ts, exact)
        self.service.handle(ResumeIfDue(candle.ts + self._tf_ms))  # a timed pause over by this close (replay-exact)
        paused = self.service.paused_reason
        gate = self.gate() if self.gate is not None else None
        guard_halted = self.service.halted(candle.ts)
        halted = guard_halted or paused is not None
        # a manual position is not its own; a shadow position is (the strategy holds it)
        flat = not self.service.has_position(pair, "autopilot") and not self._in_shadow(pair)
        verdict = self.evidence(pair, candle.ts + self._tf_ms) if self.evidence is not None else None
        next_open = reading.next_open if reading.next_open is not None else candle.close
        decision = run.strategy.decide(candle, CloseContext(equity, flat, halted, next_open, gate))
        run.last_ts = run.warmed_to = candle.ts
        if decision.atr is not None:
            self._atr[pair] = decision.atr
            self.service.note_atr(pair, decision.atr)
        if paused is not None and decision.action == "halted" and not guard_halted:
            decision = replace(decision, reason=f"signal ignored: trading paused ({paused})")
        target_action = None
        if self.rules is not None:
            start = self.service.loss_guard().start_equity
            target_action = self.rules.on_close(candle.ts, equity, float(start) if start is not None else None)

            decision = review(self.rules, decision, history)
        decision = self._obey_rules(decision, candle.ts + self._tf_ms)
        decision = self._servant(decision, verdict)
        extras: list[Any] = self.service.pair_state_rows(pair, run.strategy.persisted(), run.last_ts)
        if self.snapshot_equity and self._snapshot_ts != candle.ts:
            self._snapshot_ts = candle.ts
            extras.append(self.service.equity_row(candle.ts, equity, cash))
        row = self._act(pair, decision, tripped, extras, verdict)
        if target_action is not None:
            self.service.handle(LockInProfit(target_action, self.rules.target if self.rules else None))
        return row

    def _act(
        self, pair: str, decision: Decision, tripped: bool, extras: list[Any], verdict: PairEvidence | None = None
    ) -> DecisionRow:
        """Write the decision (with the state it leaves behind, one commit), then carry it out."""
        row = _row(decision, self.timeframe, verdict.state if verdict is not None else None)
        in_position = self.service.has_position(pair)
        if tripped and in_position:
            row.action, row.reason = "flatten", f"daily loss kill-switch tripped; {decision.reason}"
        row = self.service.record_decision(row, extras)
        if tripped:
            self.service.handle(TripKillSwitch(trip_detail(self.service.loss_guard(), decision)))
        elif in_position and self.service.halted(decision.ts):
            # Still holding while the kill-switch is on (its flatten failed, or the tick that
            # tripped it did not finish): the kill-switch means flat, so try again now.
            result = self.service.handle(ExitPosition(pair, "kill_switch"))
            outcome = f"closed {len(result.exits)} position(s)" if result.ok else result.detail
            self.service.note_safety("kill_switch", f"{pair}: retrying the flatten: {outcome}")
        if decision.action == "shadow" and self.shadow is not None:
            self.shadow.open(pair, decision.ts, decision.amount, _stop_distance(decision), decision.target_distance)
        if decision.action == "enter":
            result = self.service.handle(EnterOnSignal(pair, decision, row.id))
            if not result.ok and row.id is not None:
                self.service.amend_decision(row.id, action="skip", reason=f"entry refused: {result.detail}")
                row.action, row.reason = "skip", f"entry refused: {result.detail}"
        return row

    # ------------------------------------------------------------------ the servant (issue 17)
    def _servant(self, decision: Decision, verdict: PairEvidence | None) -> Decision:
        """An entry on a pair in shadow becomes a `shadow` decision (same size, stop, target; no
        order); a live entry over the account-wide cap becomes a skip naming the cap."""
        if decision.action != "enter":
            return decision
        if verdict is not None and verdict.state != "live":
            logger.bind(pair=decision.pair, action="shadow").info("entry kept in shadow: {}", evidence_text(verdict))
            # the sized entry, kept: "evidence gate: shadow — 41 trades over 14 months, expectancy ..."
            figures = evidence_text(verdict).partition(": ")[2]
            return replace(decision, action="shadow", reason=f"evidence gate: {figures}")
        if self.account_risk is None:
            return decision
        open_risks = [position_risk(b.amount, b.entry_price, b.stop) for b in self.service.brackets()]
        new_risk = decision.amount * _stop_distance(decision)
        equity = dec(decision.equity or 0.0)
        refusal = account_risk_refusal(open_risks, new_risk, equity, self.account_risk)
        if not refusal:
            return decision
        logger.bind(pair=decision.pair, action="skip", reason=refusal).info(
            "entry skipped: open risk {} + {} with {} live position(s) at equity {}",
            sum(open_risks, Decimal(0)), new_risk, len(open_risks), equity,
        )
        return replace(decision, action="skip", reason=refusal)

    # ------------------------------------------------------------------ owner policy
    def _apply_policy(self, run: PairRun) -> None:
        """The owner's risk settings from chat: sizing, daily loss limit and cool-off length."""
        if self.policy is None:
            return
        cfg = self.policy.risk(self.service.cfg)
        run.strategy.apply_risk(cfg)
        self.service.set_loss_limit(cfg.daily_loss_limit)

    def _obey_rules(self, decision: Decision, when_ms: int) -> Decision:
        """An entry a standing rule forbids becomes a skip with the rule as its reason."""
        if self.policy is None or decision.action != "enter":
            return decision
        held = sum(1 for p in self.service.markets if self.service.has_position(p))
        ctx = EntryContext(decision.pair, when_ms, self.policy.tz(), held)
        rule = blocking_rule(self.policy.rules(), ctx)
        if rule is None:
            return decision
        logger.bind(pair=decision.pair, action="skip", rule=rule.kind).info("entry skipped by a standing rule")
        return replace(decision, action="skip", reason=f"standing rule: {rule.text}")

    # ------------------------------------------------------------------ state
    def _warm(self, run: PairRun, history: Sequence[Candle], end: int) -> None:
        """Indicator warm-up from candles (not stored); cool-off counts candles missed while down.

        Only the tail not seen yet is visited (found from the end), so a replay that passes its
        whole growing history on every tick stays linear.
        """
        start = end
        while start > 0 and (run.warmed_to is None or history[start - 1].ts > run.warmed_to):
            start -= 1
        for i in range(start, end):
            c = history[i]
            run.strategy.warm(c, missed=run.last_ts is not None and c.ts > run.last_ts)
            run.warmed_to = c.ts

    def _counted(self, pair: str) -> bool:
        """Whether a pair's coin is part of the equity: traded now, or still held."""
        return pair in self.pairs or self.service.has_position(pair)


def _stop_distance(d: Decision) -> Decimal:
    if d.stop_distance is not None:
        return d.stop_distance
    if d.entry_price is not None and d.stop is not None:
        return dec(d.entry_price - d.stop)
    return Decimal(0)


def _row(d: Decision, timeframe: str, evidence: str | None = None) -> DecisionRow:
    moment = datetime.fromtimestamp(d.ts / 1000, tz=UTC)
    context: dict[str, Any] = {"hour": moment.hour, "weekday": moment.weekday(), "entry_price_est": d.entry_price}
    if evidence is not None:
        context["evidence"] = evidence  # the gate's state at this close (live | shadow)
    return DecisionRow(
        ts_ms=d.ts,
        pair=d.pair,
        timeframe=timeframe,
        action=d.action,
        reason=d.reason,
        price=d.close,
        sma=d.sma,
        atr=d.atr,
        amount=float(d.amount) if d.amount else None,
        stop=d.stop,
        target=d.target,
        equity=d.equity,
        learner_version=d.gate.version,
        learner_note=d.gate.note,
        size_factor=d.gate.factor,
        context_json=json.dumps(context),
    )
