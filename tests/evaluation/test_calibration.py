"""Expected calibration error against a hand count, and its paired interval."""

import numpy as np
import pytest

from prunegate.evaluation.calibration import (
    ece,
    ece_ci,
    paired_ece_increase_ci,
    softmax_confidence,
)


def test_ece_matches_a_hand_count():
    # bin 0.9-1.0: confidences 0.95, 0.95, one right -> |1 - 1.9| = 0.9
    # bin 0.6-0.7: confidences 0.65, 0.65, both right -> |2 - 1.3| = 0.7; ECE = 1.6 / 4
    confidence = np.array([0.95, 0.95, 0.65, 0.65])
    correct = np.array([True, False, True, True])
    assert ece(confidence, correct, bins=10) == pytest.approx(0.4)


def test_a_calibrated_model_has_a_small_ece_and_an_overconfident_one_a_large_one():
    rng = np.random.default_rng(0)
    confidence = rng.uniform(0.5, 1.0, 20000)
    calibrated = rng.random(20000) < confidence
    assert ece(confidence, calibrated) < 0.01
    overconfident = rng.random(20000) < confidence - 0.2
    assert ece(confidence, overconfident) == pytest.approx(0.2, abs=0.01)
    low, high = paired_ece_increase_ci(confidence, calibrated, confidence, overconfident)
    increase = 100 * (ece(confidence, overconfident) - ece(confidence, calibrated))
    assert 17 < low < increase < high < 22     # percentage points, around the true 20
    assert ece_ci(confidence, calibrated)[1] < 0.015


def test_softmax_confidence_and_a_non_finite_row():
    logits = np.array([[0.0, 0.0], [np.log(3.0), 0.0], [np.nan, 1.0]])
    assert softmax_confidence(logits) == pytest.approx([0.5, 0.75, 0.0])
