"""Training-time augmentation of images: whole-pixel shifts within the bound, left-right flips,
seeded; refused for data that is not images."""

import numpy as np
import pytest
import torch

from prunegate.errors import ConfigError
from prunegate.training.augment import augment
from prunegate.training.loop import TrainConfig, fit


def test_a_shift_moves_each_image_by_whole_pixels_within_the_bound():
    x = torch.zeros(64, 1, 12, 12)
    x[:, 0, 6, 5] = 1.0  # one bright pixel, far enough from the border to stay inside
    moved = augment(x, 2, False, torch.Generator().manual_seed(0))
    rows, cols = (moved[:, 0] == 1.0).nonzero(as_tuple=True)[1:]
    assert moved.sum() == 64 and len(rows) == 64  # every pixel kept, none blurred
    dy, dx = rows - 6, cols - 5
    assert dy.abs().max() <= 2 and dx.abs().max() <= 2
    assert len(set(zip(dy.tolist(), dx.tolist(), strict=True))) > 10  # really random
    again = augment(x, 2, False, torch.Generator().manual_seed(0))
    assert torch.equal(moved, again)  # seeded


def test_a_flip_mirrors_about_half_of_the_batch():
    x = torch.zeros(200, 3, 4, 4)
    x[..., :2] = 1.0  # left half bright
    flipped = augment(x, 0, True, torch.Generator().manual_seed(0))
    mirrored = (flipped[:, :, :, 2:] == 1.0).all(dim=(1, 2, 3))
    untouched = torch.equal(flipped[~mirrored], x[~mirrored])
    assert 70 < int(mirrored.sum()) < 130 and untouched


def test_augmentation_is_refused_for_data_that_is_not_images():
    tokens = {"x": np.ones((8, 2, 5), np.int64), "y": np.zeros(8, np.int64)}
    with pytest.raises(ConfigError, match=r"augment images .* the samples are \(2, 5\)"):
        fit(torch.nn.Linear(5, 2), tokens, tokens, TrainConfig(epochs=1, augment_shift=1))


@pytest.mark.parametrize("bad", [{"augment_shift": -1}, {"augment_shift": 40},
                                 {"augment_flip": "yes"}])
def test_bad_augmentation_settings_are_refused(bad):
    with pytest.raises(ConfigError, match="augment"):
        TrainConfig(**bad)
