"""What the status JSON asks the running process about (whether the autopilot trades and why
not, the daily-loss kill switch), answered from the parts the root built."""
