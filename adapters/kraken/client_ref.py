"""Client order references -> a `cl_ord_id` Kraken accepts.

Why: Kraken takes `cl_ord_id` only as a UUID (long form with dashes, or 32 hex) or as free text
of at most 18 characters (docs.kraken.com, "Spot Client Order Identifiers"); anything else is
refused and the order is not placed. Zyn's trading service uses uuid4 strings, which pass
unchanged; any other reference is mapped deterministically (UUID5), so placing an order and
later looking it up by the same reference always use the same `cl_ord_id`.
"""

from __future__ import annotations

import re
import uuid

FREE_TEXT_MAX = 18
# Fixed forever: changing it would make lookups of already-placed orders miss.
ZYN_NAMESPACE = uuid.UUID("5b0f6a3e-8c1d-5e2a-9f47-2d6c1b7e9a10")
_UUID_TEXT = re.compile(
    r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})$"
)
_FREE_TEXT = re.compile(rf"^[!-~]{{1,{FREE_TEXT_MAX}}}$")  # printable ASCII, no spaces


def new_client_ref() -> str:
    """A fresh reference in the UUID form Kraken documents (36 chars with dashes)."""
    return str(uuid.uuid4())


def as_uuid(ref: str) -> str | None:
    """The canonical lowercase 36-char form when `ref` is a UUID (with or without dashes)."""
    if not _UUID_TEXT.match(ref):
        return None
    return str(uuid.UUID(ref))


def to_cl_ord_id(ref: str) -> str:
    """What to send as `cl_ord_id` for `ref`; the same `ref` always gives the same answer.

    UUIDs are sent in the canonical long form (so the echo compares either way); short plain
    ASCII text passes; everything else (too long, spaces, non-ASCII) becomes a UUID5 of it.
    """
    canonical = as_uuid(ref)
    if canonical is not None:
        return canonical
    if _FREE_TEXT.match(ref):
        return ref
    return str(uuid.uuid5(ZYN_NAMESPACE, ref))


def same_cl_ord_id(echoed: str, sent: str) -> bool:
    """Whether Kraken's echoed `cl_ord_id` is the one we sent (UUIDs compare by value)."""
    if not echoed or not sent:
        return False
    a, b = as_uuid(echoed), as_uuid(sent)
    if a is not None and b is not None:
        return a == b
    return echoed == sent


USERREF_BITS = 31  # Kraken's userref is a signed 32-bit integer; Zyn uses the positive half


def userref_of(ref: str) -> int:
    """The `userref` for an entry with a conditional close, derived from its client reference.

    Why: the stop-loss Kraken places for a conditional close is a new order with its own txid
    and no `cl_ord_id`, but it carries the parent's `userref`; deriving it (not storing it)
    lets a restarted Zyn find the stop of an entry it only knows by client reference.
    """
    digest = uuid.uuid5(ZYN_NAMESPACE, "userref:" + to_cl_ord_id(ref)).int
    return (digest >> (128 - USERREF_BITS)) or 1
