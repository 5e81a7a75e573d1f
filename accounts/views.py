"""DRF views of the accounts app: routing, auth, permissions, pagination, nothing else."""
