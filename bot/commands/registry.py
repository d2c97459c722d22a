"""Command name -> handler, assembled from the per-group modules."""

from __future__ import annotations

from bot.commands import account, learning, modules, owner, plain, prefs, servant, stats, trading
from bot.commands.context import Handler

HANDLERS: dict[str, Handler] = {
    **account.HANDLERS,
    **trading.HANDLERS,
    **learning.HANDLERS,
    **prefs.HANDLERS,
    **stats.HANDLERS,
    **owner.HANDLERS,
    **modules.HANDLERS,
    **plain.HANDLERS,  # issue 22.8: plain phrasings
    **servant.HANDLERS,
}
