"""DRF views of the social graph app: routing, auth, permissions, pagination, nothing else."""
