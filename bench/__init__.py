"""Benchmarks: they print figures and never fail on a slow machine (see make bench)."""
