"""DRF views of the feed app: routing, auth, permissions, pagination, nothing else."""
