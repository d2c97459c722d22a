"""Fault flags for the sim's WebSocket: what a real connection does to a client on a bad day.

Why these five: they are what a market-data client must survive — the connection `drop`s (TCP cut,
no close frame: the client sees it only when it next reads), the server `stall`s (nothing at all,
not even heartbeats, for `seconds`: only a client that watches its heartbeats notices), messages
arrive `out_of_order` (this one after the next) or twice (`duplicate`), or one is lost (`lose`:
never sent, the connection stays up — what the book channel's checksum is there to catch). Tests
put `SocketFault`s in `app.config["WS_FAULTS"]` on a running sim; each is consumed first-match by channel, after letting
`after` matching messages through, `times` times.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass, field
from typing import Literal

SocketFaultKind = Literal["drop", "stall", "out_of_order", "duplicate", "lose"]


@dataclass
class SocketFault:
    kind: SocketFaultKind
    channel: str = "*"  # glob over the message's channel: ohlc, ticker, heartbeat, ...
    times: int = 1
    after: int = 0  # matching messages let through before the fault fires
    seconds: float = 5.0  # how long a stall lasts
    fired: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    def take(self, channel: str) -> bool:
        """True when this fault fires on a message of `channel` (and count it)."""
        if self.times <= 0 or not fnmatch.fnmatchcase(channel, self.channel):
            return False
        if self.after > 0:
            self.after -= 1
            return False
        self.times -= 1
        self.fired.set()
        return True


def first_fault(faults: list[SocketFault], channel: str, lock: threading.Lock) -> SocketFault | None:
    with lock:
        for fault in faults:
            if fault.take(channel):
                return fault
    return None
