"""The pinned SMA20/ATR strategy, its port, indicators, sizing, the daily loss guard (shared by the
backtest and live trading) and the optional modules' rules."""
