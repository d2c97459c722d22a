"""Which of a pair's candle files a replay trading `timeframe` reads, when a folder holds several.

Why: the rule used to be "the finest timeframe wins", so a replay of `../shared/data/binance` at 1h
read SOL/USDT's 15m file (from 2022-04) although its 1h file reaches back to 2021-10, and SOL had no
price for six months. A replay builds its trading candles from one file per pair: among the files that
can build the trading timeframe (its own or a finer one that divides it), the one that reaches back
furthest; on a tie the finer one, whose candles also walk the paper exchange's fills more finely.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from core.markets.pairs import pair_from_filename
from core.markets.timeframes import timeframe_seconds

FirstTs = Callable[[Path], int]


def files_for_timeframe(files: Sequence[Path], timeframe: str, first_ts: FirstTs) -> list[Path]:
    """One file per pair (in the order of `files`): among the files that can build `timeframe` the
    one whose first candle is earliest (a tie: the finer one), else its finest file.
    `first_ts` reads a file's first candle time; it is asked only when there is a choice to make."""
    target = timeframe_seconds(timeframe)
    by_pair: dict[str, list[tuple[int, Path]]] = {}
    for f in files:
        pair, tf = pair_from_filename(f.name)
        by_pair.setdefault(pair, []).append((timeframe_seconds(tf), f))
    chosen: set[Path] = set()
    for options in by_pair.values():
        chosen.add(_choose(options, target, first_ts))
    return [f for f in files if f in chosen]


def _choose(options: list[tuple[int, Path]], target: int, first_ts: FirstTs) -> Path:
    if len(options) == 1:
        return options[0][1]
    builds = [(secs, f) for secs, f in options if secs <= target and target % secs == 0]
    if not builds:
        return min(options, key=lambda o: o[0])[1]  # nothing builds it: the finest, as before
    return min(builds, key=lambda o: (first_ts(o[1]), o[0]))[1]
