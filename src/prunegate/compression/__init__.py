"""Compression techniques, each picked by name from a small registry."""
