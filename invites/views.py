"""DRF views of the invites app: routing, auth, permissions, pagination, nothing else."""
