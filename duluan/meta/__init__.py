"""The metadata database: small transactional tables (alerts, keys, watchlists, schedules)."""
