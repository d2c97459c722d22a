"""`learn` (chat, `zyn learn`, the nightly job) and the candles the learning check walks over.

Why its own object: the chat's learner port, the scheduler's nightly job and the owner's
`/owner/v1/learn` all run the same relearn, and the learning check needs the same "candles that
closed before now". Built by the composition root from its parts before the dispatcher and the
scheduler, so neither has to reach back into the application object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from core.config import Settings
from core.domain import Candle
from core.ports import Clock
from core.telemetry.kv import KeyValueStore

CandleSets = Mapping[str, tuple[str, list[Candle]]]  # pair -> (timeframe, candles)

if TYPE_CHECKING:  # learning is an add-on: this module must load even where the learner cannot
    from core.learning.analyzer import TradeAnalyzer
    from core.learning.learner import Learner
    from core.market_data.store import CandleStore

MIN_BOOTSTRAP_CANDLES = 200


class LearningRunner:
    def __init__(self, settings: Settings, db: Engine, kv: KeyValueStore, clock: Clock, dataset: CandleSets,
                 learner: Learner | None, analyzer: TradeAnalyzer | None, candles: CandleStore) -> None:
        self.settings, self.db, self.kv, self.clock = settings, db, kv, clock
        self._dataset = dataset  # the replay's candles per pair (empty on a live feed)
        self._candles = candles
        self.learner = learner  # None when learning could not load: trading runs the plain strategy
        self.analyzer = analyzer

    def relearn(self) -> dict[str, Any]:
        """Re-fit the learner; the first time (no stored model) from a backtest over the history."""
        if self.learner is None:
            return {"text": "learning is not available"}
        now = self.clock.now_ms()
        history = self.history_before(now)
        if not self.learner.version and history:
            from core.kernel.strategies import strategy_named  # lazy: with the next line, only for a bootstrap
            from core.research.pair_backtest import PairBacktest  # lazy: keeps numpy out of this import

            port = PairBacktest(strategy_named(self.settings.strategy))  # the configured strategy, via the port
            return dict(self.learner.bootstrap_from_backtest(self.db, history, self.settings.timeframe, now_ms=now,
                                                             backtest=port))
        return dict(self.learner.relearn(self.db, now_ms=now))

    def history_before(self, now_ms: int) -> dict[str, list[Candle]]:
        """Candles that closed before now, in the trading timeframe (pairs with enough of them),
        from the candle store: the configured pairs, the replay's and any other pair stored.

        Only the past: in a replay, the learner must not learn from candles still to come."""
        pairs = set(self.settings.pairs) | set(self._dataset) | {c.pair for c in self._candles.coverage()}
        out: dict[str, list[Candle]] = {}
        for pair in sorted(pairs):
            bars = self._candles.history(pair, self.settings.timeframe, until_ms=now_ms)
            if len(bars) > MIN_BOOTSTRAP_CANDLES:
                out[pair] = bars
        return out
