"""README "Talking to Zyn": orders in dollars (`buy $100 of BTC`, `buy 100 USD of ETH`) and the
money idioms ("put 100 quid into bitcoin"), typed as `zyn chat` with no `zyn run` (the command owns
the money for its own duration), in one folder and one database.

A quote order for a pair Zyn does not trade said "No price for BTC/EUR right now (Unknown asset
pair)"; a coin order for the same pair says which pairs Zyn trades, and now both do.
"""

from __future__ import annotations

from pathlib import Path

from tests.readme.jimmy import offline, run


def test_quote_orders_name_an_untraded_pair_like_coin_orders(tmp_path: Path) -> None:
    env = offline()
    coins = run(["chat", "buy 0.01 BTC/EUR"], tmp_path, env)
    for text in ("buy 100 EUR of BTC", "put 100 quid into bitcoin"):
        out = run(["chat", text], tmp_path, env)
        said = out.stdout + out.stderr
        assert out.returncode == 2, said
        assert "I trade BTC/USD, ETH/USD" in said and "Unknown asset pair" not in said, said
        assert "Traceback" not in said
    assert coins.returncode == 2 and "I trade BTC/USD, ETH/USD" in coins.stdout + coins.stderr


def test_a_dollar_order_without_market_data_says_so(tmp_path: Path) -> None:
    out = run(["chat", "buy $100 of BTC"], tmp_path, offline())
    assert out.returncode == 2
    assert "No price for BTC/USD right now (no market data yet)" in out.stdout + out.stderr


def test_a_coin_order_without_market_data_says_it_like_a_dollar_order(tmp_path: Path) -> None:
    """`buy 0.01 btc` before the feed has a price showed the paper engine's raw code ("No price for
    BTC/USD right now (EOrder:no price yet for BTC/USD)"); now one plain line, as the dollar order."""
    env = offline()
    dollars = run(["chat", "buy $100 of BTC"], tmp_path, env)
    for text in ("buy 0.01 btc", "buy 0.01 BTC/USD", "sell 0.01 btc"):
        out = run(["chat", text], tmp_path, env)
        said = out.stdout + out.stderr
        assert out.returncode == 2, said
        assert said.strip() == dollars.stdout.strip() + dollars.stderr.strip(), said
        assert "No price for BTC/USD right now (no market data yet)" in said and "EOrder" not in said, said
