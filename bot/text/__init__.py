"""Words for the owner: plain-text renderings shared by the CLI and the chat commands (no I/O)."""
