"""DRF views of the posts app: routing, auth, permissions, pagination, nothing else."""
