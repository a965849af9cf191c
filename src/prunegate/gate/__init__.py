"""The gate: the rule (rule.py, pure), what a test split can resolve (resolution.py), measuring
every stage and deciding (measure.py), re-gating a registry copy (recheck.py), k-fold stability
(stability.py) and the audit of the gate itself (audit.py)."""
