"""A sim exchange serving generated LOAD-DATA pairs (tests/fakes/load_pairs.py), and the market
socket of a Zyn running against it: shared by the many-pairs test and bench/kraken_stream.py so
both measure the same set-up (Kraken's starter counters, 220 warm-up candles, 10,000 USD).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from adapters.kraken.stream_feed import StreamFeed
from adapters.sim_exchange.runner import SimExchange, build_sim_exchange
from bot.wiring.app import Zyn
from tests.fakes.load_pairs import generate


def load_sim(folder: Path, pairs: int, rows: int, speed: float = 1.0) -> tuple[SimExchange, list[str]]:
    """`pairs` generated pair files of `rows` 4h candles in `folder/load`, served by a sim whose
    own account lives in `folder/sim.db`; returns the sim (not started) and the pairs."""
    names = generate(folder / "load", pairs, rows=rows)
    sim = build_sim_exchange(str(folder / "load"), "", "", {"USD": Decimal(10000)}, speed,
                             f"sqlite:///{folder}/sim.db", warmup_candles=220, tier="starter")
    return sim, names


def stream_of(zyn: Zyn) -> StreamFeed:
    """The WebSocket feed under the watchdog's and the candle store's wrappers of `zyn.feed`."""
    inner: object = zyn.feed
    for _ in range(4):
        if isinstance(inner, StreamFeed):
            return inner
        inner = getattr(inner, "_inner", None) or getattr(inner, "_feed", None)
    raise TypeError("no StreamFeed under zyn.feed")
