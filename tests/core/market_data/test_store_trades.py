"""Trades -> candles for the backfill: a bucket is finished only once a later trade is seen."""

from __future__ import annotations

from core.domain import Candle
from core.market_data.store_trades import TradeCandles

M = 60_000


def test_trades_make_candles_bucket_by_bucket_across_pages() -> None:
    agg = TradeCandles(5 * M)
    assert agg.feed([(0, 10.0, 1.0), (M, 12.0, 2.0), (2 * M, 9.0, 1.0)]) == []  # the bucket is still open
    done = agg.feed([(4 * M, 11.0, 0.5), (5 * M, 11.5, 1.0)])  # next page: a trade of the next bucket
    assert done == [Candle(0, 10.0, 12.0, 9.0, 11.0, 4.5)]
    # an interval without trades makes no candle; a repeated trade from before is ignored
    assert agg.feed([(3 * M, 99.0, 9.0), (16 * M, 13.0, 1.0)]) == [Candle(5 * M, 11.5, 11.5, 11.5, 11.5, 1.0)]
    assert agg.pending() == Candle(15 * M, 13.0, 13.0, 13.0, 13.0, 1.0)
