"""Perf: prompt sources, load generator, metrics, gates."""
