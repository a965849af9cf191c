"""Training: one loop (loop.py) with callbacks for masks, KD and penalties (regularize.py), and
the dense baseline (baseline.py)."""
