"""Trading: the one serialized service that changes orders and positions, and its drivers."""
