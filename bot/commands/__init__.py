"""Chat command handlers, one module per group; `bot.commands.registry.HANDLERS` maps names to them.

Kept import-free on purpose so `bot.commands.context` can be imported by `bot.alerts.reports` without
pulling in every handler (and creating import cycles).
"""
