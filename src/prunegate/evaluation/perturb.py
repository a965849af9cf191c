"""Seeded perturbations of the test split: what the robustness checks evaluate every model on.

A sparse or quantized model can match the dense one on clean data and still fall apart under
input variations it will meet in service. The gate therefore evaluates the baseline and the
candidate on the *same* perturbed copies of the test split (paired), and checks the drop.

Every amount is stated relative to the data, so one setting means the same on raw pixels in
[0, 1] and on normalised inputs:
- ``gaussian_noise`` (images) adds noise of sigma × the split's value range (max - min);
- ``brightness`` adds delta × that range; ``contrast`` scales each image about its own mean;
- ``shift`` moves each image by whole pixels, one random direction (up, down, left, right)
  per sample, the border filled with the image's minimum (its background);
- ``feature_noise`` (tables) adds noise of scale × each column's standard deviation.
Token inputs (integers) have no perturbation here: a noisy token id is another word. Neither
have other shapes (sequences of floats, say) yet: ``auto`` skips them, and the report says so.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

from prunegate.errors import ConfigError
from prunegate.validators import choose, integer, number

KINDS = {  # kind: (its amount's key, the inputs it applies to)
    "gaussian_noise": ("sigma", "images"),
    "brightness": ("delta", "images"),
    "contrast": ("factor", "images"),
    "shift": ("pixels", "images"),
    "feature_noise": ("scale", "tables"),
}
# ``auto``: mild variations a deployed model should shrug off, for the inputs at hand
AUTO = {
    "images": [{"kind": "gaussian_noise", "sigma": 0.1}, {"kind": "brightness", "delta": 0.1},
               {"kind": "contrast", "factor": 0.7}, {"kind": "shift", "pixels": 1},
               {"kind": "shift", "pixels": 2}],
    "tables": [{"kind": "feature_noise", "scale": 0.1}, {"kind": "feature_noise", "scale": 0.3}],
    "tokens": [],
    "other": [],
}


@dataclass
class RobustnessConfig:
    # "auto" (by input kind, AUTO above), a list of {kind, <amount>}, or [] (off)
    perturbations: str | list[dict[str, Any]] = "auto"
    seed: int = 0
    ece_bins: int = 15  # equal-width confidence bins of the expected calibration error

    def __post_init__(self) -> None:
        integer(self.seed, "validate.robustness.seed")
        integer(self.ece_bins, "validate.robustness.ece_bins", low=2, high=100)
        if self.perturbations == "auto":
            return
        if not isinstance(self.perturbations, list):
            raise ConfigError("validate.robustness.perturbations must be 'auto' or a list of "
                              "{kind, amount}, e.g. [{kind: gaussian_noise, sigma: 0.1}]; got "
                              f"{self.perturbations!r}.")
        for i, spec in enumerate(self.perturbations):
            _check(spec, f"validate.robustness.perturbations[{i}]")

    def for_inputs(self, x: np.ndarray) -> list[dict[str, Any]]:
        """The perturbations to apply to ``x``; a listed one that does not fit it is an error."""
        kind = input_kind(x)
        if self.perturbations == "auto":
            return [dict(p) for p in AUTO[kind]]
        fitting = ", ".join(k for k, v in KINDS.items() if v[1] == kind) or "none"
        for spec in self.perturbations:
            if KINDS[spec["kind"]][1] != kind:
                raise ConfigError(f"validate.robustness: '{spec['kind']}' perturbs "
                                  f"{KINDS[spec['kind']][1]}, and these samples are {kind} "
                                  f"{tuple(x.shape[1:])}. Use {fitting} for them, or 'auto'.")
        return [dict(p) for p in self.perturbations]


def _check(spec: Any, key: str) -> None:
    if not isinstance(spec, dict) or "kind" not in spec:
        raise ConfigError(f"{key} must be a mapping like {{kind: gaussian_noise, sigma: 0.1}}, "
                          f"got {spec!r}.")
    choose(spec["kind"], list(KINDS), f"{key}.kind")
    amount = KINDS[spec["kind"]][0]
    extra = sorted(set(spec) - {"kind", amount})
    if amount not in spec or extra:
        raise ConfigError(f"{key} ({spec['kind']}) takes one amount, '{amount}'; got "
                          f"{sorted(set(spec) - {'kind'})}.")
    if spec["kind"] == "shift":
        integer(spec[amount], f"{key}.pixels", low=1, high=8)
    elif spec["kind"] == "contrast":
        number(spec[amount], f"{key}.factor", low=0.0, high=2.0)
    else:
        number(spec[amount], f"{key}.{amount}", low=-1.0 if amount == "delta" else 0.0,
               high=1.0 if amount == "delta" else 10.0)


def input_kind(x: np.ndarray) -> str:
    """images: (N, C, H, W) floats; tables: (N, features) floats; tokens: integers; other:
    any other shape (no perturbation is defined for it yet)."""
    if not np.issubdtype(x.dtype, np.floating):
        return "tokens"
    return {4: "images", 2: "tables"}.get(x.ndim, "other")


def label(spec: dict[str, Any]) -> str:
    """A perturbation's name in metrics and reports, e.g. ``gaussian_noise:0.1``."""
    return f"{spec['kind']}:{spec[KINDS[spec['kind']][0]]:g}"


def perturb(x: np.ndarray, spec: dict[str, Any], seed: int) -> np.ndarray:
    """A perturbed copy of ``x``, the same for every model and every run with this seed."""
    rng = np.random.default_rng([seed, *label(spec).encode()])
    kind, amount = spec["kind"], spec[KINDS[spec["kind"]][0]]
    x = np.asarray(x, dtype=np.float32)
    spread = float(x.max() - x.min()) or 1.0
    # float32 throughout: a copy of a large test split is held once per perturbation
    if kind == "gaussian_noise":
        out = x + np.float32(amount * spread) * rng.standard_normal(x.shape, dtype=np.float32)
    elif kind == "brightness":
        out = x + np.float32(amount * spread)
    elif kind == "contrast":
        mean = x.mean(axis=(1, 2, 3), keepdims=True)
        out = mean + np.float32(amount) * (x - mean)
    elif kind == "shift":
        out = _shift(x, amount, rng)
    else:  # feature_noise
        scale = (np.float32(amount) * x.std(axis=0, keepdims=True)).astype(np.float32)
        out = x + rng.standard_normal(x.shape, dtype=np.float32) * scale
    return np.ascontiguousarray(out, dtype=np.float32)


def _shift(x: np.ndarray, pixels: int, rng: np.random.Generator) -> np.ndarray:
    """Each image moved ``pixels`` up, down, left or right (one direction per image)."""
    out = np.empty_like(x)
    directions = rng.integers(0, 4, len(x))
    background = x.min(axis=(1, 2, 3))
    for d, (dy, dx) in enumerate(((-pixels, 0), (pixels, 0), (0, -pixels), (0, pixels))):
        rows = directions == d
        moved = np.roll(x[rows], (dy, dx), axis=(2, 3))
        fill = background[rows][:, None, None, None]
        if dy > 0:
            moved[:, :, :dy] = fill
        elif dy < 0:
            moved[:, :, dy:] = fill
        if dx > 0:
            moved[:, :, :, :dx] = fill
        elif dx < 0:
            moved[:, :, :, dx:] = fill
        out[rows] = moved
    return out
