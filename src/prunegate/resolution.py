"""What the gate's test data and this machine can resolve, said before anything is decided.

Every noisy check is one-sided ("drop <= 1 pp", "accuracy >= 0.9") and decides on the one-sided
bound at the gate's confidence. The *resolution* of a check is how far that bound lies from the
measured value: a candidate exactly as good as its reference gets a bound ``resolution`` above
it. So a limit finer than the resolution cannot be confirmed even for a perfect candidate, and
a candidate must be within ``limit - resolution`` of its reference to pass.

- A paired accuracy drop, with n test samples on which the two models disagree (one right, the
  other wrong) a share d of the time: ``z * sqrt(d / n)``, in pp. Before anything trains, d is
  the configured ``gates.expected_disagreement``; after, the one measured.
- An absolute accuracy p: ``z * sqrt(p (1 - p) / n)``.
- Latency: the noise of this machine, measured: the baseline timed against a second session of
  itself, interleaved with the rest; its p95 self-ratio bound minus 1.
"""

import math
from statistics import NormalDist

from prunegate.errors import ConfigError


def z(confidence: float) -> float:
    """The one-sided normal quantile: 1.645 at 95%."""
    return NormalDist().inv_cdf(confidence)


def drop_resolution_pp(n: int, disagreement: float, confidence: float) -> float:
    """The one-sided bound's margin over a paired accuracy drop of 0, in pp."""
    d = max(disagreement, 1.0 / n)  # at least one sample: a bound is never exactly the value
    return 100.0 * z(confidence) * math.sqrt(d / n)


def accuracy_resolution_pp(n: int, accuracy: float, confidence: float) -> float:
    p = min(max(accuracy, 1.0 / n), 1.0 - 1.0 / n)
    return 100.0 * z(confidence) * math.sqrt(p * (1.0 - p) / n)


def samples_needed(limit_pp: float, disagreement: float, confidence: float) -> int:
    """The test samples at which a drop limit of ``limit_pp`` is as wide as the resolution."""
    return math.ceil(disagreement * (100.0 * z(confidence) / limit_pp) ** 2)


def drop_limits(gate) -> list[tuple[str, float]]:
    """(check name, limit in pp) of every paired accuracy-drop check of a GateConfig."""
    return [(s.name, float(s.threshold)) for s in gate.specs()
            if s.metric == "accuracy" and s.basis != "absolute" and s.comparator == "<="]


def require_resolvable(gate, n_test: int, test_fraction: float | None = None) -> list[dict]:
    """Each accuracy-drop check's resolution on ``n_test`` samples, from the expected
    disagreement; a limit finer than its resolution is a ConfigError naming the fix."""
    d, c = gate.expected_disagreement, gate.confidence
    rows = []
    for name, limit in drop_limits(gate):
        resolution = drop_resolution_pp(n_test, d, c)
        rows.append({"check": name, "limit_pp": limit, "resolution_pp": resolution,
                     "test_samples": n_test})
        if limit < resolution:
            need = samples_needed(limit, d, c)
            grow = (f"data.test_fraction {min(0.9, test_fraction * need / n_test):.2f} or more "
                    if test_fraction else "") + f"(>= {need:,} test samples)"
            raise ConfigError(
                f"gate check {name} <= {limit:g} pp is finer than the test split can resolve: "
                f"with {n_test:,} test samples and an expected {d:.0%} disagreement between "
                f"the models, the one-sided {c:.0%} bound lies {resolution:.2f} pp above the "
                f"measured drop, so even a candidate as accurate as its reference could not "
                f"pass. Use a larger test split, {grow}, or a limit of at least "
                f"{math.ceil(resolution * 10) / 10:g} pp (gates.expected_disagreement sets d).")
    return rows


__all__ = ["accuracy_resolution_pp", "drop_limits", "drop_resolution_pp", "require_resolvable",
           "samples_needed", "z"]
