"""DRF views of the safety app: routing, auth, permissions, pagination, nothing else."""
