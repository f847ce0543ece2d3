"""Shared scoring: answer extraction, think stripping, math equivalence, statistics."""
