"""Reporting: gate.md and report.html (summary.py), plots, the metrics diff of a pull request,
the search figure and the benchmark tables."""
