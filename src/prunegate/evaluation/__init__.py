"""Measuring models: quality, latency on the target, size, the I/O contract, bootstrap bounds."""
