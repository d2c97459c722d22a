"""The `zyn` command line: one module per command family."""
