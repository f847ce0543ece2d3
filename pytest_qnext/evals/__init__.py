"""Benchmarks: one folder per benchmark (loader, prompt, scorer, README) and the registry."""
