"""The perturbed copies are seeded, sized relative to the data, and refuse data they do not fit."""

import numpy as np
import pytest

from prunegate.errors import ConfigError
from prunegate.evaluation.perturb import RobustnessConfig, input_kind, label, perturb

IMAGES = np.random.default_rng(0).random((64, 1, 8, 8), dtype=np.float32)


def test_a_copy_is_the_same_for_the_same_seed_and_differs_for_another():
    spec = {"kind": "gaussian_noise", "sigma": 0.1}
    assert np.array_equal(perturb(IMAGES, spec, 0), perturb(IMAGES, spec, 0))
    assert not np.array_equal(perturb(IMAGES, spec, 0), perturb(IMAGES, spec, 1))


def test_amounts_are_relative_to_the_data_so_normalised_inputs_see_the_same_noise():
    spec = {"kind": "gaussian_noise", "sigma": 0.1}
    raw = perturb(IMAGES, spec, 0) - IMAGES
    scaled = perturb(IMAGES * 4 - 1, spec, 0) - (IMAGES * 4 - 1)   # another range, same data
    assert np.std(raw) == pytest.approx(0.1 * np.ptp(IMAGES), rel=0.05)
    assert np.allclose(scaled, 4 * raw, atol=1e-5)
    bright = perturb(IMAGES, {"kind": "brightness", "delta": 0.2}, 0)
    assert np.allclose(bright - IMAGES, 0.2 * np.ptp(IMAGES), atol=1e-6)
    flat = perturb(IMAGES, {"kind": "contrast", "factor": 0.5}, 0)
    assert np.allclose(flat.mean(axis=(1, 2, 3)), IMAGES.mean(axis=(1, 2, 3)), atol=1e-6)
    assert np.allclose(flat.std(axis=(1, 2, 3)), 0.5 * IMAGES.std(axis=(1, 2, 3)), rtol=1e-4)


@pytest.mark.parametrize("pixels", [1, 2])
def test_a_shift_moves_every_image_by_whole_pixels_in_one_direction(pixels):
    dots = np.zeros((40, 1, 9, 9), dtype=np.float32)
    dots[:, 0, 4, 4] = 1.0
    moved = perturb(dots, {"kind": "shift", "pixels": pixels}, 3)
    where = [tuple(np.argwhere(m[0] == 1.0)[0]) for m in moved]
    assert {(abs(r - 4) + abs(c - 4)) for r, c in where} == {pixels}
    assert len(set(where)) == 4          # all four directions occur in 40 images
    assert moved.sum() == 40             # nothing else changed


def test_feature_noise_follows_each_columns_spread():
    rng = np.random.default_rng(1)
    table = np.stack([rng.normal(0, 1, 5000), rng.normal(0, 10, 5000),
                      np.full(5000, 3.0)], axis=1).astype(np.float32)
    noise = perturb(table, {"kind": "feature_noise", "scale": 0.2}, 0) - table
    assert noise.std(axis=0) == pytest.approx([0.2, 2.0, 0.0], abs=0.03)


def test_auto_picks_by_input_kind_and_a_listed_perturbation_must_fit_the_inputs():
    config = RobustnessConfig()
    assert [label(p) for p in config.for_inputs(IMAGES)] == [
        "gaussian_noise:0.1", "brightness:0.1", "contrast:0.7", "shift:1", "shift:2"]
    assert [p["kind"] for p in config.for_inputs(np.zeros((4, 3), np.float32))] == [
        "feature_noise", "feature_noise"]
    assert config.for_inputs(np.zeros((4, 2, 8), np.int64)) == []      # token ids
    assert input_kind(np.zeros((4, 2, 8), np.int64)) == "tokens"
    images_only = RobustnessConfig(perturbations=[{"kind": "shift", "pixels": 1}])
    with pytest.raises(ConfigError, match="'shift' perturbs images.*feature_noise"):
        images_only.for_inputs(np.zeros((4, 3), np.float32))


@pytest.mark.parametrize("perturbations, message", [
    ([{"kind": "gausian_noise", "sigma": 0.1}], "did you mean 'gaussian_noise'"),
    ([{"kind": "shift", "sigma": 1}], "takes one amount, 'pixels'"),
    ([{"kind": "shift", "pixels": 0}], "pixels' must be >= 1"),
    ("none", "must be 'auto' or a list"),
])
def test_a_bad_perturbation_is_one_clear_config_error(perturbations, message):
    with pytest.raises(ConfigError, match=message):
        RobustnessConfig(perturbations=perturbations)
