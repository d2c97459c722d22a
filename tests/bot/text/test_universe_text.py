"""The universe's reasons in words: one short line per code, with the pair's figures and the setting."""

from __future__ import annotations

from bot.text.universe import reason_text, row_json
from core.markets.universe import PairStats, select
from core.strategy.module_settings import UniverseSettings

CFG = UniverseSettings(quote="USD", min_volume_usd=100_000, max_spread_pct=0.5, max_pairs=2, min_price=0.001,
                       min_history=50, deny=("LUNA/USD",))


def stats(pair: str, last: float | None, vol_base: float, bid: float | None = None, ask: float | None = None,
          online: bool = True) -> PairStats:
    return PairStats(pair, pair.split("/")[1], online, last, bid, ask, vol_base)


def test_every_reason_reads_as_one_line() -> None:
    rows = select([
        stats("BTC/USD", 30000, 100), stats("ETH/USD", 2000, 1000), stats("SOL/USD", 20, 50_000),
        stats("BTC/EUR", 28000, 100), stats("LUNA/USD", 1, 10**7), stats("DUST/USD", 0.0001, 10**10),
        stats("THIN/USD", 1, 500), stats("WIDE/USD", 10, 10**6, bid=9.9, ask=10.1),
        stats("OFF/USD", 1, 10**7, online=False), stats("NEW/USD", None, 0),
    ], CFG)
    words = {r.pair: reason_text(r) for r in rows}
    assert words == {
        "BTC/USD": "#1 by 24h volume",
        "ETH/USD": "#2 by 24h volume",
        "SOL/USD": "#3 by 24h volume; only the top 2 are traded",
        "BTC/EUR": "quote EUR, not USD",
        "LUNA/USD": "on the deny-list",
        "DUST/USD": "price 0.0001 below the minimum 0.001",
        "THIN/USD": "24h volume 500 USD below 100,000",
        "WIDE/USD": "spread 2.000% above 0.5%",
        "OFF/USD": "pair not online",
        "NEW/USD": "no price (no trades)",
    }
    assert set(row_json(rows[0])) == {"pair", "included", "reason", "price", "volume_quote_24h", "spread_pct", "rank"}


def test_short_history_names_both_counts() -> None:
    rows = select([stats("BTC/USD", 30000, 100), stats("ETH/USD", 2000, 1000)], CFG,
                  history=lambda pair: 10 if pair == "ETH/USD" else 500)
    assert {r.pair: reason_text(r) for r in rows}["ETH/USD"] == "only 10 candles of history, 50 needed"
