import numpy as np
import pytest

from prunegate.evaluation import bootstrap
from prunegate.evaluation.bootstrap import (
    accuracy_ci,
    paired_accuracy_drop_ci,
    paired_ratio_ci,
    quantile_ci,
    resampled,
)


def test_identical_predictions_give_a_zero_width_drop_interval():
    correct = np.arange(1000) < 930
    assert paired_accuracy_drop_ci(correct, correct) == (0.0, 0.0)


def test_pairing_narrows_the_drop_interval():
    """Same 93% accuracy, 12 discordant samples: the paired interval is far narrower than two
    independent ones would be (about ±3 pp at n=1000)."""
    ref = np.arange(1000) < 930
    cand = ref.copy()
    cand[:6] = False
    cand[930:936] = True
    low, high = paired_accuracy_drop_ci(ref, cand)
    assert -1.0 < low <= 0 <= high < 1.0
    a_low, a_high = accuracy_ci(ref)
    assert 100 * (a_high - a_low) > 2.5             # unpaired: about ±1.6 pp


def test_ratio_interval_brackets_the_true_ratio():
    rng = np.random.default_rng(1)
    ref = 1.0 + 0.1 * rng.standard_normal(2000) ** 2
    drift = np.linspace(1.0, 1.5, 2000)        # the machine slows down mid-measurement
    low, high = paired_ratio_ci(ref * drift, 0.5 * ref * drift)
    assert low <= 0.5 <= high and high - low < 0.05
    q_low, q_high = quantile_ci(ref, 50)
    assert q_low <= np.median(ref) <= q_high
    with pytest.raises(ValueError):
        paired_ratio_ci(np.array([]), np.array([]))


def test_resamples_drawn_in_chunks_are_exactly_one_whole_draw(monkeypatch):
    """Chunks bound the memory (2,000 x n indices at once grew with the test split); they must
    not change an interval, or a verdict would depend on the chunk size."""
    values = np.random.default_rng(0).random(1001)           # odd n: no pairing of 32-bit draws
    whole = values[np.random.default_rng(7).integers(0, 1001, size=(300, 1001))].mean(axis=1)
    monkeypatch.setattr(bootstrap, "CHUNK_INDICES", 3 * 1001 + 5)    # 3 rows a chunk, 100 chunks
    chunked = resampled(lambda v: v.mean(axis=1), values, samples=300, seed=7)
    assert np.array_equal(chunked, whole)
    with pytest.raises(ValueError, match="no samples"):
        resampled(lambda v: v.mean(axis=1), values[:0], samples=10, seed=0)
