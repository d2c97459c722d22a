"""Learning from Zyn's own trades: analyzer, learners, walk-forwards and the learning switch."""
