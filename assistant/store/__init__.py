"""The store as the assistant keeps it: opening and reopening it, and what it holds."""
