"""Trade alerts from trading's events: a position opened, a position closed (stop hit or not),
and every safety notice (a naked position, the kill-switch, a flatten, … — bot/text/safety.py).

Why here: core publishes `PositionOpened`/`PositionClosed` as data (core/trading/events.py) and
the owner's words come from bot/text/trading.py, the same sentences a reply uses, so a price
reads the same in the alert and in the reply. The notifier queues each send on its channel's
own thread, so this handler never makes trading wait.
"""

from __future__ import annotations

from bot.text.safety import NOTICE_TYPES, SafetyNotice, safety_notice
from bot.text.trading import closed_alert, opened_alert
from core.domain import Event
from core.ports import Notifier
from core.trading.bus import EventBus
from core.trading.events import PositionClosed, PositionOpened


class TradeAlerts:
    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    def opened(self, event: PositionOpened) -> None:
        data = {"pair": event.pair, "trade_id": event.trade_id}
        self.notifier.notify(Event("trade_opened", opened_alert(event), data))

    def closed(self, event: PositionClosed) -> None:
        kind = "stop_hit" if event.reason == "stop" else "trade_closed"
        self.notifier.notify(Event(kind, closed_alert(event), {"pair": event.pair, "trade_id": event.trade_id}))

    def safety(self, event: SafetyNotice) -> None:
        notice = safety_notice(event)
        if notice is not None:
            self.notifier.notify(Event(*notice))

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(PositionOpened, self.opened)
        bus.subscribe(PositionClosed, self.closed)
        for kind in NOTICE_TYPES:
            bus.subscribe(kind, self.safety)
