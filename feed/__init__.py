"""The home feed, explore and search: the read surfaces."""
