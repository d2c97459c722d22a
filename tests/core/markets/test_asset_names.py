"""Spoken asset names (core/markets/asset_names.py): names and Kraken codes to common codes; ordinary
English words that are also codes count only in capitals."""

from __future__ import annotations

import pytest

from core.markets.asset_names import asset_code, asset_in


@pytest.mark.parametrize(
    ("word", "code"),
    [("bitcoin", "BTC"), ("XBT", "BTC"), ("xxbt", "BTC"), ("Ether", "ETH"), ("ethereum", "ETH"), ("doge", "DOGE"),
     ("XDG", "DOGE"), ("bitcoin's", "BTC"), ("LINK", "LINK"), ("link", None), ("dot", None), ("boat", None)],
)
def test_asset_code(word: str, code: str | None) -> None:
    assert asset_code(word) == code


def test_asset_in_a_sentence() -> None:
    assert asset_in("what is the trend on bitcoin cash?") == "BCH"
    assert asset_in("sell half my ethereum please") == "ETH"
    assert asset_in("send me the link to the dashboard") is None
    assert asset_in("how many dollars do I have") is None
