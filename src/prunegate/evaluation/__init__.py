"""Measuring models: quality, latency on the target, size."""
