"""The gate, re-evaluated at promotion from the registry's copy: never from a stored verdict.

Promotion may happen on another machine, hours after the run, and a registry tag can be edited
by anyone with write access. So ``prunegate promote`` re-measures every check that the artifact
and the test split alone decide: accuracy, the drop against the dense baseline, size, any
other quality check (per-class recall, F1), the I/O contract and finite outputs. Two kinds
are taken from the run instead, and the README says so:
- latency: it is measured on the target by the run; the promoting machine may be another;
- the champion checks: promotion's own compare-and-set already requires the champion the run
  was gated against, so those figures still hold.
"""

import dataclasses
from typing import Any

import numpy as np
import onnx

from prunegate.gate.config import ABSOLUTE_ONLY, LATENCY, GateConfig
from prunegate.gate.measure import measure_and_gate

# what the re-check cannot re-measure, by check metric or basis
NOT_RECHECKED = ("latency (measured on the target by the run)",
                 "the champion checks (promotion requires the same champion)",
                 "k-fold stability (needs retraining)")


def recheckable(gates: GateConfig) -> GateConfig:
    """The gate without the checks an artifact and a test split cannot decide."""
    keep = [c for c in gates.checks if c.get("metric") not in (*LATENCY, *ABSOLUTE_ONLY)
            and c.get("basis", "absolute") != "relative_to_champion"]
    return dataclasses.replace(gates, max_latency_p95_ms=None, max_latency_ratio=None,
                               checks=keep)


def recheck(candidate: onnx.ModelProto, baseline: onnx.ModelProto,
            test: dict[str, np.ndarray], gates: GateConfig) -> dict[str, Any]:
    """The verdict of the re-measurable checks on ``candidate`` against ``baseline``."""
    # a few rounds only: latency is not gated here, but the measurement code needs samples
    metrics, verdict, _ = measure_and_gate({"baseline": baseline, "candidate": candidate}, test,
                                     recheckable(gates), repeats=20, warmup=2,
                                     report_repeats=20, candidate="candidate")
    verdict["not_rechecked"] = list(NOT_RECHECKED)
    verdict["accuracy"] = metrics["stages"]["candidate"]["accuracy"]
    return verdict
