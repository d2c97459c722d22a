"""issue 21 point 2: live mode listens to Kraken's private `executions` socket.

Why here and not in `market`: it joins the trading service (the money) to the exchange's
private socket; only the process that owns the money (holds the lease) listens, and only in
live mode (validate places nothing, paper has its own fill listener). KRAKEN_EXECUTIONS=off
leaves REST polling alone. The bridge and its stream stop with the process (lifecycle).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.config import Settings
from core.ports import Exchange


class _Listening:
    """The bridge and its socket as one stoppable helper (socket first: no fill after the worker)."""

    def __init__(self, bridge: Any, stream: Any) -> None:
        self.bridge, self.stream = bridge, stream

    def stop(self) -> None:
        self.stream.stop()
        self.bridge.stop()


def start_executions(
    settings: Settings, exchange: Exchange, trading: Any, refresh_status: Callable[[], None],
    owns_money: bool, keep: Callable[[Any], None],
) -> Any | None:
    """Start the executions bridge where it applies; returns it (or None)."""
    if settings.mode != "live" or not settings.kraken_executions or not owns_money:
        return None
    from adapters.kraken.exchange import KrakenExchange  # lazy: ccxt loads only in live mode with executions on
    from adapters.kraken.exec_bridge import ExecutionBridge  # lazy: as above

    if not isinstance(exchange, KrakenExchange):
        return None
    bridge = ExecutionBridge(trading, caller_ref=exchange.caller_ref, after_apply=refresh_status)
    stream = bridge.stream(settings.kraken_ws_auth_url, exchange.websocket_token)
    keep(_Listening(bridge, stream))
    bridge.start()
    stream.start()
    return bridge
