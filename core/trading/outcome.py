"""An `ActionResult` of the step modules as the typed `TradeResult` the service's door returns.

Why a separate step: the step modules (entries, manual, flatten) keep a one-line diagnostic
for the journal and put what was done in `data` + `code`; this reads those once, so callers of
`TradingService.handle` get only data (ids, Decimals, codes) and bot/ chooses the words.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from core.domain import Side
from core.trading.positions import TradeExit
from core.trading.results import Code, EntryFill, ExitInfo, FlattenFailure, TradeResult
from core.trading.types import ActionResult

EXITS = "exit_infos"


def exit_infos(exits: Iterable[TradeExit]) -> tuple[ExitInfo, ...]:
    return tuple(ExitInfo(e.trade_id, e.origin, e.reason, e.amount, e.exit_price, e.pnl, e.pair) for e in exits)


def _dec(value: object) -> Decimal | None:
    return value if isinstance(value, Decimal) else None


def to_result(r: ActionResult, pair: str = "", side: Side | None = None) -> TradeResult:
    data = r.data
    code = Code(r.code) if r.code else (Code.CLOSED if r.ok else Code.REFUSED)
    entry = None
    trade_id, price, stop = data.get("trade_id"), _dec(data.get("price")), _dec(data.get("stop"))
    if isinstance(trade_id, int) and price is not None and stop is not None:
        entry = EntryFill(
            trade_id,
            _dec(data.get("amount")) or Decimal(0),
            price,
            stop,
            _dec(data.get("target")),
            _dec(data.get("fee")) or Decimal(0),
            bool(data.get("stopped_at_once")),
        )
    exits = data.get(EXITS)
    failed = data.get("failed")
    canceled = data.get("canceled")
    return TradeResult(
        ok=r.ok,
        code=code,
        pair=str(data.get("pair") or pair),
        side=side,
        amount=_dec(data.get("amount")),
        price=price if price is not None else _dec(data.get("market_price")),
        order_id=str(data.get("order_id") or ""),
        client_ref=str(data.get("client_ref") or ""),
        entry=entry,
        exits=tuple(e for e in exits if isinstance(e, ExitInfo)) if isinstance(exits, tuple | list) else (),
        failed=tuple(f for f in failed if isinstance(f, FlattenFailure)) if isinstance(failed, list | tuple) else (),
        canceled=len(canceled) if isinstance(canceled, list | tuple) else 0,
        stop=_dec(data.get("stop_level")),
        target=_dec(data.get("target")),
        venue=str(data.get("venue") or ""),
        stop_check=str(data.get("stop_check") or ""),
        detail=str(data.get("detail") or ("" if r.ok else r.text)),
    )
