"""Per-channel normalisation stated in the config: ``data.normalize: {mean: [...], std: [...]}``.

Applied once, when ingest splits the data, after pixels are scaled to [0, 1]: every stage and
the deployable see normalised inputs, so the service that calls the model must normalise the
same way. The deployable says how in its ONNX metadata (``prunegate.normalize``), and the data
gate's range check follows it (``@x_min``/``@x_max``: where [0, 1] lands).
"""

from dataclasses import dataclass
from typing import Any

import numpy as np

from prunegate.errors import ConfigError, DataError


@dataclass
class Normalize:
    mean: list[float]
    std: list[float]

    def __post_init__(self) -> None:
        for key in ("mean", "std"):
            values = getattr(self, key)
            if not isinstance(values, list | tuple) or not values or not all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in values):
                raise ConfigError(f"data.normalize.{key} must be a list of numbers, one per "
                                  f"channel (e.g. [0.485, 0.456, 0.406]); got {values!r}.")
        if len(self.mean) != len(self.std):
            raise ConfigError(f"data.normalize has {len(self.mean)} means and {len(self.std)} "
                              "standard deviations: give one of each per channel.")
        if min(self.std) <= 0:
            raise ConfigError(f"data.normalize.std must be > 0, got {list(self.std)}.")

    @classmethod
    def parse(cls, value: Any) -> "Normalize | None":
        if value is None:
            return None
        if not isinstance(value, dict) or set(value) != {"mean", "std"}:
            raise ConfigError(f"data.normalize must be {{mean: [...], std: [...]}} (one value "
                              f"per channel) or null; got {value!r}.")
        return cls(**value)

    def apply(self, x: np.ndarray) -> np.ndarray:
        """``x`` (N, C, ...) float32 normalised in place along its channel axis."""
        if x.ndim < 2 or x.shape[1] != len(self.mean):
            raise DataError(f"data.normalize gives {len(self.mean)} channels, and the samples "
                            f"are {tuple(x.shape[1:])} ({x.shape[1] if x.ndim > 1 else 0} "
                            "channels). Give one mean and one std per channel.")
        axes = (1, -1) + (1,) * (x.ndim - 2)
        x -= np.asarray(self.mean, np.float32).reshape(axes)
        x /= np.asarray(self.std, np.float32).reshape(axes)
        return x

    def as_array(self) -> np.ndarray:
        """(2, C): what a split records, and the deployable's metadata carries."""
        return np.asarray([self.mean, self.std], dtype=np.float64)


def value_range(split: dict[str, np.ndarray]) -> tuple[float, float]:
    """Where inputs scaled to [0, 1] land once normalised: the data gate's x_min/x_max bounds."""
    if "normalize" not in split:
        return 0.0, 1.0
    mean, std = split["normalize"]
    return float(np.min((0.0 - mean) / std)), float(np.max((1.0 - mean) / std))
