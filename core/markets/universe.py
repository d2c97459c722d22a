"""The tradable universe (feature `universe`): every online spot pair, filtered for liquidity.

Why: a fixed list of pairs misses the liquid movers and keeps dead ones. The filters, in the order
their reason is reported: online, quote currency, deny-list, a price, minimum price, 24h volume in
the quote currency, spread (best ask vs best bid from the book's top, % of the mid), then a rank
by volume capped at `max_pairs`, and last the history length (only for the pairs that would make
the cut, so the OHLC calls stay few). Every pair gets one row with in/out and the reason.
The source makes one AssetPairs and ONE batched Ticker request per refresh (Kraken's public rate
limit is about one call per second); the result is cached until the next scheduled refresh.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from loguru import logger

from core.markets.universe_settings import UniverseSettings


@dataclass(frozen=True)
class PairStats:
    pair: str  # BASE/QUOTE
    quote: str
    online: bool
    last: float | None
    bid: float | None
    ask: float | None
    volume_base_24h: float | None


@dataclass(frozen=True)
class UniverseRow:
    """One pair's verdict. `why` is a code (bot/text/universe.py words it), `limit` the setting it
    was measured against, `have` the pair's own figure where the code needs one (candles)."""

    pair: str
    included: bool
    why: str  # one of WHY
    price: float | None = None
    volume_quote_24h: float | None = None
    spread_pct: float | None = None
    rank: int | None = None
    limit: float | str | None = None  # the setting: min price, min volume, max spread, max pairs, quote...
    have: int | None = None  # candles of history (why == "history")


WHY = ("candidate", "ranked", "offline", "quote", "denied", "no_price", "min_price", "min_volume", "max_spread",
       "top_n", "history")


class UniverseSource(Protocol):
    """Every pair the exchange lists with its 24h figures: AssetPairs + one batched Ticker."""

    def pair_stats(self) -> list[PairStats]: ...


HistoryFn = Callable[[str], int]  # pair -> closed candles available at the trading timeframe


def spread_pct(s: PairStats) -> float | None:
    if not s.bid or not s.ask or s.bid <= 0 or s.ask < s.bid:
        return None
    return (s.ask - s.bid) / ((s.ask + s.bid) / 2) * 100.0


def _prefilter(s: PairStats, cfg: UniverseSettings) -> UniverseRow:  # noqa: PLR0911 - one reason each
    """A row for one pair before ranking: out with the reason, or in with 'candidate'."""
    volume = (s.volume_base_24h or 0.0) * s.last if s.last is not None and s.last > 0 else None
    base = UniverseRow(s.pair, False, "", s.last, volume, spread_pct(s))
    if not s.online:
        return _out(base, "offline")
    if s.quote != cfg.quote:
        return _out(base, "quote", cfg.quote)
    if s.pair in cfg.deny:
        return _out(base, "denied")
    if s.last is None or s.last <= 0 or volume is None:
        return _out(base, "no_price")
    if s.last < cfg.min_price:
        return _out(base, "min_price", cfg.min_price)
    if volume < cfg.min_volume_usd:
        return _out(base, "min_volume", cfg.min_volume_usd)
    if base.spread_pct is not None and base.spread_pct > cfg.max_spread_pct:
        return _out(base, "max_spread", cfg.max_spread_pct)
    return UniverseRow(s.pair, True, "candidate", s.last, volume, base.spread_pct)


def _out(row: UniverseRow, why: str, limit: float | str | None = None) -> UniverseRow:
    return UniverseRow(row.pair, False, why, row.price, row.volume_quote_24h, row.spread_pct, limit=limit)


def select(stats: Sequence[PairStats], cfg: UniverseSettings, history: HistoryFn | None = None) -> list[UniverseRow]:
    """One row per pair: the included ones first (by volume), then the rest by volume."""
    rows = [_prefilter(s, cfg) for s in stats]
    candidates = sorted((r for r in rows if r.included), key=lambda r: -(r.volume_quote_24h or 0.0))
    out: list[UniverseRow] = []
    taken = 0
    for rank, row in enumerate(candidates, start=1):
        if taken >= cfg.max_pairs:
            out.append(UniverseRow(row.pair, False, "top_n", row.price, row.volume_quote_24h, row.spread_pct, rank,
                                   limit=cfg.max_pairs))
            continue
        have = history(row.pair) if history is not None and cfg.min_history > 0 else None
        if have is not None and have < cfg.min_history:
            out.append(UniverseRow(row.pair, False, "history", row.price, row.volume_quote_24h, row.spread_pct,
                                   rank, limit=cfg.min_history, have=have))
            continue
        taken += 1
        out.append(UniverseRow(row.pair, True, "ranked", row.price, row.volume_quote_24h, row.spread_pct, rank))
    rest = sorted((r for r in rows if not r.included), key=lambda r: (-(r.volume_quote_24h or 0.0), r.pair))
    included = [r for r in out if r.included]
    return included + [r for r in out if not r.included] + rest


class UniverseService:
    """The cached universe: refreshed on a schedule (and on demand), read by the autopilot and chat."""

    def __init__(self, source: UniverseSource, cfg: UniverseSettings, history: HistoryFn | None = None) -> None:
        self.source, self.cfg, self.history = source, cfg, history
        self._rows: list[UniverseRow] = []
        self._history_ok: set[str] = set()  # enough history once: it only grows
        self.refreshed = False

    def refresh(self) -> list[UniverseRow]:
        stats = self.source.pair_stats()
        self._rows = select(stats, self.cfg, self._history if self.history is not None else None)
        self.refreshed = True
        inside = [r.pair for r in self._rows if r.included]
        logger.bind(action="universe", pairs=len(stats), included=len(inside)).info(
            "universe refreshed: {} of {} pairs in", len(inside), len(stats)
        )
        return list(self._rows)

    def _history(self, pair: str) -> int:
        if pair in self._history_ok or self.history is None:
            return self.cfg.min_history
        have = self.history(pair)
        if have >= self.cfg.min_history:
            self._history_ok.add(pair)
        return have

    def rows(self) -> list[UniverseRow]:
        return list(self._rows) if self.refreshed else self.refresh()

    def pairs(self) -> tuple[str, ...]:
        return tuple(r.pair for r in self.rows() if r.included)


def _plain(value: float) -> str:
    """0.00001234 as '0.00001234', never '1.234e-05' (issue 22.9; core.text imports this package)."""
    return format(Decimal(repr(value)).normalize(), "f")
