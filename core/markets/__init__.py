"""Markets: pair names, timeframes, the paper rules table and the tradable universe."""
