"""Bootstrap confidence intervals for the noisy metrics a gate decides on.

Accuracy is noisy because the test split is a sample; latency because the machine is shared. A
gate that compares point estimates flakes on both, so each relative metric gets an interval:
- accuracy drop: resample test samples, *paired* (the same samples for both models), so the
  variation both models share cancels;
- latency ratio: resample measurement rounds, paired (one round calls every model once,
  interleaved), so a machine that slows down for a moment slows both sides of the ratio.
"""

import numpy as np


def paired_accuracy_drop_ci(reference_correct: np.ndarray, candidate_correct: np.ndarray,
                            samples: int = 2000, level: float = 0.95,
                            seed: int = 0) -> tuple[float, float]:
    """Interval of 100 × (reference accuracy − candidate accuracy), in percentage points."""
    ref = np.asarray(reference_correct, dtype=np.float64)
    cand = np.asarray(candidate_correct, dtype=np.float64)
    diff = ref - cand          # per sample: +1 only the reference right, -1 only the candidate
    idx = resample_indices(len(diff), samples, seed)
    drops = 100.0 * diff[idx].mean(axis=1)
    return interval(drops, level)


def paired_ratio_ci(reference_ms: np.ndarray, candidate_ms: np.ndarray, quantile: float = 95,
                    samples: int = 2000, level: float = 0.95,
                    seed: int = 0) -> tuple[float, float]:
    """Interval of candidate p<quantile> / reference p<quantile>, resampling paired rounds."""
    ref, cand = np.asarray(reference_ms), np.asarray(candidate_ms)
    idx = resample_indices(len(ref), samples, seed)
    ratios = np.percentile(cand[idx], quantile, axis=1) / np.percentile(ref[idx], quantile, axis=1)
    return interval(ratios, level)


def quantile_ci(samples_ms: np.ndarray, quantile: float = 95, samples: int = 2000,
                level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Interval of one model's p<quantile> latency, resampling rounds."""
    values = np.asarray(samples_ms)
    idx = resample_indices(len(values), samples, seed)
    return interval(np.percentile(values[idx], quantile, axis=1), level)


def accuracy_ci(correct: np.ndarray, samples: int = 2000, level: float = 0.95,
                seed: int = 0) -> tuple[float, float]:
    c = np.asarray(correct, dtype=np.float64)
    idx = resample_indices(len(c), samples, seed)
    return interval(c[idx].mean(axis=1), level)


def resample_indices(n: int, samples: int, seed: int) -> np.ndarray:
    if n == 0:
        raise ValueError("cannot bootstrap an interval from no samples")
    return np.random.default_rng(seed).integers(0, n, size=(samples, n))


def interval(values: np.ndarray, level: float) -> tuple[float, float]:
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)
