"""The composition root tells Kraken's feeds apart without importing them for a replay (issue 20.5):
a streamed feed, a polled feed and a replay feed are each recognised for what they are."""

from __future__ import annotations

from adapters.kraken.budget import RateBudget
from bot.wiring.market import polled_of, public_client_of, public_kraken, stream_of
from core.clock import RealClock
from core.market_data.replay_feed import ReplayFeed


def test_streamed_polled_and_replayed_feeds_are_each_recognised() -> None:
    from adapters.kraken.feed import KrakenPublicFeed  # the wiring imports these only for a live feed
    from adapters.kraken.stream_feed import StreamFeed

    clock = RealClock()
    rest = KrakenPublicFeed(public_kraken("http://127.0.0.1:9", RateBudget()), clock, ("BTC/USD",))
    stream = StreamFeed(rest, "ws://127.0.0.1:9", clock)  # the socket starts on first use: none here
    replay = ReplayFeed({}, clock)

    assert stream_of(stream) is stream and polled_of(stream) is None
    assert polled_of(rest) is rest and stream_of(rest) is None
    assert public_client_of(stream) is rest.client is not None
    assert stream_of(replay) is None and polled_of(replay) is None and public_client_of(replay) is None
