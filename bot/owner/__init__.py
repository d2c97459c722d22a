"""The owner of the money: settings, ownership lease, and talking to the owner from other processes."""
