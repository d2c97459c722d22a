"""The sim refuses what Kraken refuses: unknown key, bad signature, replayed nonce, too many calls."""

from __future__ import annotations

import base64

from adapters.sim_exchange.auth import RateLimit, RateLimiter, generate_key_pair
from tests.adapters.sim_exchange.conftest import RawClient
from tests.fakes.sim_server import PaperSim


def test_signed_request_is_answered(raw: RawClient) -> None:
    answer = raw.private("Balance")
    assert answer == {"error": [], "result": {"XXBT": "1.0000000000", "ZUSD": "10000.0000"}}


def test_unknown_key_and_bad_signature_are_refused(raw: RawClient) -> None:
    assert raw.private("Balance", key="nobody")["error"] == ["EAPI:Invalid key"]
    other_secret = generate_key_pair()[1]
    assert raw.private("Balance", secret=other_secret)["error"] == ["EAPI:Invalid signature"]


def test_nonce_must_strictly_increase(raw: RawClient) -> None:
    assert raw.private("Balance", nonce=1000)["error"] == []
    assert raw.private("Balance", nonce=1000)["error"] == ["EAPI:Invalid nonce"]
    assert raw.private("Balance", nonce=999)["error"] == ["EAPI:Invalid nonce"]
    assert raw.private("Balance", nonce=1001)["error"] == []


def test_rate_limit_per_key(raw: RawClient, sim: PaperSim) -> None:
    sim.app.config["RATE_LIMIT"] = RateLimit(capacity=2, decay_per_s=0.0)
    assert raw.private("Balance")["error"] == []
    assert raw.private("Balance")["error"] == []
    assert raw.private("Balance")["error"] == ["EAPI:Rate limit exceeded"]


def test_leaky_bucket_drains_over_time() -> None:
    now = [0.0]
    limiter = RateLimiter(now=lambda: now[0])
    limit = RateLimit(capacity=2, decay_per_s=0.5)
    assert limiter.allow("k", limit) and limiter.allow("k", limit) and not limiter.allow("k", limit)
    now[0] = 2.0
    assert limiter.allow("k", limit) and not limiter.allow("k", limit)
    assert limiter.allow("other", limit)


def test_generated_secret_is_kraken_shaped() -> None:
    key, secret = generate_key_pair()
    assert len(base64.b64decode(secret)) == 64 and key
