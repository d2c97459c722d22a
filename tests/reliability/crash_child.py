"""Child process of the crash tests (tests/reliability/test_crash_steps.py): a live-mode Zyn built
by the composition root from its own environment (DATABASE_URL, ZYN_MODE=live, KRAKEN_API_URL of
the Kraken sim the test runs, the sim's key) — the same objects `zyn run` builds.

Usage: python crash_child.py STEP STOP_PRICE     STEP: buy | sell | raise_stop
  `sell` and `raise_stop` first buy 0.002 BTC/USD with a stop at STOP_PRICE (chat + yes).
  Then it prints READY, waits for one line on stdin, and takes the step: the chat buy, the
  chat sell of the whole position, or raising the stop to break-even (the profit lock).
  The test SIGKILLs it while the step's exchange call is held by a `hang` fault at the sim, so
  the kill point is exact without any hook inside Zyn.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from adapters.kraken.exchange import KrakenExchange  # noqa: E402
from bot.conversation.envelope import Envelope  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.text.safety import profit_lock_lines  # noqa: E402
from bot.wiring.app import Zyn, build_zyn  # noqa: E402
from core.trading.profit_lock import lock_in_profit  # noqa: E402

AMOUNT = "0.002"


def chat(zyn: Zyn, text: str) -> str:
    reply = zyn.dispatcher.handle(Envelope("cli", "owner", text))
    if reply.kind == "confirm":
        reply = zyn.dispatcher.handle(Envelope("cli", "owner", "yes"))
    return reply.text


def main(step: str, stop: str) -> None:
    zyn = build_zyn(load_settings(os.environ))
    if isinstance(zyn.exchange, KrakenExchange):  # ccxt's fixed 1 s pause is only test time here
        zyn.exchange.ccxt.enableRateLimit = False
    if step != "buy":
        opened = chat(zyn, f"buy {AMOUNT} btc/usd sl {stop}")
        if not opened.startswith("Bought"):
            print(f"FAILED {opened}", flush=True)
            return
    print("READY", flush=True)
    sys.stdin.readline()
    if step == "buy":
        print(chat(zyn, f"buy {AMOUNT} btc/usd sl {stop}"), flush=True)
    elif step == "sell":
        print(chat(zyn, f"sell {AMOUNT} btc/usd"), flush=True)
    else:
        with zyn.trading.lock:
            print(profit_lock_lines("breakeven", lock_in_profit(zyn.trading, "breakeven", None)), flush=True)
    print("DONE (the kill should have come first)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
