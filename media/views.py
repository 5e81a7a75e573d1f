"""DRF views of the media app: routing, auth, permissions, pagination, nothing else."""
