"""Learning jobs run by the conversation layer: `learn` and the scheduled learning check."""
