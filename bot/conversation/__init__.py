"""The conversation: dispatcher, parser, intent classifier, confirmations and memory."""
