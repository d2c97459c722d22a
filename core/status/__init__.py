"""What the owner sees: the status service, its exchange cache, position rows and P&L."""
