"""API keys: random tokens shown once, stored as peppered hashes, with a scope."""
