"""The one door for every message: authorize, parse, confirm, run a command (`dispatcher.py`).

Why its own room: the dispatcher sits above the conversation layer (envelopes, parser,
confirmations, free-text engines) and the command groups (`bot/commands/`), which both sit
below it; kept inside `bot/conversation/` it closed an import cycle with the commands.
"""
