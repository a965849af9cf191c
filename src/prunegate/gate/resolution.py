"""What the gate's test data and this machine can resolve, said before anything is decided.

Every noisy check is one-sided ("drop <= 1 pp", "accuracy >= 0.9") and decides on the one-sided
bound at the gate's confidence c (z = 1.645 at 95%). Two figures follow from the test split:

- the *margin*: how far that bound lies from the measured value, z * SE. A candidate passes a
  "drop <= L" check only when its measured drop is at most L - margin.
- the *resolution*: the smallest limit at which a candidate exactly as accurate as its reference
  passes with probability c, 2 z * SE (the minimum detectable effect at c both ways). A finer
  limit cannot be decided reliably; it is refused before anything trains.

SE of a paired accuracy drop, with n test samples on which the two models disagree (one right,
the other wrong) a share d of the time: sqrt(d / n). Before anything trains, d is the configured
``gates.expected_disagreement``; after, the one measured. An absolute accuracy p has SE
sqrt(p (1 - p) / n). Latency has no formula: the gate times the baseline against a second
session of itself, interleaved with the rest, and that self-ratio's bound is the noise.
"""

import math
from statistics import NormalDist

from prunegate.errors import ConfigError


def z(confidence: float) -> float:
    """The one-sided normal quantile: 1.645 at 95%."""
    return NormalDist().inv_cdf(confidence)


def drop_margin_pp(n: int, disagreement: float, confidence: float) -> float:
    """How far the one-sided bound of a paired accuracy drop lies above the drop, in pp."""
    d = max(disagreement, 1.0 / n)  # at least one sample: a bound is never exactly the value
    return 100.0 * z(confidence) * math.sqrt(d / n)


def drop_resolution_pp(n: int, disagreement: float, confidence: float) -> float:
    """The smallest drop limit a candidate as accurate as its reference passes with
    probability ``confidence``: twice the margin."""
    return 2.0 * drop_margin_pp(n, disagreement, confidence)


def accuracy_resolution_pp(n: int, accuracy: float, confidence: float) -> float:
    """How far above an absolute accuracy threshold a candidate must be to pass with
    probability ``confidence``: 2 z SE, in pp."""
    p = min(max(accuracy, 1.0 / n), 1.0 - 1.0 / n)
    return 200.0 * z(confidence) * math.sqrt(p * (1.0 - p) / n)


def samples_for_margin(room_pp: float, disagreement: float, confidence: float) -> int:
    """The test samples at which the bound's margin fits in ``room_pp`` (limit - drop)."""
    return math.ceil(disagreement * (100.0 * z(confidence) / room_pp) ** 2)


def samples_needed(limit_pp: float, disagreement: float, confidence: float) -> int:
    """The test samples at which the resolution of a drop check equals ``limit_pp``."""
    return math.ceil(disagreement * (200.0 * z(confidence) / limit_pp) ** 2)


def accuracy_budget_pp(gate, n_test: int) -> float:
    """The validation drop a pruned model may show and still pass the test split's drop check:
    the limit less the margin its one-sided bound needs at the expected disagreement."""
    if gate.max_accuracy_drop_pp is None:
        raise ConfigError("prune.accuracy_budget backs off to pass gates.max_accuracy_drop_pp, "
                          "which is null (off). Set it, or prune.accuracy_budget: false.")
    margin = drop_margin_pp(n_test, gate.expected_disagreement, gate.confidence)
    return gate.max_accuracy_drop_pp - margin


def drop_limits(gate) -> list[tuple[str, float]]:
    """(check name, limit in pp) of every paired accuracy-drop check of a GateConfig, clean or
    on the perturbed copies (their per-sample scores average several copies, so the clean
    figure's resolution is, if anything, coarser than theirs)."""
    return [(s.name, float(s.threshold)) for s in gate.specs()
            if s.metric in ("accuracy", "robust_accuracy") and s.basis != "absolute"
            and s.comparator == "<="]


def require_resolvable(gate, n_test: int, test_fraction: float | None = None) -> list[dict]:
    """Each accuracy-drop check's resolution on ``n_test`` samples, from the expected
    disagreement; limits finer than their resolution are one ConfigError naming the fix."""
    d, c = gate.expected_disagreement, gate.confidence
    resolution = drop_resolution_pp(n_test, d, c)
    rows = [{"check": name, "limit_pp": limit, "resolution_pp": resolution,
             "test_samples": n_test} for name, limit in drop_limits(gate)]
    too_fine = [row for row in rows if row["limit_pp"] < resolution]
    if too_fine:
        finest = min(row["limit_pp"] for row in too_fine)
        need = samples_needed(finest, d, c)
        fraction = test_fraction * need / n_test if test_fraction else None
        grow = (f"data.test_fraction {math.ceil(fraction * 100) / 100:g} (>= {need:,} test "
                "samples)"
                if fraction and fraction <= 0.5 else
                f"more data (>= {need:,} test samples)")
        checks = " and ".join(f"{r['check']} <= {r['limit_pp']:g} pp" for r in too_fine)
        raise ConfigError(
            f"gate check {checks} {'is' if len(too_fine) == 1 else 'are'} finer than the test "
            f"split can resolve: with {n_test:,} test samples and an expected {d:.0%} "
            f"disagreement between the models, it resolves {resolution:.2f} pp at {c:.0%}, so "
            f"even a candidate as accurate as its reference would pass less than {c:.0%} of "
            f"the time. Use a larger test split, {grow}, or a limit of at least "
            f"{math.ceil(resolution * 10) / 10:g} pp (gates.expected_disagreement sets d).")
    return rows


__all__ = ["accuracy_budget_pp", "accuracy_resolution_pp", "drop_limits", "drop_margin_pp",
           "drop_resolution_pp", "require_resolvable", "samples_for_margin", "samples_needed",
           "z"]
