"""Constraint search over the whole compression chain (``prunegate search``).

config.py (budget, constraints, backend), space.py (the dimensions), trial.py (one trial),
executors.py (local or Ray), study.py (the Optuna loop and the report); its figure is
reporting/search_plot.py.
Import from those modules: this package imports nothing, so the parameter check can read
``SearchConfig`` without loading Optuna.
"""
