"""Backtests of the autopilot's own code and the figures they report."""
