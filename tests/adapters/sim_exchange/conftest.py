"""Fixtures: the sim on a real PaperExchange, plus a raw signed Kraken client (requests)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from adapters.sim_exchange.auth import sign
from tests.fakes.sim_server import PaperSim, build_paper_sim, running


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[PaperSim]:
    prices = {"BTC/USD": [30000.0, 30100.0, 30000.0], "ETH/USD": [2000.0, 2010.0, 2020.0]}
    with running(build_paper_sim(tmp_path, prices, {"USD": Decimal(10000), "BTC": Decimal(1)})) as s:
        yield s


class RawClient:
    """Kraken REST by hand, so tests can send what ccxt never would (bad signature, old nonce)."""

    def __init__(self, sim: PaperSim) -> None:
        self.sim = sim
        self.nonce = time.time_ns() // 1000

    def public(self, method: str, **params: Any) -> dict[str, Any]:
        url = f"{self.sim.url}/0/public/{method}"
        out: dict[str, Any] = requests.get(url, params=params, timeout=5).json()
        return out

    def private(
        self,
        method: str,
        nonce: int | str | None = None,
        key: str | None = None,
        secret: str | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """Sign and POST; `nonce`, `key`, `secret` override the good ones to provoke refusals."""
        if nonce is None:
            self.nonce += 1
            nonce = self.nonce
        body = urlencode({"nonce": nonce, **params})
        path = f"/0/private/{method}"
        headers = {
            "API-Key": key if key is not None else self.sim.api_key,
            "API-Sign": sign(secret or self.sim.api_secret, path, str(nonce), body),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        response = requests.post(self.sim.url + path, data=body, headers=headers, timeout=5)
        assert response.status_code == 200
        out: dict[str, Any] = response.json()
        return out


@pytest.fixture
def raw(sim: PaperSim) -> RawClient:
    return RawClient(sim)
