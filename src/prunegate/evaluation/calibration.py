"""Expected calibration error (ECE, Guo et al. 2017): how far a model's confidence is from its
accuracy. Pruning and quantization can leave accuracy alone and still make a model over- or
under-confident, which breaks every downstream threshold on its probabilities.

The test samples are binned by confidence (the top softmax probability) into equal-width bins;
ECE is the sample-weighted mean of |accuracy - mean confidence| over the bins. Its interval, and
the interval of a candidate's increase over the baseline, resample test samples (paired).
"""

import numpy as np

from prunegate.evaluation.bootstrap import interval, resampled


def softmax_confidence(logits: np.ndarray) -> np.ndarray:
    """The top class probability per row (rows that are not finite get 0: never confident)."""
    logits = np.asarray(logits, dtype=np.float64).reshape(len(logits), -1)
    finite = np.isfinite(logits).all(axis=1)
    safe = np.where(finite[:, None], logits, 0.0)
    exp = np.exp(safe - safe.max(axis=1, keepdims=True))
    return np.where(finite, exp.max(axis=1) / exp.sum(axis=1), 0.0)


def ece(confidence: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    return float(_ece_rows(np.asarray(confidence)[None], np.asarray(correct)[None], bins)[0])


def ece_ci(confidence: np.ndarray, correct: np.ndarray, bins: int = 15, samples: int = 2000,
           level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    rows = resampled(lambda conf, right: _ece_rows(conf, right, bins), np.asarray(confidence),
                     np.asarray(correct), samples=samples, seed=seed)
    return interval(rows, level)


def paired_ece_increase_ci(ref_confidence: np.ndarray, ref_correct: np.ndarray,
                           confidence: np.ndarray, correct: np.ndarray, bins: int = 15,
                           samples: int = 2000, level: float = 0.95,
                           seed: int = 0) -> tuple[float, float]:
    """Interval of 100 × (candidate ECE − reference ECE), in percentage points."""
    def increase(ref_conf: np.ndarray, ref_right: np.ndarray, conf: np.ndarray,
                 right: np.ndarray) -> np.ndarray:
        return 100.0 * (_ece_rows(conf, right, bins) - _ece_rows(ref_conf, ref_right, bins))

    rows = resampled(increase, *(np.asarray(a) for a in (ref_confidence, ref_correct,
                                                          confidence, correct)),
                     samples=samples, seed=seed)
    return interval(rows, level)


def _ece_rows(confidence: np.ndarray, correct: np.ndarray, bins: int) -> np.ndarray:
    """ECE of each row of a (resamples, n) pair of arrays, vectorised over the rows."""
    rows, n = confidence.shape
    which = np.clip((confidence * bins).astype(int), 0, bins - 1)     # bin of each sample
    flat = (np.arange(rows)[:, None] * bins + which).ravel()           # (row, bin) as one index
    gap = np.bincount(flat, weights=(correct.astype(np.float64) - confidence).ravel(),
                      minlength=rows * bins).reshape(rows, bins)
    return np.abs(gap).sum(axis=1) / n
