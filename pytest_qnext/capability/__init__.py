"""Capability engine: prefetching answers, response cache, replay."""
