"""Exchange answers read before the trading lock, used under it only while still current (issue 18).

Why: "exchange reads happen outside the trading lock; the lock covers deciding and sending". A
sync reads what it will decide on (an unsettled entry's order, an unprotected position's earlier
sells, the balances, the exchange-attached stops) before it takes the lock, so a chat order never
waits behind those reads. Under the lock a reading is used only if nothing could have made it
stale since: the caller throws the whole prefetch away when the service's `version` moved (an
action on another thread), and an answer is refused here once this process sent or cancelled an
order after it was read (the desk's `moves`: e.g. the sync's own stop check placed a stop). A
refused or missing answer is read afresh, under the lock, exactly as before; an order's answer is
served once, so a second look at the same order (a read-back after a cancel) always reads anew.
An exception a read raised is kept and raised where the read would have been made.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from core.domain import ZynError

T = TypeVar("T")
Key = tuple[str, str]


class Moves:
    """How many orders this process has sent or cancelled (the desk counts; prefetches compare)."""

    def __init__(self) -> None:
        self.count = 0

    def bump(self) -> None:
        self.count += 1


class Prefetch:
    def __init__(self, moves: Moves | None = None) -> None:
        self._moves = moves
        self._at = moves.count if moves is not None else 0
        self._answers: dict[Key, Any] = {}
        self._kept: set[Key] = set()

    def read(self, key: Key, call: Callable[[], object], *, keep: bool = False) -> None:
        """Read now (no lock held) and keep the answer or the exchange error for `take`."""
        try:
            self._answers[key] = call()
        except ZynError as exc:  # an exchange's refusal or outage: raised again where the read is used
            self._answers[key] = exc
        if keep:
            self._kept.add(key)

    def take(self, key: Key, call: Callable[[], T]) -> T:
        """The answer read before the lock if still current, else `call()` now."""
        if key not in self._answers or (self._moves is not None and self._moves.count != self._at):
            return call()
        found = self._answers[key] if key in self._kept else self._answers.pop(key)
        if isinstance(found, ZynError):
            if key not in self._kept:
                raise found
            return call()  # a kept read that failed is tried again
        return cast(T, found)

    def __len__(self) -> int:
        return len(self._answers)

