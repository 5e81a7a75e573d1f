"""Trust levels, rate limits, reports, strikes, bans, devices and the audit log."""
