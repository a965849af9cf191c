"""``make bench``: prunegate against its peers, measured in one run (see run.py)."""
