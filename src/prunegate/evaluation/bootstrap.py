"""Bootstrap confidence intervals for the noisy metrics a gate decides on.

Accuracy is noisy because the test split is a sample; latency because the machine is shared. A
gate that compares point estimates flakes on both, so each relative metric gets an interval:
- accuracy drop: resample test samples, *paired* (the same samples for both models), so the
  variation both models share cancels;
- latency ratio: resample measurement rounds, paired (one round calls every model once,
  interleaved), so a machine that slows down for a moment slows both sides of the ratio.
"""

from collections.abc import Callable

import numpy as np

# indices per chunk of resamples (32 MiB of int64): 2,000 resamples of a 15,000-sample test split
# at once were 240 MiB of indices and as much again of gathered values, growing with the split
CHUNK_INDICES = 1 << 22


def paired_accuracy_drop_ci(reference_correct: np.ndarray, candidate_correct: np.ndarray,
                            samples: int = 2000, level: float = 0.95,
                            seed: int = 0) -> tuple[float, float]:
    """Interval of 100 × (reference accuracy − candidate accuracy), in percentage points."""
    ref = np.asarray(reference_correct, dtype=np.float64)
    cand = np.asarray(candidate_correct, dtype=np.float64)
    diff = ref - cand          # per sample: +1 only the reference right, -1 only the candidate
    drops = 100.0 * resampled(lambda d: d.mean(axis=1), diff, samples=samples, seed=seed)
    return interval(drops, level)


def paired_ratio_ci(reference_ms: np.ndarray, candidate_ms: np.ndarray, quantile: float = 95,
                    samples: int = 2000, level: float = 0.95,
                    seed: int = 0) -> tuple[float, float]:
    """Interval of candidate p<quantile> / reference p<quantile>, resampling paired rounds."""
    def ratio(ref: np.ndarray, cand: np.ndarray) -> np.ndarray:
        return np.percentile(cand, quantile, axis=1) / np.percentile(ref, quantile, axis=1)

    ratios = resampled(ratio, np.asarray(reference_ms), np.asarray(candidate_ms),
                       samples=samples, seed=seed)
    return interval(ratios, level)


def quantile_ci(samples_ms: np.ndarray, quantile: float = 95, samples: int = 2000,
                level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Interval of one model's p<quantile> latency, resampling rounds."""
    return interval(resampled(lambda v: np.percentile(v, quantile, axis=1),
                              np.asarray(samples_ms), samples=samples, seed=seed), level)


def accuracy_ci(correct: np.ndarray, samples: int = 2000, level: float = 0.95,
                seed: int = 0) -> tuple[float, float]:
    c = np.asarray(correct, dtype=np.float64)
    return interval(resampled(lambda r: r.mean(axis=1), c, samples=samples, seed=seed), level)


def resampled(statistic: Callable[..., np.ndarray], *arrays: np.ndarray, samples: int,
              seed: int) -> np.ndarray:
    """``statistic`` of each of ``samples`` bootstrap resamples of ``arrays`` (paired: the same
    indices for every array; it gets (rows, n) arrays and returns one value per row).

    The resamples are drawn a chunk of rows at a time from one generator, which gives exactly
    the indices of a single (samples, n) draw, so memory stays bounded whatever n is and the
    intervals stay what they were."""
    n = len(arrays[0])
    if n == 0:
        raise ValueError("cannot bootstrap an interval from no samples")
    rng = np.random.default_rng(seed)
    rows = max(1, CHUNK_INDICES // n)
    parts = []
    for start in range(0, samples, rows):
        idx = rng.integers(0, n, size=(min(rows, samples - start), n))
        parts.append(statistic(*(a[idx] for a in arrays)))
    return np.concatenate(parts)


def interval(values: np.ndarray, level: float) -> tuple[float, float]:
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)
