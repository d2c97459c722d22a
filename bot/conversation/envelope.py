"""The dispatcher's message types under their pinned name (docs/ARCHITECTURE.md): defined in
`core.messages` so channel adapters can import them without importing `bot`."""

from core.messages import Envelope, Reply, ReplyKind, Row, render_plain

__all__ = ["Envelope", "Reply", "ReplyKind", "Row", "render_plain"]
