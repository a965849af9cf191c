"""Light augmentation of image batches during training: random translations of up to
``shift`` pixels and, optionally, horizontal flips. Seeded from the loop's generator, so a run
repeats exactly. Never applied to validation or test data, and never to tokens or tables,
where a shifted or mirrored sample means something else."""

import torch
from torch.nn import functional as F

from prunegate.errors import ConfigError


def check_images(x: torch.Tensor, shift: int, flip: bool, stage: str) -> None:
    if (shift or flip) and (x.ndim != 4 or not x.is_floating_point()):
        raise ConfigError(f"{stage}.augment_shift/augment_flip augment images (samples of "
                          f"(channels, height, width)), and the samples are "
                          f"{tuple(x.shape[1:])} {x.dtype}. Set them to 0/false for this data.")


def augment(x: torch.Tensor, shift: int, flip: bool, generator: torch.Generator) -> torch.Tensor:
    """A new batch: each image moved by whole pixels in [-shift, shift] on both axes (the
    border filled with zeros), and mirrored left-right with probability 1/2 when ``flip``."""
    n, _, height, width = x.shape
    if shift:
        offsets = torch.randint(-shift, shift + 1, (n, 2), generator=generator).float()
        theta = torch.zeros(n, 2, 3)
        theta[:, 0, 0] = theta[:, 1, 1] = 1.0
        # affine_grid's unit is half the image: a pixel is 2 / size; the sign moves content
        # by +offset pixels
        theta[:, 0, 2] = -2.0 * offsets[:, 0] / width
        theta[:, 1, 2] = -2.0 * offsets[:, 1] / height
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)
    if flip:
        mirrored = torch.rand(n, generator=generator) < 0.5
        x = torch.where(mirrored[:, None, None, None], x.flip(-1), x)
    return x
