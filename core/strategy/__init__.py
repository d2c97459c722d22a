"""The pinned SMA20/ATR strategy, its port, indicators, sizing and the optional modules' rules."""
